/**
 * Where the pack's rules do not hold for third-party charts, and why. Our own resources and charts get
 * no exemption. An exemption names the chart, the policy and the workloads it covers; anything else the
 * chart renders is held to every rule.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface ChartExemption {
  readonly chart: string;
  readonly policy: string;
  /** Names of the chart's workload objects (Deployment, DaemonSet, StatefulSet, Job) the exemption covers. */
  readonly workloads: readonly string[];
  /** Containers of those workloads it covers; undefined means all of them. */
  readonly containers?: readonly string[];
  readonly reason: string;
}

const runsAsRoot = "containers-bounded-and-non-root";

export const chartExemptions: readonly ChartExemption[] = [
  {
    chart: "nvidia-device-plugin",
    policy: runsAsRoot,
    workloads: ["nvidia-device-plugin"],
    reason: "runs as root to create its socket in the kubelet's root-owned /var/lib/kubelet/device-plugins (hostPath)",
  },
  {
    chart: "nvidia-device-plugin",
    policy: runsAsRoot,
    workloads: ["nvidia-device-plugin-mps-control-daemon"],
    reason: "privileged MPS daemon; it runs only on nodes labelled nvidia.com/mps.capable=true, which the Kiosk never labels (no GPU sharing), so no pod starts",
  },
  {
    chart: "dcgm-exporter",
    policy: runsAsRoot,
    workloads: ["dcgm-exporter"],
    reason: "runs as root with SYS_ADMIN (the chart's default) to read GPU profiling metrics (duty cycle) through DCGM",
  },
  {
    chart: "fluent-bit",
    policy: runsAsRoot,
    workloads: ["fluent-bit"],
    reason: "runs as root to read the nodes' root-owned container log files under /var/log and keep its read positions there",
  },
  {
    chart: "opensearch",
    policy: runsAsRoot,
    workloads: ["opensearch-cluster-master"],
    containers: ["sysctl"],
    reason: "its privileged sysctl init container raises the node's vm.max_map_count to 262144, without which OpenSearch refuses to start; the server itself runs as uid 1000",
  },
];

/** The exemption that covers `violation` (a policy's message, which names the container) of `object` from `chart`, if any. */
export function chartExemptionFor(chart: string, policy: string, object: Record<string, any>, violation: string): ChartExemption | undefined {
  const container = /^container (\S+)/.exec(violation)?.[1];
  return chartExemptions.find(
    (e) => e.chart === chart && e.policy === policy && e.workloads.includes(object.metadata?.name) && (e.containers === undefined || (container !== undefined && e.containers.includes(container))),
  );
}
