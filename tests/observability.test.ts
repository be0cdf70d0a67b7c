import * as path from "path";
import { exportedMetrics, metricsIn } from "../infra/observability/metrics";
import { allObjects, KubernetesObject, renderGraph } from "../offline/render";
import { evaluateStack, projectRoot, RegisteredResource, StackGraph } from "../offline/evaluate";
import { helmLint } from "../offline/helm";
import { validateAgainstKubernetesSchemas } from "./support/kube-schema";
import { envOf, find, matches, podTemplateOwners } from "./support/kubernetes-objects";

const chartType = "kubernetes:helm.sh/v3:Release";
const observabilityComponents = ["kiosk:observability:Logging", "kiosk:observability:Monitoring", "kiosk:observability:Vpn"];
const toggles = { monitoring: "kiosk:observability:Monitoring", logging: "kiosk:observability:Logging", vpn: "kiosk:observability:Vpn" } as const;
const chartsOf = { monitoring: ["kube-prometheus-stack"], logging: ["fluent-bit", "opensearch", "opensearch-dashboards"], vpn: ["charts/openvpn"] } as const;
const allOff = { "kiosk:monitoring": false, "kiosk:logging": false, "kiosk:vpn": false };
const allOn = { "kiosk:monitoring": true, "kiosk:logging": true, "kiosk:vpn": true };

const observabilityCharts = (graph: StackGraph): RegisteredResource[] =>
  graph.descendantsOf(graph.one("kiosk:observability:Observability")).filter((r) => r.type === chartType);
const chart = (graph: StackGraph, name: string): RegisteredResource => {
  const found = observabilityCharts(graph).find((c) => c.inputs.chart === name);
  if (!found) throw new Error(`no chart ${name}`);
  return found;
};
const customResource = (graph: StackGraph, kind: string): RegisteredResource[] =>
  graph.resources.filter((r) => r.type.startsWith("kubernetes:monitoring.coreos.com/v1:") && r.inputs.kind === kind);

describe.each(["aws", "gcp", "local"])("observability toggles on the %s stack", (stack) => {
  it("adds nothing when every toggle is off", async () => {
    const graph = await evaluateStack(stack, allOff);
    const components = graph.resources.filter((r) => observabilityComponents.includes(r.type));
    expect(components).toEqual([]);
    expect(graph.descendantsOf(graph.one("kiosk:observability:Observability"))).toEqual([]);
  });

  it.each(Object.keys(toggles) as (keyof typeof toggles)[])("adds exactly the %s components when only it is on", async (toggle) => {
    const graph = await evaluateStack(stack, { ...allOff, [`kiosk:${toggle}`]: true });
    expect(graph.resources.filter((r) => observabilityComponents.includes(r.type)).map((r) => r.type)).toEqual([toggles[toggle]]);
    const expectedCharts = [...chartsOf[toggle], ...(toggle === "monitoring" && stack === "aws" ? ["dcgm-exporter"] : [])].sort();
    expect(observabilityCharts(graph).map((c) => c.inputs.chart).sort()).toEqual(expectedCharts);
  });
});

