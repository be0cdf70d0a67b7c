import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { BucketWorkload, bucketWorkloads } from "../kiosk-contract";
import { BucketAccess, CloudLayer, consumerPoolPlacement, IngressSpecifics, Placement, WorkloadIdentity } from "../seam";

export interface LocalCloudArgs {
  readonly config: KioskConfig;
}

/** The cloud layer of a local cluster (kind, minikube, ...): an existing cluster from the kubeconfig. */
export class LocalCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "local" as const;
  readonly kubernetesProvider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly bucket: BucketAccess;
  readonly gpuPlacement = undefined;
  readonly consumerPlacement: Placement = { nodeSelector: {}, tolerations: [] };
  readonly cloudEnv = {};
  readonly ingress: IngressSpecifics = { loadBalancerServiceAnnotations: {}, serviceType: "NodePort" };
  readonly storageClassName?: string;
  readonly readiness: pulumi.Resource[] = [];

  constructor(name: string, args: LocalCloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:local:LocalCloud", name, {}, opts);
    const { config } = args;
    this.kubernetesProvider = new k8s.Provider(`${name}-local`, { context: config.local?.kubeContext }, { parent: this });
    this.kubeconfig = pulumi.secret("");
    this.clusterName = pulumi.output(config.clusterName);
    this.storageClassName = config.local?.storageClass;
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
    void consumerPoolPlacement;
    this.registerOutputs({ clusterName: this.clusterName });
  }
}
