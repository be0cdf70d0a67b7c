import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { AlertReceivers, KioskConfig, portalSourceRanges } from "../config";
import { kioskNamespace, metricsEndpoints, queuesOf } from "../kiosk-contract";
import { platformNamespace } from "../platform/kubernetes";
import { platformNamespaces } from "../platform/namespaces";
import { CloudLayer } from "../seam";
import { controlPlaneCallbackPorts, hookJobResources, pinnedChart, upstreamChart, upstreamCharts } from "../upstream-charts";
import { kioskAlertRules } from "./alerts";
import { kioskDashboard } from "./dashboard";
import { kubePrometheusStackName, poolLabelAllowlist } from "./metrics";

export interface MonitoringArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/** Names other components and the docs refer to. */
export const grafanaAdminSecretName = "grafana-admin";
export const grafanaService = { name: `${kubePrometheusStackName}-grafana`, port: 80 } as const;

export const alertmanagerConfigSecretName = "alertmanager-kiosk";
/** kube-prometheus-stack's scrape targets for control-plane parts that managed clusters do not expose. */
export const unreachableControlPlane = ["kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"] as const;
/** And its default rule groups about them (KubeControllerManagerDown, KubeSchedulerDown, KubeProxyDown, etcd*). */
export const unreachableControlPlaneRules = ["kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy", "etcd"] as const;

/**
 * The Service values of an internal UI (Grafana, OpenSearch Dashboards): ClusterIP, or with
 * kiosk:exposeInternalUis a load balancer that admits the portal's allowed CIDRs only. Both charts render
 * service.loadBalancerSourceRanges for a LoadBalancer (grafana-community/helm-charts@grafana-12.11.1, the
 * grafana kube-prometheus-stack 88.5.3 depends on, and opensearch-project/helm-charts@opensearch-dashboards-3.6.0,
 * templates/service.yaml of each).
 */
export function internalUiService(config: Pick<KioskConfig, "exposeInternalUis" | "portalAccess">): { type: "ClusterIP" | "LoadBalancer"; loadBalancerSourceRanges?: readonly string[] } {
  if (!config.exposeInternalUis) return { type: "ClusterIP" };
  const sourceRanges = portalSourceRanges(config.portalAccess);
  return sourceRanges ? { type: "LoadBalancer", loadBalancerSourceRanges: sourceRanges } : { type: "LoadBalancer" };
}

/**
 * Alertmanager's configuration: every alert to each configured receiver, grouped by alert and queue;
 * with none configured, alerts stay visible in Alertmanager and Grafana only (the "null" receiver).
 */
export function alertmanagerConfigYaml(receivers: AlertReceivers): string {
  const configs: Record<string, unknown> = {};
  if (receivers.webhookUrl) configs.webhook_configs = [{ url: receivers.webhookUrl, send_resolved: true }];
  if (receivers.slackWebhookUrl) configs.slack_configs = [{ api_url: receivers.slackWebhookUrl, send_resolved: true, title: "{{ .CommonLabels.alertname }} ({{ .Status }})", text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}" }];
  const receiver = Object.keys(configs).length > 0 ? "kiosk" : "null";
  const config = {
    route: {
      receiver,
      group_by: ["alertname", "queue"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
      // The always-firing Watchdog proves the pipeline works; it is not news.
      routes: [{ matchers: ['alertname = "Watchdog"'], receiver: "null" }],
    },
    receivers: [{ name: "null" }, ...(receiver === "kiosk" ? [{ name: "kiosk", ...configs }] : [])],
  };
  return JSON.stringify(config, null, 2);
}

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
    const alertmanagerConfig = new k8s.core.v1.Secret(
      `${name}-alertmanager-config`,
      { metadata: { name: alertmanagerConfigSecretName, namespace }, stringData: pulumi.secret({ "alertmanager.yaml": alertmanagerConfigYaml(config.monitoring.alertReceivers) }) },
      inNamespace,
    );
    const volume = (sizeGi: number) => ({ accessModes: ["ReadWriteOnce"], storageClassName: cloud.storageClassName, resources: { requests: { storage: `${sizeGi}Gi` } } });

    this.chart = upstreamChart(
      `${name}-kube-prometheus-stack`,
      pinnedChart(config, upstreamCharts.kubePrometheusStack),
      kubePrometheusStackName,
      namespace,
      {
        fullnameOverride: kubePrometheusStackName,
        prometheusOperator: {
          tls: { internalPort: controlPlaneCallbackPorts.prometheusOperatorWebhook },
          resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
          // Its webhook certificate is made and installed by pre-/post-install hook Jobs, which a Release runs.
          admissionWebhooks: { patch: { resources: hookJobResources } },
        },
        prometheus: {
          service: { type: "ClusterIP" },
          prometheusSpec: {
            retention: config.monitoring.retention,
            // Pick up the Kiosk's ServiceMonitors and rules, not only the chart's own.
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            ruleSelectorNilUsesHelmValues: false,
            storageSpec: { volumeClaimTemplate: { spec: volume(config.monitoring.prometheusStorageGi) } },
            // The operator's StatefulSet takes its claim with it, so that `pulumi destroy` strands no disk.
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
            resources: { requests: { cpu: "200m", memory: "1Gi" }, limits: { memory: "2Gi" } },
          },
        },
        // Our own config Secret, so that receiver URLs stay Pulumi secrets and out of the release's values.
        alertmanager: { service: { type: "ClusterIP" }, alertmanagerSpec: { configSecret: alertmanagerConfigSecretName, useExistingSecret: true } },
        // EKS and GKE run these control-plane parts out of reach: scraping them only fires *Down alerts forever.
        ...Object.fromEntries(unreachableControlPlane.map((component) => [component, { enabled: false }])),
        defaultRules: { rules: Object.fromEntries(unreachableControlPlaneRules.map((group) => [group, false])) },
        grafana: {
          // One ReadWriteOnce volume: a rolling update's new pod would wait forever for the old pod's volume.
          deploymentStrategy: { type: "Recreate" },
          resources: { requests: { cpu: "50m", memory: "192Mi" }, limits: { memory: "512Mi" } },
          // fsGroup gives Grafana its volume on EBS and PD; the chart's root chown init container is not needed.
          initChownData: { enabled: false },
          admin: { existingSecret: grafanaAdminSecretName, userKey: "admin-user", passwordKey: "admin-password" },
          persistence: { enabled: true, size: `${config.monitoring.grafanaStorageGi}Gi`, storageClassName: cloud.storageClassName },
          service: internalUiService(config),
          sidecar: {
            resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "192Mi" } },
            dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
          },
        },
        "kube-state-metrics": { metricLabelsAllowlist: [poolLabelAllowlist], resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } } },
        "prometheus-node-exporter": {
          resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
          containerSecurityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
        },
      },
      { parent: this, dependsOn: [ns, adminSecret, alertmanagerConfig] },
    );
    const afterChart = { parent: this, dependsOn: [this.chart] };

    const dcgmExporter = cloud.gpuPlacement?.gpuMetrics === "dcgm-exporter";
    if (cloud.gpuPlacement && dcgmExporter) {
      upstreamChart(
        `${name}-dcgm-exporter`,
        pinnedChart(config, upstreamCharts.dcgmExporter),
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
        data: { "kiosk.json": JSON.stringify(kioskDashboard(queues, dcgmExporter)) },
      },
      inNamespace,
    );
    this.registerOutputs({});
  }
}
