import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { GcpConfig, KioskConfig, NodePoolConfig } from "../config";
import { consumerPoolLabel, consumerTaint, gpuPoolLabel, gpuTaint, systemPoolLabel } from "../seam";
import { controlPlaneCallbackPortsFor } from "../upstream-charts";
import { gkeAddressRanges, GkeNetwork } from "./network";

export interface GkeClusterArgs {
  readonly config: KioskConfig;
  readonly gcp: GcpConfig;
  readonly network: GkeNetwork;
}

/** Roles the nodes' own service account needs to run a node, and nothing more (not the default compute SA's editor). */
export const nodeServiceAccountRoles = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/autoscaling.metricsWriter",
  "roles/artifactregistry.reader",
] as const;

/** Taint effects in the GKE API's spelling. */
const gkeEffect = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" } as const;

function gkeTaint(taint: { key: string; value: string; effect: keyof typeof gkeEffect }) {
  return { key: taint.key, value: taint.value, effect: gkeEffect[taint.effect] };
}

/**
 * GKE cluster with the Kiosk's three node pools: an always-on system pool, a consumer pool and a GPU
 * pool that both rest at zero. GKE's own cluster autoscaler scales the pools, and GKE installs the GPU
 * driver and device plugin, so nothing else is needed on the node side.
 */
export class GkeCluster extends pulumi.ComponentResource {
  readonly cluster: gcp.container.Cluster;
  readonly nodeServiceAccount: gcp.serviceaccount.Account;
  readonly systemPool: gcp.container.NodePool;
  readonly consumerPool: gcp.container.NodePool;
  readonly gpuPool: gcp.container.NodePool;
  readonly workloadPool: string;
  readonly controlPlaneFirewall: gcp.compute.Firewall;
  /** kubeconfig that authenticates with gke-gcloud-auth-plugin (no credentials inside), as a secret. */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GkeCluster", name, {}, opts);
    const { config, gcp: gcpConfig, network } = args;
    const project = gcpConfig.project;
    const location = gcpConfig.regional ? gcpConfig.region : gcpConfig.zone;
    this.workloadPool = `${project}.svc.id.goog`;

