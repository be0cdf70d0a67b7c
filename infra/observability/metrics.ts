import { kioskNamespace, tfServingService } from "../kiosk-contract";
import { platformNamespaces } from "../platform/namespaces";
import { jobCounts, jobCountSeries } from "../platform/redis";

/**
 * The metrics the Kiosk's dashboard and alerts use, by the exporter that publishes them (names as in
 * each exporter's source: redis_exporter's exporter.go, dcgm-exporter's default-counters.csv,
 * kube-state-metrics' docs, TF-Serving's monitoring config). A query may use only metrics listed here,
 * and only from exporters the stack installs.
 */
export const exportedMetrics = {
  // redis_script_values: what charts/redis's count-jobs.lua returns (exporter.go "script_values", labels key and filename).
  redisExporter: ["redis_up", jobCounts.metric, "redis_commands_total"],
  dcgmExporter: ["DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"],
  kubeStateMetrics: ["kube_deployment_status_replicas", "kube_deployment_status_replicas_available", "kube_node_labels"],
  tfServing: [":tensorflow:serving:request_count", ":tensorflow:serving:request_latency_bucket"],
} as const;
export type Exporter = keyof typeof exportedMetrics;

/** kube-prometheus-stack's release name and fullnameOverride; its Services are named after it. */
export const kubePrometheusStackName = "kube-prometheus-stack";
/**
 * The in-cluster Prometheus (kube-prometheus-stack 88.5.3 templates/prometheus/service.yaml: `<fullname>-prometheus`,
 * values.yaml prometheus.service.port 9090), which KEDA reads GPU utilisation from where the stack runs dcgm-exporter.
 */
export const inClusterPrometheusUrl = `http://${kubePrometheusStackName}-prometheus.${platformNamespaces.monitoring}.svc.cluster.local:9090`;

/**
 * Summed GPU utilisation (percent per GPU) over the cluster's GPUs. Only TF-Serving runs on the GPU pool
 * (tainted), so every GPU counted is TF-Serving's, and no pod or container label is needed: those carry
 * an `exported_` prefix or not depending on the scraper (dcgm-exporter 4.5.3-4.8.2
 * internal/pkg/transformation/const.go names them pod/namespace/container; Prometheus renames clashing labels).
 */
export function gpuUtilisationSum(matchers = ""): string {
  return `sum(DCGM_FI_DEV_GPU_UTIL${matchers ? `{${matchers}}` : ""})`;
}

/** kube-state-metrics exports node labels only when allowed; the pool label becomes this Prometheus label. */
export const poolLabelAllowlist = "nodes=[kiosk.deepcell.org/pool]";
export const poolMetricLabel = "label_kiosk_deepcell_org_pool";

/** PromQL building blocks shared by the dashboard and the alerts, so both measure the same thing. */
export function kioskQueries(queues: readonly string[]) {
  const queueKeys = queues.join("|");
  const deployment = (name: string) => `namespace="${kioskNamespace}",deployment="${name}"`;
  const tfServingAvailable = `kube_deployment_status_replicas_available{${deployment(tfServingService.name)}}`;
  return {
    queueDepth: `sum by (key) (${jobCounts.metric}{key=~"${jobCounts.waiting(`(${queueKeys})`)}"})`,
    totalQueued: `sum(${jobCountSeries(jobCounts.allWaiting)})`,
    // The exporter's own total: summing the per-queue counts with it counted every job twice.
    inFlight: `sum(${jobCountSeries(jobCounts.allInFlight)})`,
    jobsSubmittedPerMinute: `sum(rate(redis_commands_total{cmd="lpush"}[5m])) * 60`,
    tfServingReplicas: `sum(${tfServingAvailable})`,
    /** True (a sample) when no TF-Serving replica is available, including before kube-state-metrics has seen the Deployment. */
    noTfServing: `((sum(${tfServingAvailable})) == 0 or absent(${tfServingAvailable}))`,
    consumerReplicas: `sum by (deployment) (kube_deployment_status_replicas{namespace="${kioskNamespace}",deployment=~".*-consumer"})`,
    nodesByPool: `count by (${poolMetricLabel}) (kube_node_labels)`,
    gpuNodes: `count(kube_node_labels{${poolMetricLabel}="gpu"})`,
    gpuUtilisation: `avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)`,
    gpuMemoryUsedMiB: `sum by (Hostname, gpu) (DCGM_FI_DEV_FB_USED)`,
    tfServingRequestsPerSecond: `sum(rate(:tensorflow:serving:request_count[5m]))`,
    redisUp: `max(redis_up)`,
  };
}

/** Metric names a PromQL expression uses (identifiers followed by `{`, `[`, `)` or the end, that are not functions or labels). */
export function metricsIn(expression: string): string[] {
  const withoutLabels = expression.replace(/\{[^}]*\}/g, "{}").replace(/\[[^\]]*\]/g, "[]");
  const functionsAndKeywords = new Set(["sum", "avg", "max", "min", "count", "rate", "by", "on", "and", "or", "unless", "absent", "histogram_quantile", "vector", "le"]);
  const names = withoutLabels.match(/:?[A-Za-z_][A-Za-z0-9_:]*/g) ?? [];
  const inGrouping = new Set<string>();
  for (const match of withoutLabels.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)) for (const label of match[1].split(",")) inGrouping.add(label.trim());
  return [...new Set(names.filter((n) => !functionsAndKeywords.has(n) && !inGrouping.has(n)))];
}
