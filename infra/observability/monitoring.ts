import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KioskConfig } from "../config";
import { kioskNamespace, metricsEndpoints, queuesOf } from "../kiosk-contract";
import { platformNamespace } from "../platform/kubernetes";
import { platformNamespaces } from "../platform/namespaces";
import { CloudLayer } from "../seam";
import { upstreamChart, upstreamCharts } from "../upstream-charts";
import { kioskAlertRules } from "./alerts";
import { kioskDashboard } from "./dashboard";
import { poolLabelAllowlist } from "./metrics";

export interface MonitoringArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/** Names other components and the docs refer to. */
export const grafanaAdminSecretName = "grafana-admin";
export const grafanaService = { name: "kube-prometheus-stack-grafana", port: 80 } as const;

/**
 * Prometheus, Alertmanager and Grafana (kube-prometheus-stack), scraping the Kiosk's Redis exporter and
 * TF-Serving, GPU metrics from DCGM on GPU nodes, with the Kiosk's dashboard and alerts. Grafana's admin
 * password is random and kept as a Pulumi secret; none of the UIs is public unless exposeInternalUis says so.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:observability:Monitoring", name, {}, opts);
    const { config, cloud } = args;
    const namespace = platformNamespaces.monitoring;
    const queues = queuesOf(config.jobTypes);
    // node-exporter reads the host's network and process namespaces.
    const ns = platformNamespace(`${name}-namespace`, namespace, "privileged", { parent: this });
    const inNamespace = { parent: this, dependsOn: [ns] };

    const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this });
    this.grafanaAdminPassword = pulumi.secret(password.result);
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      { metadata: { name: grafanaAdminSecretName, namespace }, stringData: { "admin-user": "admin", "admin-password": this.grafanaAdminPassword } },
      inNamespace,
    );
    const volume = (sizeGi: number) => ({ accessModes: ["ReadWriteOnce"], storageClassName: cloud.storageClassName, resources: { requests: { storage: `${sizeGi}Gi` } } });
    const uiServiceType = config.exposeInternalUis ? "LoadBalancer" : "ClusterIP";

    this.chart = upstreamChart(
      `${name}-kube-prometheus-stack`,
      upstreamCharts.kubePrometheusStack,
      "kube-prometheus-stack",
      namespace,
      {
        fullnameOverride: "kube-prometheus-stack",
        prometheus: {
          service: { type: "ClusterIP" },
          prometheusSpec: {
            retention: config.monitoring.retention,
            // Pick up the Kiosk's ServiceMonitors and rules, not only the chart's own.
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            ruleSelectorNilUsesHelmValues: false,
            storageSpec: { volumeClaimTemplate: { spec: volume(config.monitoring.prometheusStorageGi) } },
            resources: { requests: { cpu: "200m", memory: "1Gi" }, limits: { memory: "2Gi" } },
          },
        },
        alertmanager: { service: { type: "ClusterIP" } },
        grafana: {
          admin: { existingSecret: grafanaAdminSecretName, userKey: "admin-user", passwordKey: "admin-password" },
          persistence: { enabled: true, size: `${config.monitoring.grafanaStorageGi}Gi`, storageClassName: cloud.storageClassName },
          service: { type: uiServiceType },
          sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" } },
        },
        "kube-state-metrics": { metricLabelsAllowlist: [poolLabelAllowlist] },
      },
      { parent: this, dependsOn: [ns, adminSecret] },
    );
    const afterChart = { parent: this, dependsOn: [this.chart] };

    if (cloud.gpuPlacement) {
      upstreamChart(
        `${name}-dcgm-exporter`,
        upstreamCharts.dcgmExporter,
        "dcgm-exporter",
        namespace,
        {
          nodeSelector: cloud.gpuPlacement.nodeSelector,
          tolerations: cloud.gpuPlacement.tolerations,
          serviceMonitor: { enabled: true, interval: "15s" },
          resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        },
        afterChart,
      );
    }

    const serviceMonitor = (monitorName: string, endpoint: (typeof metricsEndpoints)[keyof typeof metricsEndpoints]) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${monitorName}`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: { name: monitorName, namespace: kioskNamespace },
          spec: {
            selector: { matchLabels: { ...endpoint.selector } },
            endpoints: [{ port: endpoint.portName, path: endpoint.path, interval: "15s" }],
          },
        },
        afterChart,
      );
    serviceMonitor("tf-serving", metricsEndpoints.tfServing);
    serviceMonitor("redis-exporter", metricsEndpoints.redisExporter);

    new k8s.apiextensions.CustomResource(
      `${name}-kiosk-alerts`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "kiosk", namespace },
        spec: { groups: [{ name: "kiosk", rules: kioskAlertRules(queues) }] },
      },
      afterChart,
    );
    new k8s.core.v1.ConfigMap(
      `${name}-kiosk-dashboard`,
      {
        metadata: { name: "kiosk-dashboard", namespace, labels: { grafana_dashboard: "1" } },
        data: { "kiosk.json": JSON.stringify(kioskDashboard(queues, cloud.gpuPlacement !== undefined)) },
      },
      inNamespace,
    );
    this.registerOutputs({});
  }
}