describe("monitoring", () => {
  let graph: StackGraph;
  let objects: KubernetesObject[];
  beforeAll(async () => {
    // aws: the stack where the platform itself exports GPU metrics (dcgm-exporter).
    graph = await evaluateStack("aws", allOn);
    objects = allObjects(renderGraph(graph));
  });

  it("installs kube-prometheus-stack from its pinned chart with retention and storage from config", async () => {
    const kps = chart(graph, "kube-prometheus-stack");
    expect(kps.inputs).toMatchObject({ version: "88.5.3", repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" }, namespace: "monitoring" });
    expect(kps.inputs.values.prometheus.prometheusSpec.retention).toBe("15d");
    expect(kps.inputs.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("20Gi");
    expect(kps.inputs.values.grafana.persistence).toMatchObject({ enabled: true, size: "2Gi" });
    const sized = await evaluateStack("gcp", { "kiosk:metricsRetention": "30d", "kiosk:prometheusStorageGi": 50, "kiosk:grafanaStorageGi": 5 });
    const sizedValues = chart(sized, "kube-prometheus-stack").inputs.values;
    expect(sizedValues.prometheus.prometheusSpec.retention).toBe("30d");
    expect(sizedValues.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).toBe("50Gi");
    expect(sizedValues.grafana.persistence.size).toBe("5Gi");
  });

  it("gives Grafana a random admin password held as a Pulumi secret, never a default", () => {
    const password = graph.one("random:index/randomPassword:RandomPassword", "kiosk-monitoring-grafana-admin");
    expect(password.inputs.length).toBeGreaterThanOrEqual(24);
    const secret = graph.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "grafana-admin")!;
    expect(secret.inputs.metadata.namespace).toBe("monitoring");
    expect(secret.secretInputs.has("stringData")).toBe(true);
    expect(secret.inputs.stringData["admin-password"]).toBe("mock-password-of-kiosk-monitoring-grafana-admin");
    const grafana = chart(graph, "kube-prometheus-stack").inputs.values.grafana;
    expect(grafana.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    expect(grafana.adminPassword).toBeUndefined();
    expect(JSON.stringify(chart(graph, "kube-prometheus-stack").inputs.values)).not.toContain("prom-operator");
    expect(graph.secretOutputs.has("grafanaAdminPassword")).toBe(true);
    expect(graph.outputs.grafanaAdminPassword).toBe("mock-password-of-kiosk-monitoring-grafana-admin");
  });

  it("scrapes TF-Serving and the Redis exporter through ServiceMonitors that select existing Services on named ports", () => {
    const monitors = customResource(graph, "ServiceMonitor");
    expect(monitors.map((m) => m.inputs.metadata.name).sort()).toEqual(["redis-exporter", "tf-serving"]);
    for (const monitor of monitors) {
      const services = objects.filter(
        (o) => o.kind === "Service" && o.metadata.namespace === monitor.inputs.metadata.namespace && matches(monitor.inputs.spec.selector.matchLabels, o.metadata.labels ?? {}),
      );
      expect(services.length).toBe(1);
      for (const endpoint of monitor.inputs.spec.endpoints) {
        expect(services[0].spec.ports.map((p: { name: string }) => p.name)).toContain(endpoint.port);
      }
    }
    const tfServing = podTemplateOwners(objects).find((w) => w.name === "tf-serving")!;
    const env = envOf(tfServing.podSpec.containers.find((c: { name: string }) => c.name === "tf-serving"));
    expect(env.PROMETHEUS_MONITORING_ENABLED).toBe("true");
    // The monitoring config, path included, that the server serves is written by the program (pinned models).
    const monitoringConfig = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "tf-serving-config")!.data["monitoring_config.txt"];
    expect(monitoringConfig).toContain(`path: "${monitors.find((m) => m.inputs.metadata.name === "tf-serving")!.inputs.spec.endpoints[0].path}"`);
  });

  it("makes Prometheus pick up the Kiosk's monitors and rules", () => {
    const spec = chart(graph, "kube-prometheus-stack").inputs.values.prometheus.prometheusSpec;
    expect(spec).toMatchObject({ serviceMonitorSelectorNilUsesHelmValues: false, ruleSelectorNilUsesHelmValues: false });
  });

  it("leaves GPU metrics to GKE's own DCGM integration on gcp, without dcgm-exporter or the dashboard's GPU panels", async () => {
    const gcp = await evaluateStack("gcp", allOn);
    expect(observabilityCharts(gcp).map((c) => c.inputs.chart)).not.toContain("dcgm-exporter");
    expect(gcp.one("gcp:container/cluster:Cluster").inputs.monitoringConfig).toEqual({ enableComponents: ["SYSTEM_COMPONENTS", "DCGM"], managedPrometheus: { enabled: true } });
    const configMap = gcp.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "kiosk-dashboard")!;
    const titles = JSON.parse(configMap.inputs.data["kiosk.json"]).panels.map((p: { title: string }) => p.title);
    expect(titles).not.toContain("GPU duty cycle");
  });

  it("runs DCGM's exporter only on GPU nodes, with its ServiceMonitor", () => {
    const dcgm = chart(graph, "dcgm-exporter");
    expect(dcgm.inputs.version).toBe("4.8.2");
    expect(dcgm.inputs.values.nodeSelector).toEqual({ "kiosk.deepcell.org/pool": "gpu" });
    expect(dcgm.inputs.values.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    expect(dcgm.inputs.values.serviceMonitor.enabled).toBe(true);
  });

  describe("the Kiosk dashboard", () => {
    const dashboardOf = (g: StackGraph) => {
      const configMap = g.ofType("kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "kiosk-dashboard")!;
      return { configMap, dashboard: JSON.parse(configMap.inputs.data["kiosk.json"]) };
    };

    it("is a ConfigMap the Grafana sidecar picks up, holding dashboard JSON that parses", () => {
      const { configMap, dashboard } = dashboardOf(graph);
      const sidecar = chart(graph, "kube-prometheus-stack").inputs.values.grafana.sidecar.dashboards;
      expect(configMap.inputs.metadata.labels[sidecar.label]).toBe(sidecar.labelValue);
      expect(dashboard.title).toBe("DeepCell Kiosk");
      expect(dashboard.panels.length).toBeGreaterThanOrEqual(7);
    });

    it("shows queue depth, jobs per minute, GPU duty cycle, replicas and node counts", () => {
      const titles = dashboardOf(graph).dashboard.panels.map((p: { title: string }) => p.title);
      expect(titles).toEqual(
        expect.arrayContaining(["Jobs waiting per queue", "Jobs in flight", "Jobs submitted per minute", "GPU duty cycle", "Replicas", "Nodes per pool"]),
      );
    });

    it("queries only metrics that the installed exporters publish", () => {
      const provided = new Set<string>([...exportedMetrics.redisExporter, ...exportedMetrics.kubeStateMetrics, ...exportedMetrics.tfServing, ...exportedMetrics.dcgmExporter]);
      for (const panel of dashboardOf(graph).dashboard.panels) {
        for (const target of panel.targets) {
          const used = metricsIn(target.expr);
          expect(used.length).toBeGreaterThan(0);
          for (const metric of used) expect({ panel: panel.title, metric, provided: provided.has(metric) }).toEqual({ panel: panel.title, metric, provided: true });
        }
      }
    });

    it("asks for queue depth of exactly the queues the Redis exporter checks, and node labels kube-state-metrics is allowed to export", () => {
      const redisValues = graph.ofType(chartType).find((c) => c.inputs.chart === "charts/redis")!.inputs.values;
      const checked: string[] = redisValues.exporter.queues;
      const queueExpr = dashboardOf(graph).dashboard.panels.find((p: { title: string }) => p.title === "Jobs waiting per queue").targets[0].expr;
      const queried = /key=~"waiting:\(([^)"]+)\)"/.exec(queueExpr)![1].split("|");
      expect(queried.sort()).toEqual(checked.sort());
      expect(chart(graph, "kube-prometheus-stack").inputs.values["kube-state-metrics"].metricLabelsAllowlist).toEqual(["nodes=[kiosk.deepcell.org/pool]"]);
    });

    it("leaves GPU panels out where there are no GPUs", async () => {
      const local = await evaluateStack("local", { "kiosk:monitoring": true });
      const titles = dashboardOf(local).dashboard.panels.map((p: { title: string }) => p.title);
      expect(titles).not.toContain("GPU duty cycle");
      expect(observabilityCharts(local).map((c) => c.inputs.chart)).not.toContain("dcgm-exporter");
      for (const panel of dashboardOf(local).dashboard.panels) {
        for (const target of panel.targets) for (const metric of metricsIn(target.expr)) expect(exportedMetrics.dcgmExporter).not.toContain(metric);
      }
    });
  });

  describe("alerts", () => {
    const rules = () => customResource(graph, "PrometheusRule")[0].inputs.spec.groups.flatMap((g: { rules: unknown[] }) => g.rules);

    it("warns of jobs waiting with no TF-Serving for 10 minutes, idle GPU nodes, and Redis down", () => {
      const byName = Object.fromEntries(rules().map((r: { alert: string }) => [r.alert, r]));
      expect(Object.keys(byName).sort()).toEqual(["KioskGpuNodesIdle", "KioskJobsWaitingWithoutTfServing", "KioskRedisDown"]);
      expect(byName.KioskJobsWaitingWithoutTfServing.for).toBe("10m");
      expect(byName.KioskJobsWaitingWithoutTfServing.expr).toContain(`redis_script_values{key="waiting"}`);
      expect(byName.KioskJobsWaitingWithoutTfServing.expr).toContain('deployment="tf-serving"');
      expect(byName.KioskGpuNodesIdle.expr).toContain('label_kiosk_deepcell_org_pool="gpu"');
      expect(byName.KioskRedisDown.expr).toContain("redis_up");
    });

    it("uses only metrics the exporters publish", () => {
      const provided = new Set<string>(Object.values(exportedMetrics).flat());
      for (const rule of rules()) for (const metric of metricsIn(rule.expr)) expect({ alert: rule.alert, metric, ok: provided.has(metric) }).toEqual({ alert: rule.alert, metric, ok: true });
    });
  });
});

