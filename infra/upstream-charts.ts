import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/**
 * Every third-party Helm chart the program installs, pinned to an exact version, in one place so an
 * upgrade is one reviewed line. Our own charts live in charts/.
 */
export interface UpstreamChart {
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
}

/** The service account KEDA's chart gives its operator (keda 2.20.2 values.yaml serviceAccount.operator.name), which reads the scalers' sources. */
export const kedaOperatorServiceAccount = { namespace: "keda", name: "keda-operator" } as const;

export const upstreamCharts = {
  keda: { chart: "keda", version: "2.20.2", repo: "https://kedacore.github.io/charts" },
  // The portal's front door on local (Envoy Gateway), and the Gateway API's CRDs where the cluster lacks them
  // (local, EKS): Envoy Gateway's charts are published as OCI artefacts only (envoyproxy/gateway@v1.9.0 tools/make/helm.mk).
  envoyGateway: { chart: "gateway-helm", version: "v1.9.0", repo: "oci://docker.io/envoyproxy" },
  gatewayCrds: { chart: "gateway-crds-helm", version: "v1.9.0", repo: "oci://docker.io/envoyproxy" },
  // AWS only: the ALB behind the portal's Gateway.
  awsLoadBalancerController: { chart: "aws-load-balancer-controller", version: "3.5.0", repo: "https://aws.github.io/eks-charts" },
  certManager: { chart: "cert-manager", version: "v1.21.1", repo: "https://charts.jetstack.io" },
  // AWS only: GKE scales its node pools and installs the device plugin itself.
  clusterAutoscaler: { chart: "cluster-autoscaler", version: "9.59.0", repo: "https://kubernetes.github.io/autoscaler" },
  nvidiaDevicePlugin: { chart: "nvidia-device-plugin", version: "0.20.0", repo: "https://nvidia.github.io/k8s-device-plugin" },
  // Observability, each behind its own stack toggle.
  kubePrometheusStack: { chart: "kube-prometheus-stack", version: "88.5.3", repo: "https://prometheus-community.github.io/helm-charts" },
  dcgmExporter: { chart: "dcgm-exporter", version: "4.8.2", repo: "https://nvidia.github.io/dcgm-exporter/helm-charts" },
  opensearch: { chart: "opensearch", version: "3.6.0", repo: "https://opensearch-project.github.io/helm-charts" },
  opensearchDashboards: { chart: "opensearch-dashboards", version: "3.6.0", repo: "https://opensearch-project.github.io/helm-charts" },
  fluentBit: { chart: "fluent-bit", version: "0.58.1", repo: "https://fluent.github.io/helm-charts" },
} as const satisfies Record<string, UpstreamChart>;

/**
 * cluster-autoscaler must match the cluster's Kubernetes minor version, so the Kubernetes versions the
 * aws stack accepts are exactly those listed here (latest patch of each).
 */
export const clusterAutoscalerImageTags: Readonly<Record<string, string>> = {
  "1.33": "v1.33.6",
  "1.34": "v1.34.5",
  "1.35": "v1.35.2",
  "1.36": "v1.36.1",
};

/**
 * Ports on the nodes that the Kubernetes API server itself connects to: admission webhooks and
 * aggregated APIs. The charts are given these values, and a cloud whose control plane reaches the nodes
 * only on some ports (private GKE: 443 and 10250) opens exactly these. Chart keys and defaults as read at
 * the pinned versions: keda service.portHttpsTarget (6443) and webhooks.port (9443); cert-manager webhook.securePort (10250);
 * kube-prometheus-stack prometheusOperator.tls.internalPort (10250).
 */
export const controlPlaneCallbackPorts = {
  kedaMetricsApi: 6443,
  kedaAdmissionWebhooks: 9443,
  certManagerWebhook: 10250,
  prometheusOperatorWebhook: 10250,
} as const;

/** The callback ports of the components a stack installs (KEDA always), each once, ascending. */
export function controlPlaneCallbackPortsFor(components: { readonly tls: boolean; readonly monitoring: boolean }): number[] {
  const ports: number[] = [controlPlaneCallbackPorts.kedaMetricsApi, controlPlaneCallbackPorts.kedaAdmissionWebhooks];
  if (components.tls) ports.push(controlPlaneCallbackPorts.certManagerWebhook);
  if (components.monitoring) ports.push(controlPlaneCallbackPorts.prometheusOperatorWebhook);
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** Resources of the upstream charts' short-lived hook Jobs (webhook certificates, API checks). */
export const hookJobResources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } as const;

