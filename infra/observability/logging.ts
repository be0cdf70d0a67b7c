import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { platformNamespace } from "../platform/kubernetes";
import { platformNamespaces } from "../platform/namespaces";
import { CloudLayer } from "../seam";
import { internalUiService } from "./monitoring";
import { pinnedChart, upstreamChart, upstreamCharts, upstreamImages } from "../upstream-charts";

export interface LoggingArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

export const openSearchService = { name: "opensearch-cluster-master", port: 9200 } as const;
export const logIndexPrefix = "kiosk-logs";

/** OpenSearch Index State Management policy: delete daily log indices after `days`. */
export function logRetentionPolicy(days: number): Record<string, unknown> {
  return {
    policy: {
      description: `Delete Kiosk container logs after ${days} days`,
      default_state: "hot",
      states: [
        { name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: `${days}d` } }] },
        { name: "delete", actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [`${logIndexPrefix}-*`], priority: 100 }],
    },
  };
}

/**
 * Container logs: Fluent Bit on every node ships them to a single-node OpenSearch, browsed with
 * OpenSearch Dashboards; daily indices are deleted after the configured days. Private to the cluster.
 */
export class Logging extends pulumi.ComponentResource {
  constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:observability:Logging", name, {}, opts);
    const { config, cloud } = args;
    const namespace = platformNamespaces.logging;
    // Fluent Bit reads the nodes' log files; OpenSearch's init container raises vm.max_map_count.
    const ns = platformNamespace(`${name}-namespace`, namespace, "privileged", { parent: this });
    const inNamespace = { parent: this, dependsOn: [ns] };
    const openSearchUrl = `http://${openSearchService.name}:${openSearchService.port}`;

    const openSearch = upstreamChart(
      `${name}-opensearch`,
      pinnedChart(config, upstreamCharts.opensearch),
      "opensearch",
      namespace,
      {
        singleNode: true,
        replicas: 1,
        sysctlInit: { enabled: true, image: upstreamImages.busybox.repository, imageTag: upstreamImages.busybox.tag },
        // Reached only from inside the cluster (NetworkPolicy-free namespace, ClusterIP) or through the VPN.
        extraEnvs: [
          { name: "DISABLE_SECURITY_PLUGIN", value: "true" },
          { name: "DISABLE_INSTALL_DEMO_CONFIG", value: "true" },
        ],
        // The chart's init containers default to busybox:latest.
        // fsGroup 1000 (the chart's pod security context) gives OpenSearch its volume; the root chown init container is not needed.
        persistence: {
          enabled: true,
          size: `${config.logging.elasticsearchStorageGi}Gi`,
          storageClass: cloud.storageClassName,
          enableInitChown: false,
          image: upstreamImages.busybox.repository,
          imageTag: upstreamImages.busybox.tag,
        },
        initResources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
        securityContext: { allowPrivilegeEscalation: false },
        resources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "3Gi" } },
        opensearchJavaOpts: "-Xms1g -Xmx1g",
        service: { type: "ClusterIP" },
      },
      inNamespace,
    );
    upstreamChart(
      `${name}-opensearch-dashboards`,
      pinnedChart(config, upstreamCharts.opensearchDashboards),
      "opensearch-dashboards",
      namespace,
      {
        opensearchHosts: openSearchUrl,
        extraEnvs: [{ name: "DISABLE_SECURITY_DASHBOARDS_PLUGIN", value: "true" }],
        service: internalUiService(config),
        // A limit for every resource the chart limits: its default 100m CPU limit would otherwise stay, and
        // Dashboards' first start (bundle optimisation) outruns its probes at 100m.
        resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        // Dashboards needs no Kubernetes API; the chart's RoleBinding names a Role it never creates.
        rbac: { create: false },
        securityContext: { allowPrivilegeEscalation: false },
      },
      { parent: this, dependsOn: [ns, openSearch] },
    );
    upstreamChart(
      `${name}-fluent-bit`,
      pinnedChart(config, upstreamCharts.fluentBit),
      "fluent-bit",
      namespace,
      {
        // Every node, GPU and consumer nodes included.
        tolerations: [{ operator: "Exists" }],
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
        // Root to read the nodes' log files (policy/exemptions.ts), but never more than it starts with.
        securityContext: { allowPrivilegeEscalation: false },
        config: {
          outputs: [
            "[OUTPUT]",
            "    Name opensearch",
            "    Match kube.*",
            `    Host ${openSearchService.name}`,
            `    Port ${openSearchService.port}`,
            "    Logstash_Format On",
            `    Logstash_Prefix ${logIndexPrefix}`,
            "    Replace_Dots On",
            "    Suppress_Type_Name On",
            "    Retry_Limit 5",
          ].join("\n"),
        },
      },
      { parent: this, dependsOn: [ns, openSearch] },
    );

    const policy = JSON.stringify(logRetentionPolicy(config.logging.retentionDays));
    const policyUrl = `${openSearchUrl}/_plugins/_ism/policies/${logIndexPrefix}-retention`;
    // Create the policy, or update it in place (OpenSearch requires the current sequence numbers to overwrite).
    const script = [
      "set -eu",
      `until curl -sf ${openSearchUrl}/_cluster/health >/dev/null; do sleep 5; done`,
      `current=$(curl -s ${policyUrl} || true)`,
      `seq=$(printf '%s' "$current" | sed -n 's/.*"_seq_no":\\([0-9]*\\).*/\\1/p')`,
      `term=$(printf '%s' "$current" | sed -n 's/.*"_primary_term":\\([0-9]*\\).*/\\1/p')`,
      `query=""; if [ -n "$seq" ]; then query="?if_seq_no=$seq&if_primary_term=$term"; fi`,
      `curl -sf -X PUT -H 'Content-Type: application/json' -d "$POLICY" "${policyUrl}$query"`,
    ].join("\n");
    new k8s.batch.v1.Job(
      `${name}-retention`,
      {
        metadata: { namespace },
        spec: {
          // No TTL: a Job deleted by its TTL is missing at the next refresh and re-created by the next `up`.
          backoffLimit: 6,
          template: {
            spec: {
              restartPolicy: "OnFailure",
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: 100, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "apply-retention",
                  image: `${upstreamImages.curl.repository}:${upstreamImages.curl.tag}`,
                  command: ["/bin/sh", "-c", script],
                  env: [{ name: "POLICY", value: policy }],
                  resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                },
              ],
            },
          },
        },
      },
      // Pulumi waits for the Job, so a wrong policy fails `pulumi up` instead of silently keeping logs forever.
      { parent: this, dependsOn: [openSearch] },
    );
    this.registerOutputs({});
  }
}