describe("internal UIs", () => {
  const serviceTypes = (graph: StackGraph): Record<string, string> => {
    const kps = chart(graph, "kube-prometheus-stack").inputs.values;
    return {
      grafana: kps.grafana.service.type,
      prometheus: kps.prometheus.service.type,
      alertmanager: kps.alertmanager.service.type,
      dashboards: chart(graph, "opensearch-dashboards").inputs.values.service.type,
      opensearch: chart(graph, "opensearch").inputs.values.service.type,
    };
  };

  it.each(["aws", "gcp", "local"])("get no public load balancer on %s unless exposeInternalUis says so", async (stack) => {
    const graph = await evaluateStack(stack, allOn);
    expect(Object.values(serviceTypes(graph)).every((type) => type === "ClusterIP")).toBe(true);
    const rendered = allObjects(renderGraph(graph));
    const observabilityNamespaces = ["monitoring", "logging", "vpn"];
    const publicServices = rendered.filter((o) => o.kind === "Service" && observabilityNamespaces.includes(o.metadata.namespace) && o.spec.type === "LoadBalancer");
    // The VPN endpoint is the one door in; its admin UI is not.
    expect(publicServices.map((s) => s.metadata.name)).toEqual(stack === "local" ? [] : ["openvpn"]);
    expect(find(rendered, "Service", "openvpn-admin").spec.type).toBe("ClusterIP");
  });

  it("are exposed when exposeInternalUis is true", async () => {
    const graph = await evaluateStack("gcp", { ...allOn, "kiosk:exposeInternalUis": true });
    expect(serviceTypes(graph)).toMatchObject({ grafana: "LoadBalancer", dashboards: "LoadBalancer", prometheus: "ClusterIP" });
  });

  it("admit only the portal's allowed CIDRs when exposed, as the portal does", async () => {
    const graph = await evaluateStack("aws", { ...allOn, "kiosk:portalAccess": "allowed-cidrs", "kiosk:portalAllowedCidrs": ["203.0.113.0/24"], "kiosk:tls": false, "kiosk:exposeInternalUis": true });
    expect(chart(graph, "kube-prometheus-stack").inputs.values.grafana.service).toEqual({ type: "LoadBalancer", loadBalancerSourceRanges: ["203.0.113.0/24"] });
    expect(chart(graph, "opensearch-dashboards").inputs.values.service).toEqual({ type: "LoadBalancer", loadBalancerSourceRanges: ["203.0.113.0/24"] });
  });
});

