import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { BucketWorkload, bucketWorkloads } from "../kiosk-contract";
import { BucketAccess, CloudLayer, consumerPoolPlacement, GpuPlacement, gpuPoolPlacement, IngressSpecifics, Placement, WorkloadIdentity } from "../seam";

export interface AwsCloudArgs {
  readonly config: KioskConfig;
}

/** The aws cloud layer (placeholder until the cluster, pools, bucket and identity are built). */
export class AwsCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "aws" as const;
  readonly kubernetesProvider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly bucket: BucketAccess;
  readonly gpuPlacement: GpuPlacement;
  readonly consumerPlacement: Placement = consumerPoolPlacement;
  readonly cloudEnv = {};
  readonly ingress: IngressSpecifics = { loadBalancerServiceAnnotations: {}, serviceType: "LoadBalancer" };
  readonly readiness: pulumi.Resource[] = [];

  constructor(name: string, args: AwsCloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:AwsCloud", name, {}, opts);
    const { config } = args;
    this.kubeconfig = pulumi.secret("");
    this.kubernetesProvider = new k8s.Provider(`${name}-aws`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.clusterName = pulumi.output(config.clusterName);
    this.gpuPlacement = gpuPoolPlacement(config.gpu.countPerNode);
    const bucketName = config.bucket.name ?? `kiosk-${config.stack}`;
    this.bucket = {
      name: pulumi.output(bucketName),
      url: pulumi.output(`s3://${bucketName}`),
      identityFor: (workload: BucketWorkload): WorkloadIdentity => ({
        serviceAccountName: bucketWorkloads[workload],
        serviceAccountAnnotations: {},
        env: [],
      }),
    };
    this.registerOutputs({ clusterName: this.clusterName });
  }
}
