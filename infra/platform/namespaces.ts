/** Namespaces of the platform's parts; network policies and scrape configs refer to them by name. */
export const platformNamespaces = {
  keda: "keda",
  envoyGateway: "envoy-gateway-system",
  certManager: "cert-manager",
  /** Owned by the observability layer; named here because the Kiosk's policies admit its scrapers. */
  monitoring: "monitoring",
  logging: "logging",
  vpn: "vpn",
} as const;