describe("logging", () => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack("aws", { "kiosk:logging": true, "kiosk:elasticsearchStorageGi": 40, "kiosk:logRetentionDays": 14 });
  });

  it("ships every node's container logs with Fluent Bit to OpenSearch, in daily kiosk-logs indices", () => {
    const fluentBit = chart(graph, "fluent-bit");
    expect(fluentBit.inputs.version).toBe("0.58.1");
    expect(fluentBit.inputs.values.tolerations).toEqual([{ operator: "Exists" }]);
    const output = fluentBit.inputs.values.config.outputs;
    expect(output).toMatch(/Name opensearch/);
    expect(output).toMatch(/Host opensearch-cluster-master/);
    expect(output).toMatch(/Logstash_Prefix kiosk-logs/);
  });

  it("sizes OpenSearch's volume from config and keeps logs for the configured days", () => {
    expect(chart(graph, "opensearch").inputs.values.persistence).toMatchObject({ enabled: true, size: "40Gi", storageClass: "gp3" });
    const job = graph.ofType("kubernetes:batch/v1:Job").find((j) => j.name === "kiosk-logging-retention")!;
    const container = job.inputs.spec.template.spec.containers[0];
    const policy = JSON.parse(container.env.find((e: { name: string }) => e.name === "POLICY").value);
    expect(policy.policy.states[0].transitions[0].conditions.min_index_age).toBe("14d");
    expect(policy.policy.ism_template[0].index_patterns).toEqual(["kiosk-logs-*"]);
    expect(container.image).toMatch(/^curlimages\/curl:\d+\.\d+\.\d+$/);
  });

  it("is off by default, as in the original Kiosk", async () => {
    const defaults = await evaluateStack("aws");
    expect(defaults.has("kiosk:observability:Logging")).toBe(false);
  });
});

describe("the OpenVPN chart", () => {
  it("lints and renders schema-valid objects with the values the program passes", async () => {
    const graph = await evaluateStack("gcp", { "kiosk:vpn": true });
    const rendered = renderGraph(graph);
    const vpn = rendered.ownCharts.find((c) => c.chart === "charts/openvpn")!;
    expect(vpn.namespace).toBe("vpn");
    expect(() => helmLint(path.join(projectRoot, vpn.chart), vpn.values)).not.toThrow();
    expect(validateAgainstKubernetesSchemas(vpn.objects)).toEqual([]);
    const deployment = find(vpn.objects, "Deployment", "openvpn");
    expect(deployment.spec.template.spec.containers[0].image).toBe("openvpn/openvpn-as:3.0.2-87c70987-Ubuntu24");
    expect(deployment.spec.template.spec.containers[0].securityContext.capabilities.add).toEqual(["NET_ADMIN"]);
    expect(find(vpn.objects, "Service", "openvpn").spec.ports).toEqual([{ name: "vpn", port: 1194, targetPort: "vpn", protocol: "UDP" }]);
    const namespace = graph.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "vpn")!;
    expect(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });
});
