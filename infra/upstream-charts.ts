/**
 * Every third-party Helm chart the program installs, pinned to an exact version, in one place so an
 * upgrade is one reviewed line. Our own charts live in charts/.
 */
export interface UpstreamChart {
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
}

export const upstreamCharts = {
  keda: { chart: "keda", version: "2.20.2", repo: "https://kedacore.github.io/charts" },
  // ingress-nginx was retired upstream in March 2026 (no further fixes); 4.15.1 is its last chart.
  ingressNginx: { chart: "ingress-nginx", version: "4.15.1", repo: "https://kubernetes.github.io/ingress-nginx" },
  certManager: { chart: "cert-manager", version: "v1.21.1", repo: "https://charts.jetstack.io" },
} as const satisfies Record<string, UpstreamChart>;

/** Third-party images our own charts and objects run, pinned like the charts. */
export const upstreamImages = {
  valkey: { repository: "valkey/valkey", tag: "8.1.4-alpine" },
  redisExporter: { repository: "oliver006/redis_exporter", tag: "v1.88.0" },
  // Stand-in for the bucket on the local stack only.
  minio: { repository: "minio/minio", tag: "RELEASE.2025-09-07T16-13-09Z" },
  minioClient: { repository: "minio/mc", tag: "RELEASE.2025-08-13T08-35-41Z" },
} as const;