/** Third-party images our own charts and objects run, pinned like the charts. */
export const upstreamImages = {
  valkey: { repository: "valkey/valkey", tag: "8.1.4-alpine" },
  // The alpine build: the chart copies its static binary out with cp (charts/redis/templates/exporter.yaml).
  redisExporter: { repository: "oliver006/redis_exporter", tag: "v1.88.0-alpine" },
  // Stand-in for the bucket on the local stack only.
  minio: { repository: "minio/minio", tag: "RELEASE.2025-09-07T16-13-09Z" },
  minioClient: { repository: "minio/mc", tag: "RELEASE.2025-08-13T08-35-41Z" },
  // OpenVPN Access Server, maintained by OpenVPN Inc. (free for two concurrent connections).
  openvpnAccessServer: { repository: "openvpn/openvpn-as", tag: "3.0.2-87c70987-Ubuntu24" },
  // OpenSearch's init containers (volume ownership, vm.max_map_count).
  busybox: { repository: "busybox", tag: "1.37.0" },
  // Applies the log retention policy to OpenSearch once it answers.
  curl: { repository: "curlimages/curl", tag: "8.16.0" },
} as const;

/** Pulumi's type token for a chart installed the way every chart here is: a Helm release. */
export const helmReleaseType = "kubernetes:helm.sh/v3:Release";

/**
 * Every chart, ours and upstream, is installed as a `helm.v3.Release`, a custom resource that the
 * provider drives with the Helm library, for three reasons the README spells out: a preview shows what it
 * will install while the cluster does not exist yet (a component such as `helm.v4.Chart` on a provider
 * whose kubeconfig is unknown is registered empty by current engines, and refused by 3.76 to 3.129), it
 * runs the charts' hooks (Chart v4 drops them, and
 * Envoy Gateway and kube-prometheus-stack make their certificates in hooks), and it waits for the
 * release to be ready and rolls a failed install or upgrade back as one unit.
 */
export const releaseBehaviour = {
  // Roll a failed install or upgrade back (implies waiting for readiness), and delete what it created.
  atomic: true,
  cleanupOnFail: true,
  // Seconds for each Kubernetes operation; OpenSearch and a cloud load balancer can take minutes.
  timeout: 900,
  // Release history is kept as Secrets in the release namespace; a handful is enough to roll back.
  maxHistory: 5,
} as const;

export function helmRelease(name: string, args: k8s.helm.v3.ReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(name, { ...releaseBehaviour, ...args }, opts);
}

/** What a Release is given to find a pinned chart: its repository, or a folder holding it unpacked. */
export interface ChartSource {
  readonly chart: string;
  readonly version: string;
  readonly repositoryOpts?: { readonly repo: string };
}

/**
 * The folder of `chart` in a directory of unpacked charts (`helm pull CHART --version V --untar -d DIR`),
 * checked against the pinned version, so an air-gapped install never runs a chart other than the one pinned.
 */
export function upstreamChartFolder(dir: string, chart: string, version: string): string {
  // `helm pull oci://registry/path/name --untar` unpacks into a folder named after the chart alone.
  const folder = path.resolve(dir, chart.startsWith("oci://") ? path.posix.basename(chart) : chart);
  const chartFile = path.join(folder, "Chart.yaml");
  if (!fs.existsSync(chartFile)) throw new Error(`no chart source for ${chart} ${version}: ${chartFile} does not exist (helm pull ${chart} --version ${version} --untar -d ${dir})`);
  const found = YAML.parse(fs.readFileSync(chartFile, "utf8")).version;
  if (found !== version) throw new Error(`${chartFile} is version ${found}; the program pins ${chart} ${version}`);
  return folder;
}

/** A pinned chart from its repository, or from kiosk:upstreamChartsDir when that is set. */
export function pinnedChart(config: { readonly upstreamChartsDir?: string }, pin: UpstreamChart): ChartSource {
  if (config.upstreamChartsDir === undefined) {
    // An OCI registry is named in the chart reference itself; Helm refuses it as a repository URL.
    if (pin.repo.startsWith("oci://")) return { chart: `${pin.repo}/${pin.chart}`, version: pin.version };
    return { chart: pin.chart, version: pin.version, repositoryOpts: { repo: pin.repo } };
  }
  try {
    return { chart: upstreamChartFolder(config.upstreamChartsDir, pin.chart, pin.version), version: pin.version };
  } catch (error) {
    throw new Error(`kiosk:upstreamChartsDir: ${(error as Error).message}`);
  }
}

/** Installs a pinned upstream chart as release `release` in `namespace`. */
export function upstreamChart(
  name: string,
  source: ChartSource,
  release: string,
  namespace: pulumi.Input<string>,
  values: pulumi.Input<Record<string, unknown>>,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return helmRelease(name, { ...source, name: release, namespace, values }, opts);
}
