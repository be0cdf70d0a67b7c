import { kioskQueries } from "./metrics";

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly { readonly expr: string; readonly legendFormat: string }[];
}

/** The Kiosk's Grafana dashboard: is work waiting, is it being done, and what is it costing (GPU nodes and their use). */
export function kioskDashboard(queues: readonly string[], withGpuMetrics: boolean): Record<string, unknown> {
  const q = kioskQueries(queues);
  const panels: Panel[] = [
    { title: "Jobs waiting per queue", unit: "short", targets: [{ expr: q.queueDepth, legendFormat: "{{key}}" }] },
    { title: "Jobs in flight", unit: "short", targets: [{ expr: q.inFlight, legendFormat: "in flight" }] },
    { title: "Jobs submitted per minute", unit: "short", targets: [{ expr: q.jobsSubmittedPerMinute, legendFormat: "submitted/min" }] },
    {
      title: "Replicas",
      unit: "short",
      targets: [
        { expr: q.tfServingReplicas, legendFormat: "tf-serving" },
        { expr: q.consumerReplicas, legendFormat: "{{deployment}}" },
      ],
    },
    { title: "Nodes per pool", unit: "short", targets: [{ expr: q.nodesByPool, legendFormat: "{{label_kiosk_deepcell_org_pool}}" }] },
    { title: "TF-Serving requests per second", unit: "reqps", targets: [{ expr: q.tfServingRequestsPerSecond, legendFormat: "requests/s" }] },
  ];
  if (withGpuMetrics) {
    panels.push(
      { title: "GPU duty cycle", unit: "percent", targets: [{ expr: q.gpuUtilisation, legendFormat: "{{Hostname}} GPU {{gpu}}" }] },
      { title: "GPU memory used", unit: "mbytes", targets: [{ expr: q.gpuMemoryUsedMiB, legendFormat: "{{Hostname}} GPU {{gpu}}" }] },
    );
  }
  return {
    uid: "deepcell-kiosk",
    title: "DeepCell Kiosk",
    tags: ["deepcell", "kiosk"],
    timezone: "utc",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: "timeseries",
      title: panel.title,
      datasource: { type: "prometheus", uid: "prometheus" },
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((target, t) => ({ refId: String.fromCharCode(65 + t), expr: target.expr, legendFormat: target.legendFormat })),
    })),
  };
}