    this.nodeServiceAccount = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      { project, accountId: `${config.clusterName}-nodes`.slice(0, 30).replace(/-+$/, ""), displayName: `Kiosk ${config.clusterName} GKE nodes` },
      { parent: this },
    );
    const nodeRoles = nodeServiceAccountRoles.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.split("/")[1].replace(/\./g, "-")}`,
          { project, role, member: this.nodeServiceAccount.member },
          { parent: this },
        ),
    );

    // A zonal control plane needs its pools' other zones among its node locations, and the provider
    // rejects its own zone in that list ("If this is specified for a zonal cluster, omit the cluster's
    // zone": nodeLocations in @pulumi/gcp container/cluster.d.ts).
    const otherZones = gcpConfig.dataZones.filter((zone) => zone !== gcpConfig.zone);
    const nodeLocations = gcpConfig.regional || otherZones.length === 0 ? undefined : unique(otherZones);
    this.cluster = new gcp.container.Cluster(
      name,
      {
        project,
        name: config.clusterName,
        location,
        nodeLocations,
        network: network.network.id,
        subnetwork: network.subnetwork.id,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
          clusterSecondaryRangeName: network.podsRangeName,
          servicesSecondaryRangeName: network.servicesRangeName,
        },
        privateClusterConfig: {
          enablePrivateNodes: true,
          // The API stays reachable from outside (for pulumi and kubectl), but only from apiAllowedCidrs.
          enablePrivateEndpoint: false,
          masterIpv4CidrBlock: gkeAddressRanges.controlPlane,
        },
        masterAuthorizedNetworksConfig: {
          cidrBlocks: config.apiAllowedCidrs.map((cidrBlock) => ({ cidrBlock, displayName: `allowed ${cidrBlock}` })),
        },
        // Dataplane V2 enforces the platform's NetworkPolicies.
        datapathProvider: "ADVANCED_DATAPATH",
        releaseChannel: { channel: gcpConfig.releaseChannel },
        // GKE's own Gateway controller and the Gateway API's standard CRDs serve the portal (GkeFrontDoor).
        gatewayApiConfig: { channel: "CHANNEL_STANDARD" },
        workloadIdentityConfig: { workloadPool: this.workloadPool },
        enableShieldedNodes: true,
        // Idle GPU nodes are the Kiosk's main cost: remove them as soon as they are empty.
        clusterAutoscaling: { autoscalingProfile: "OPTIMIZE_UTILIZATION" },
        // The default pool cannot be shaped as the Kiosk needs; GKE requires one at creation, then it goes.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: { serviceAccount: this.nodeServiceAccount.email, oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"] },
        // So that `pulumi destroy` can remove the cluster; the README says how to protect a production cluster.
        deletionProtection: false,
        resourceLabels: { app: "deepcell-kiosk", stack: labelValue(config.stack) },
        // GPU metrics from GKE's own DCGM integration (Cloud Monitoring, with managed Prometheus): the
        // dcgm-exporter chart cannot run on GKE as is (system-node-critical outside kube-system needs a
        // ResourceQuota, and GKE's driver libraries live elsewhere).
        monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS", "DCGM"], managedPrometheus: { enabled: true } },
      },
      {
        parent: this,
        dependsOn: [...nodeRoles, network.nat],
        // nodeConfig only shapes the default pool, removed at creation; the SDK warns that it then plans a
        // replacement after a refresh (nodeConfig in container/cluster.d.ts), so it is set once and ignored.
        ignoreChanges: ["nodeConfig"],
        // The cluster's name is fixed (identities and the kubeconfig name it): a replacement must delete first.
        deleteBeforeReplace: true,
      },
    );

    // A private cluster's control plane reaches the nodes only on 443 and 10250 (as the pinned charts
    // themselves note: cert-manager values.yaml webhook.securePort, kube-prometheus-stack values.yaml
    // prometheusOperator.tls.internalPort); KEDA's metrics API and the other webhooks listen elsewhere,
    // and would time out without this rule.
    this.controlPlaneFirewall = new gcp.compute.Firewall(
      `${name}-control-plane-to-nodes`,
      {
        project,
        network: network.network.id,
        description: "GKE control plane to the Kiosk's webhooks and aggregated APIs on the nodes",
        direction: "INGRESS",
        sourceRanges: [gkeAddressRanges.controlPlane],
        targetServiceAccounts: [this.nodeServiceAccount.email],
        allows: [{ protocol: "tcp", ports: controlPlaneCallbackPortsFor(config.components).map(String) }],
      },
      { parent: this },
    );

    const pool = (poolName: string, poolConfig: NodePoolConfig, specifics: PoolSpecifics) =>
      new gcp.container.NodePool(
        `${name}-${poolName}`,
        {
          project,
          location,
          cluster: this.cluster.name,
          // A generated suffix: machine, GPU and spot changes replace the pool, and the new one is created
          // before the old one goes, which a fixed name would make fail with "already exists".
          namePrefix: `${poolName}-`,
          nodeLocations: specifics.nodeLocations,
          // Per-zone initial count; the autoscaler takes over from there within the total bounds.
          initialNodeCount: poolConfig.minNodes > 0 ? 1 : 0,
          autoscaling: {
            // Totals across all the pool's zones, not per zone, so min/max mean what the config says.
            totalMinNodeCount: poolConfig.minNodes,
            totalMaxNodeCount: poolConfig.maxNodes,
            // ANY places a new node in whichever zone has capacity, which matters for spot and GPUs.
            locationPolicy: specifics.locationPolicy,
          },
          management: { autoRepair: true, autoUpgrade: true },
          nodeConfig: {
            machineType: poolConfig.machineType,
            spot: poolConfig.spot,
            serviceAccount: this.nodeServiceAccount.email,
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
            imageType: "COS_CONTAINERD",
            diskType: specifics.diskType,
            diskSizeGb: specifics.diskSizeGb,
            gvnic: { enabled: true },
            labels: specifics.labels,
            taints: specifics.taints,
            guestAccelerators: specifics.guestAccelerators,
          },
        },
        { parent: this },
      );

    this.systemPool = pool("system", config.systemPool, {
      nodeLocations: gcpConfig.regional ? undefined : [gcpConfig.zone],
      locationPolicy: "BALANCED",
      diskType: "pd-balanced",
      diskSizeGb: 50,
      labels: { [systemPoolLabel.key]: systemPoolLabel.value },
      taints: [],
    });
    // Consumers live where the GPUs are: every image goes from a consumer to TF-Serving and back.
    this.consumerPool = pool("consumers", config.consumerPool, {
      nodeLocations: [...gcpConfig.dataZones],
      locationPolicy: "ANY",
      diskType: "pd-balanced",
      diskSizeGb: 50,
      labels: { [consumerPoolLabel.key]: consumerPoolLabel.value },
      taints: [gkeTaint(consumerTaint)],
    });
    this.gpuPool = pool("gpu", config.gpu, {
      nodeLocations: [...gcpConfig.dataZones],
      locationPolicy: "ANY",
      // TF-Serving's image is several GB: a fast disk shortens the pull on a cold node.
      diskType: "pd-ssd",
      diskSizeGb: 100,
      labels: { [gpuPoolLabel.key]: gpuPoolLabel.value },
      // GKE adds this taint itself only in some cases (not when the pool is created while no CPU pool exists yet).
      taints: [gkeTaint(gpuTaint)],
      guestAccelerators: [
        { type: config.gpu.type, count: config.gpu.countPerNode, gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" } },
      ],
    });

    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.masterAuth])
        .apply(([clusterName, endpoint, masterAuth]) => gkeKubeconfig(clusterName, endpoint, masterAuth.clusterCaCertificate ?? "")),
    );
    this.registerOutputs({ clusterName: this.cluster.name });
  }

  get nodePools(): gcp.container.NodePool[] {
    return [this.systemPool, this.consumerPool, this.gpuPool];
  }
}

interface PoolSpecifics {
  readonly nodeLocations?: string[];
  readonly locationPolicy: "ANY" | "BALANCED";
  readonly diskType: string;
  readonly diskSizeGb: number;
  readonly labels: Record<string, string>;
  readonly taints: { key: string; value: string; effect: string }[];
  readonly guestAccelerators?: gcp.types.input.container.NodePoolNodeConfigGuestAccelerator[];
}

/** kubeconfig for a GKE cluster; kubectl and the Kubernetes provider get tokens from gke-gcloud-auth-plugin. */
export function gkeKubeconfig(clusterName: string, endpoint: string, caCertificate: string): string {
  const context = `gke-${clusterName}`;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: context, cluster: { server: `https://${endpoint}`, "certificate-authority-data": caCertificate } }],
    contexts: [{ name: context, context: { cluster: context, user: context } }],
    "current-context": context,
    users: [
      {
        name: context,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "gke-gcloud-auth-plugin",
            installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
            provideClusterInfo: true,
          },
        },
      },
    ],
  });
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** GCP label values: lowercase letters, digits, - and _, at most 63. */
function labelValue(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}
