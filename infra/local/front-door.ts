import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig, portalSignIn, portalSourceRanges } from "../config";
import { platformNamespace } from "../platform/kubernetes";
import { platformNamespaces } from "../platform/namespaces";
import { gatewayApiGroup, gatewayClass, portalGatewayName, portalRequestSeconds } from "../platform/front-door";
import { kioskNamespace } from "../kiosk-contract";
import { dependencyList, FrontDoor, FrontDoorImplementation, PortalAttachment, PortalEndpoint } from "../seam";
import { controlPlaneCallbackPorts, hookJobResources, pinnedChart, upstreamChart, upstreamCharts } from "../upstream-charts";

/** NodePorts of the portal on a local cluster (map them to the host, e.g. kind's extraPortMappings). */
export const localNodePorts = { http: 30080, https: 30443 } as const;
export const envoyGatewayClassName = "envoy-gateway";
/** The GatewayClass controller name Envoy Gateway serves (envoyproxy/gateway@v1.9.0 api/v1alpha1/envoygateway_types.go, GatewayControllerName). */
export const envoyGatewayControllerName = "gateway.envoyproxy.io/gatewayclass-controller";
const letsEncryptIssuer = "letsencrypt";
const signInSecretName = "portal-sign-in";
const portalCertificateSecret = "portal-tls";

export interface LocalFrontDoorArgs {
  readonly config: KioskConfig;
}

/**
 * The portal's front door on a local cluster: Envoy Gateway, whose proxy a NodePort exposes, with its
 * SecurityPolicy for source ranges and sign-in, and cert-manager for the certificate (kiosk:tls), since a
 * local cluster has no managed one. With kiosk:localGatewayClass, the cluster's own GatewayClass instead.
 */
export class LocalFrontDoor extends pulumi.ComponentResource implements FrontDoor {
  readonly implementation: FrontDoorImplementation;
  readonly gatewayClassName: string;
  readonly dependencies: pulumi.Resource[] = [];
  readonly trafficFrom: k8s.types.input.networking.v1.NetworkPolicyPeer[];
  private readonly config: KioskConfig;

