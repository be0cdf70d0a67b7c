import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { BucketWorkload } from "../kiosk-contract";
import { BucketAccess, CloudLayer, consumerPoolPlacement, GpuPlacement, gpuPoolPlacement, LoadBalancerServiceSpecifics, Placement } from "../seam";
import { GoogleApis } from "./apis";
import { GcsBucket } from "./bucket";
import { GkeCluster } from "./cluster";
import { frontDoorApis, GkeFrontDoor } from "./front-door";
import { GkeWorkloadIdentities, KedaGpuMetricsReader } from "./identity";
import { GkeNetwork } from "./network";
import { DockerHubMirror } from "./registry-mirror";

export interface GcpCloudArgs {
  readonly config: KioskConfig;
}

/** The gcp cloud layer: a private GKE cluster with system, consumer and GPU pools, a private GCS bucket and Workload Identity. */
export class GcpCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "gcp" as const;
  readonly kubernetesProvider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly bucket: BucketAccess;
  readonly gpuPlacement: GpuPlacement;
  readonly consumerPlacement: Placement = consumerPoolPlacement;
  readonly cloudEnv: CloudLayer["cloudEnv"];
  readonly loadBalancerService: LoadBalancerServiceSpecifics = { annotations: {}, serviceType: "LoadBalancer" };
  readonly frontDoor: GkeFrontDoor;
  readonly readiness: pulumi.Resource[];
  readonly dockerHubMirror?: pulumi.Output<string>;

  constructor(name: string, args: GcpCloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GcpCloud", name, {}, opts);
    const { config } = args;
    const gcpConfig = config.gcp;
    if (!gcpConfig) throw new Error("GcpCloud needs the gcp section of the config (kiosk:cloud is gcp)");
    const project = gcpConfig.project;

    const apis = new GoogleApis(`${name}-apis`, { project, registryMirror: config.registryMirror.enabled, extraApis: frontDoorApis(config) }, { parent: this });
    const afterApis = { parent: this, dependsOn: apis.enabled };
    const network = new GkeNetwork(`${name}-network`, { project, region: gcpConfig.region }, afterApis);
    const cluster = new GkeCluster(`${name}-gke`, { config, gcp: gcpConfig, network }, afterApis);
    const bucket = new GcsBucket(`${name}-bucket`, { config, gcp: gcpConfig }, afterApis);
    const identities = new GkeWorkloadIdentities(
      `${name}-identity`,
      { project, clusterName: config.clusterName, workloadPool: cluster.workloadPool, bucketName: bucket.name, bucketAccess: config.bucket.access, cluster: cluster.cluster, signers: config.images.set === "overlay" ? ["frontend", "consumer"] : [] },
      afterApis,
    );

    this.frontDoor = new GkeFrontDoor(`${name}-front-door`, { config, project, network: network.network.id, cluster: cluster.cluster }, afterApis);
    this.kubeconfig = cluster.kubeconfig;
    this.kubernetesProvider = new k8s.Provider(`${name}-gke`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.clusterName = cluster.cluster.name;
    const kedaMetricsReader = new KedaGpuMetricsReader(
      `${name}-keda-metrics`,
      { project, clusterName: config.clusterName, workloadPool: cluster.workloadPool, cluster: cluster.cluster },
      afterApis,
    );
    this.gpuPlacement = gpuPoolPlacement(config.gpu.countPerNode, gcpConfig.dataZones.length > 1, "cloud", kedaMetricsReader.api);
    // kiosk-frontend@0.11.3 server/config/config.js reads GCLOUD_PROJECT_ID for its Storage client; the
    // consumers' and the config writer's google-cloud-storage clients find the project themselves.
    this.cloudEnv = { frontend: { GCLOUD_PROJECT_ID: project }, consumer: {}, tfServing: {} };
    // Workloads start only once their nodes and their identity exist; destroy removes them first.
    const mirror = config.registryMirror.enabled ? new DockerHubMirror(`${name}-docker-hub`, { project, region: gcpConfig.region, clusterName: config.clusterName }, afterApis) : undefined;
    this.dockerHubMirror = mirror?.prefix;
    this.readiness = [...cluster.nodePools, ...identities.bindings, ...kedaMetricsReader.bindings, cluster.controlPlaneFirewall, ...(mirror ? [mirror.repository] : [])];
    this.bucket = {
      name: bucket.name,
      url: bucket.url,
      identityFor: (workload: BucketWorkload) => identities.identityFor(workload),
    };
    this.registerOutputs({ clusterName: this.clusterName, bucket: bucket.url });
  }
}
