import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { BucketWorkload } from "../kiosk-contract";
import { BucketAccess, CloudLayer, consumerPoolPlacement, GpuPlacement, gpuPoolPlacement, LoadBalancerServiceSpecifics, Placement } from "../seam";
import { pinnedChart, upstreamCharts } from "../upstream-charts";
import { S3Bucket } from "./bucket";
import { EksCluster } from "./cluster";
import { AlbFrontDoor } from "./front-door";
import { NvidiaDevicePlugin } from "./gpu-device-plugin";
import { EksPodIdentities } from "./identity";
import { AwsNetwork, vpcCidr } from "./network";
import { ClusterAutoscaler } from "./node-autoscaler";
import { DockerHubPullThroughCache } from "./registry-mirror";

export interface AwsCloudArgs {
  readonly config: KioskConfig;
}

/** The aws cloud layer: VPC, EKS with system/consumer/GPU node groups and cluster-autoscaler, a private S3 bucket and Pod Identity. */
export class AwsCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "aws" as const;
  readonly kubernetesProvider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly bucket: BucketAccess;
  readonly gpuPlacement: GpuPlacement;
  readonly consumerPlacement: Placement = consumerPoolPlacement;
  readonly cloudEnv: CloudLayer["cloudEnv"];
  readonly loadBalancerService: LoadBalancerServiceSpecifics = {
    // A Network Load Balancer passes TCP through: no idle timeout or body-size limit of its own (the VPN's, exposed UIs').
    annotations: {
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
    },
    serviceType: "LoadBalancer",
  };
  readonly frontDoor: AlbFrontDoor;
  readonly storageClassName: string;
  readonly readiness: pulumi.Resource[];
  readonly dockerHubMirror?: pulumi.Output<string>;

  constructor(name: string, args: AwsCloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:AwsCloud", name, {}, opts);
    const { config } = args;
    const awsConfig = config.aws;
    if (!awsConfig) throw new Error("AwsCloud needs the aws section of the config (kiosk:cloud is aws)");

    const network = new AwsNetwork(`${name}-network`, { clusterName: config.clusterName, aws: awsConfig }, { parent: this });
    const cluster = new EksCluster(`${name}-eks`, { config, aws: awsConfig, network }, { parent: this });
    const inCluster = { parent: this, providers: [cluster.provider], dependsOn: [cluster.nodeGroups.system] };
    new ClusterAutoscaler(
      `${name}-cluster-autoscaler`,
      { clusterName: config.clusterName, region: awsConfig.region, kubernetesVersion: config.kubernetesVersion, chart: pinnedChart(config, upstreamCharts.clusterAutoscaler) },
      { ...inCluster, dependsOn: [...cluster.addons] },
    );
    if (awsConfig.gpuAmiType === "AL2023_x86_64_NVIDIA") new NvidiaDevicePlugin(`${name}-nvidia-device-plugin`, { chart: pinnedChart(config, upstreamCharts.nvidiaDevicePlugin) }, inCluster);
    this.frontDoor = new AlbFrontDoor(
      `${name}-front-door`,
      {
        config,
        clusterName: cluster.name,
        region: awsConfig.region,
        vpcId: network.vpc.id,
        vpcCidr,
        charts: { gatewayCrds: pinnedChart(config, upstreamCharts.gatewayCrds), controller: pinnedChart(config, upstreamCharts.awsLoadBalancerController) },
        // Its release depends on the nodes, add-ons and every subnet, so destroy deletes it, and the ALB first, before them.
        dependsOn: [cluster.nodeGroups.system, ...cluster.addons, ...network.publicSubnets, ...network.privateSubnets],
      },
      { parent: this, providers: [cluster.provider] },
    );
    const bucket = new S3Bucket(`${name}-bucket`, { config }, { parent: this });
    const identities = new EksPodIdentities(`${name}-identity`, { clusterName: cluster.name, bucketArn: bucket.arn }, { parent: this });

    this.kubernetesProvider = cluster.provider;
    this.kubeconfig = cluster.kubeconfig;
    this.clusterName = cluster.name;
    this.storageClassName = cluster.storageClassName;
    // The GPU node group spans the VPC's availability zones.
    this.gpuPlacement = gpuPoolPlacement(config.gpu.countPerNode, true, "dcgm-exporter");
    const region = { AWS_REGION: awsConfig.region };
    this.cloudEnv = { frontend: region, consumer: region, tfServing: region };
    // Workloads start once nodes, add-ons, volumes, bucket settings and identities exist; destroy removes them first.
    const dockerHub = config.registryMirror.dockerHub;
    const mirror = config.registryMirror.enabled && dockerHub
      ? new DockerHubPullThroughCache(`${name}-docker-hub`, { clusterName: config.clusterName, region: awsConfig.region, nodeRole: cluster.nodeRole, dockerHub }, { parent: this })
      : undefined;
    this.dockerHubMirror = mirror?.prefix;
    this.readiness = [...Object.values(cluster.nodeGroups), ...cluster.addons, cluster.storageClass, ...bucket.settings, ...identities.associations, ...(mirror?.resources ?? [])];
    this.bucket = {
      name: bucket.name,
      url: bucket.url,
      identityFor: (workload: BucketWorkload) => identities.identityFor(workload),
    };
    this.registerOutputs({ clusterName: this.clusterName, bucket: bucket.url });
  }
}