  constructor(name: string, args: LocalFrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:local:LocalFrontDoor", name, {}, opts);
    const { config } = args;
    this.config = config;
    const existingClass = config.local?.existingGatewayClass;
    // What puts the Gateway API's CRDs in the cluster, when the stack does.
    const gatewayApiCrds: pulumi.Resource[] = [];
    if (existingClass !== undefined) {
      this.implementation = "existing-gateway-class";
      this.gatewayClassName = existingClass;
      // Where the cluster's own controller runs its proxies is not the stack's to know.
      this.trafficFrom = [{ namespaceSelector: {} }];
    } else {
      this.implementation = "envoy-gateway";
      this.gatewayClassName = envoyGatewayClassName;
      // Envoy Gateway runs each Gateway's proxy in its own namespace (the chart's default deploy type, ControllerNamespace).
      this.trafficFrom = [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": platformNamespaces.envoyGateway } } }];
      // The proxies are made by the controller at run time, not rendered by the chart, so "restricted" could
      // not be checked against them; "baseline" still refuses privileged pods and host access.
      const namespace = platformNamespace(`${name}-envoy-gateway`, platformNamespaces.envoyGateway, "baseline", { parent: this });
      // The Gateway API's CRDs (standard channel) and Envoy Gateway's own, as templates: Helm upgrades them with
      // the release, which it never does for a chart's crds/ folder.
      const crds = upstreamChart(
        `${name}-gateway-crds`,
        pinnedChart(config, upstreamCharts.gatewayCrds),
        "gateway-crds",
        platformNamespaces.envoyGateway,
        { crds: { gatewayAPI: { enabled: true, channel: "standard" }, envoyGateway: { enabled: true } } },
        { parent: this, dependsOn: [namespace] },
      );
      gatewayApiCrds.push(crds);
      const controller = upstreamChart(
        `${name}-envoy-gateway`,
        pinnedChart(config, upstreamCharts.envoyGateway),
        "envoy-gateway",
        platformNamespaces.envoyGateway,
        {
          // The chart's crds subchart would install the experimental channel and a ValidatingAdmissionPolicy;
          // the release above owns the CRDs (envoyproxy/gateway@v1.9.0 charts/gateway-helm/Chart.yaml, condition crds.enabled).
          crds: { enabled: false },
          deployment: { envoyGateway: { resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } } } },
          certgen: { job: { resources: hookJobResources } },
        },
        { parent: this, dependsOn: [namespace, crds] },
      );
      this.dependencies.push(controller, gatewayClass(`${name}-gateway-class`, envoyGatewayClassName, envoyGatewayControllerName, { parent: this, dependsOn: [controller] }));
    }
    if (config.components.tls) this.dependencies.push(...certManager(name, config, this, gatewayApiCrds));
    this.registerOutputs({});
  }

  portal(portal: PortalEndpoint, opts: pulumi.CustomResourceOptions): PortalAttachment {
    const tls = this.config.components.tls;
    const scheme = tls ? "https" : "http";
    const port = tls ? localNodePorts.https : localNodePorts.http;
    const origin = portal.domain !== undefined ? `${scheme}://${portal.domain}:${port}` : `http://localhost:${localNodePorts.http}`;
    const https = tls ? { tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: portalCertificateSecret }] } } : undefined;
    const gatewayAnnotations = tls ? { "cert-manager.io/cluster-issuer": letsEncryptIssuer } : undefined;
    if (this.implementation === "existing-gateway-class") {
      return {
        ...(gatewayAnnotations ? { gatewayAnnotations } : {}),
        ...(https ? { https } : {}),
        routeFilters: [],
        // No HTTPRoute timeouts: an Extended feature an unknown implementation may refuse; its controller's own apply.
        resources: [],
        // Where the cluster's own Gateway is reachable is not the stack's to know; kiosk:domain names it.
        url: () => pulumi.output(portal.domain !== undefined ? `${scheme}://${portal.domain}` : ""),
      };
    }
    const resources: pulumi.Resource[] = [];
    const custom = (resourceName: string, kind: string, metadataName: string, spec: Record<string, unknown>, dependsOn: pulumi.Resource[] = []) => {
      const resource = new k8s.apiextensions.CustomResource(
        resourceName,
        { apiVersion: "gateway.envoyproxy.io/v1alpha1", kind, metadata: { name: metadataName, namespace: portal.namespace }, spec },
        { ...opts, dependsOn: [...dependencyList(opts.dependsOn), ...this.dependencies, ...dependsOn] },
      );
      resources.push(resource);
      return resource;
    };
    // The proxy's Service as a NodePort on fixed ports; Envoy Gateway has no nodePort field, so a strategic
    // merge patch sets them, matched by port (envoyproxy/gateway@v1.9.0 api/v1alpha1/envoyproxy_types.go, KubernetesServiceSpec.Patch).
    custom(`${portal.gatewayName}-proxy`, "EnvoyProxy", `${portal.gatewayName}-proxy`, {
      provider: {
        type: "Kubernetes",
        kubernetes: {
          envoyService: {
            type: "NodePort",
            patch: { type: "StrategicMerge", value: { spec: { ports: [{ port: 80, nodePort: localNodePorts.http }, { port: 443, nodePort: localNodePorts.https }] } } },
          },
        },
      },
    });
    const sourceRanges = portalSourceRanges(portal.access);
    const signIn = portalSignIn(portal.access);
    if (sourceRanges !== undefined || signIn !== undefined) {
      const signInSecret = signIn
        ? new k8s.core.v1.Secret(`${portal.routeName}-sign-in`, { metadata: { name: signInSecretName, namespace: portal.namespace }, type: "Opaque", stringData: { "client-secret": signIn.clientSecret } }, opts)
        : undefined;
      if (signInSecret) resources.push(signInSecret);
      custom(
        `${portal.routeName}-access`,
        "SecurityPolicy",
        `${portal.routeName}-access`,
        {
          targetRefs: [{ group: gatewayApiGroup, kind: "HTTPRoute", name: portal.routeName }],
          ...(sourceRanges ? { authorization: { defaultAction: "Deny", rules: [{ name: "allowed-cidrs", action: "Allow", principal: { clientCIDRs: sourceRanges } }] } } : {}),
          ...(signIn
            ? { oidc: { provider: { issuer: signIn.issuer }, clientID: signIn.clientId, clientSecret: { name: signInSecretName }, redirectURL: `${origin}/oauth2/callback` } }
            : {}),
        },
        signInSecret ? [signInSecret] : [],
      );
    }
    return {
      gatewayInfrastructure: { parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: `${portal.gatewayName}-proxy` } },
      ...(gatewayAnnotations ? { gatewayAnnotations } : {}),
      ...(https ? { https, httpsRedirectPort: localNodePorts.https } : {}),
      routeFilters: [],
      // Envoy's route timeout (15 s by default) runs from the end of the request to the end of the response.
      routeTimeouts: { request: `${portalRequestSeconds}s` },
      resources,
      url: () => pulumi.output(origin),
    };
  }
}

/** cert-manager with a Let's Encrypt issuer that proves the domain through the portal's Gateway (HTTP-01). */
function certManager(name: string, config: KioskConfig, parent: pulumi.Resource, gatewayApiCrds: pulumi.Resource[]): pulumi.Resource[] {
  const namespace = platformNamespace(`${name}-cert-manager`, platformNamespaces.certManager, "restricted", { parent });
  const release = upstreamChart(
    `${name}-cert-manager`,
    pinnedChart(config, upstreamCharts.certManager),
    "cert-manager",
    platformNamespaces.certManager,
    {
      crds: { enabled: true },
      // Gateway support is off by default and read at start-up, so the Gateway API's CRDs must exist by then
      // (cert-manager/cert-manager@v1.21.1 pkg/apis/config/controller/v1alpha1/types.go: gatewayAPI.enabled; enableGatewayAPI is deprecated).
      config: { apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", gatewayAPI: { enabled: true } },
      resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
      webhook: { securePort: controlPlaneCallbackPorts.certManagerWebhook, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } },
      cainjector: { resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } } },
      startupapicheck: { resources: hookJobResources },
    },
    { parent, dependsOn: [namespace, ...gatewayApiCrds] },
  );
  const issuer = new k8s.apiextensions.CustomResource(
    `${name}-letsencrypt`,
    {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: letsEncryptIssuer },
      spec: {
        acme: {
          email: config.acmeEmail,
          server: "https://acme-v02.api.letsencrypt.org/directory",
          privateKeySecretRef: { name: "letsencrypt-account-key" },
          solvers: [{ http01: { gatewayHTTPRoute: { parentRefs: [{ group: gatewayApiGroup, kind: "Gateway", name: portalGatewayName, namespace: kioskNamespace, sectionName: "http" }] } } }],
        },
      },
    },
    { parent, dependsOn: [release] },
  );
  return [release, issuer];
}
