import { kioskQueries } from "./metrics";

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Alerts for the ways the Kiosk fails quietly: work that never reaches a GPU, GPUs that never go away, Redis gone. */
export function kioskAlertRules(queues: readonly string[]): AlertRule[] {
  const q = kioskQueries(queues);
  return [
    {
      alert: "KioskJobsWaitingWithoutTfServing",
      expr: `(${q.totalQueued}) > 0 and on() ${q.noTfServing}`,
      for: "10m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Jobs have waited 10 minutes with no TF-Serving replica",
        description: "Check KEDA's ScaledObject for tf-serving, the GPU quota and the node autoscaler's events (kubectl -n deepcell describe pod -l app.kubernetes.io/name=tf-serving).",
      },
    },
    {
      alert: "KioskGpuNodesIdle",
      expr: `(${q.gpuNodes}) > 0 and on() ${q.noTfServing}`,
      for: "30m",
      labels: { severity: "warning" },
      annotations: {
        summary: "GPU nodes have run for 30 minutes with no TF-Serving replica",
        description: "The node autoscaler is not removing idle GPU nodes; look for pods that block scale-down on them (kubectl get pods -A -o wide).",
      },
    },
    {
      alert: "KioskRedisDown",
      expr: `(${q.redisUp}) == 0 or absent(redis_up)`,
      for: "2m",
      labels: { severity: "critical" },
      annotations: { summary: "Redis is unreachable", description: "Jobs cannot be queued or picked up. Check the redis StatefulSet in the deepcell namespace." },
    },
  ];
}
