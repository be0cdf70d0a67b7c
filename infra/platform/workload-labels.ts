/**
 * Pod labels our charts put on each workload (charts/<name>/templates); policies, autoscalers and
 * tests select on them, and the chart tests check that the rendered pods carry them.
 */
export const workloadLabels = {
  redis: { "app.kubernetes.io/name": "redis" },
  redisExporter: { "app.kubernetes.io/name": "redis-exporter" },
  tfServing: { "app.kubernetes.io/name": "tf-serving" },
  frontend: { "app.kubernetes.io/name": "frontend" },
  consumer: { "app.kubernetes.io/component": "consumer" },
  janitor: { "app.kubernetes.io/name": "redis-janitor" },
} as const;
