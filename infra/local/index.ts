import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { BucketWorkload, bucketWorkloads } from "../kiosk-contract";
import { BucketAccess, CloudLayer, ExtraEgress, IngressSpecifics, KioskSecret, Placement, WorkloadIdentity } from "../seam";
import { LocalObjectStore } from "./object-store";

/** Name of the Secret, in the Kiosk namespace, with the credentials of an existing store (kiosk:localS3Endpoint). */
const existingObjectStoreSecret = "kiosk-object-store";

function endpointPort(endpoint: string): number {
  const url = new URL(endpoint);
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

export interface LocalCloudArgs {
  readonly config: KioskConfig;
}

/**
 * The cloud layer of a local cluster (kind, minikube, ...): an existing cluster from the kubeconfig,
 * no GPU pool (TF-Serving runs on CPU), no separate consumer pool, and MinIO in place of the bucket.
 */
export class LocalCloud extends pulumi.ComponentResource implements CloudLayer {
  readonly cloud = "local" as const;
  readonly kubernetesProvider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly bucket: BucketAccess;
  readonly gpuPlacement = undefined;
  readonly consumerPlacement: Placement = { nodeSelector: {}, tolerations: [] };
  // The Kiosk's S3 clients need a region even for an S3-compatible store.
  readonly cloudEnv = { frontend: { AWS_REGION: "us-east-1" }, consumer: { AWS_REGION: "us-east-1" }, tfServing: { AWS_REGION: "us-east-1" } };
  readonly ingress: IngressSpecifics = { loadBalancerServiceAnnotations: {}, serviceType: "NodePort" };
  readonly storageClassName?: string;
  readonly readiness: pulumi.Resource[];
  readonly kioskSecrets: readonly KioskSecret[];
  readonly extraEgress: readonly ExtraEgress[];
  private readonly kioskEnv: k8s.types.input.core.v1.EnvVar[];

  constructor(name: string, args: LocalCloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:local:LocalCloud", name, {}, opts);
    const { config } = args;
    this.kubernetesProvider = new k8s.Provider(`${name}-local`, { context: config.local?.kubeContext }, { parent: this });
    // The cluster is the user's own: its kubeconfig is already on their machine.
    this.kubeconfig = pulumi.secret("");
    this.clusterName = pulumi.output(config.clusterName);
    this.storageClassName = config.local?.storageClass;
    const bucketName = config.bucket.name ?? `kiosk-${config.stack}`;
    const existing = config.local?.existingObjectStore;
    if (existing) {
      // The lab's own store: the bucket and a user limited to it are theirs to make (see the README).
      this.readiness = [];
      this.kioskSecrets = [{ name: existingObjectStoreSecret, stringData: { AWS_ACCESS_KEY_ID: existing.accessKeyId, AWS_SECRET_ACCESS_KEY: existing.secretAccessKey } }];
      this.extraEgress = [{ ports: [endpointPort(existing.endpoint)] }];
      this.kioskEnv = [
        ...["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: existingObjectStoreSecret, key } } })),
        { name: "AWS_ENDPOINT_URL_S3", value: existing.endpoint },
      ];
    } else {
      const store = new LocalObjectStore(
        `${name}-object-store`,
        { bucketName, retentionDays: config.bucket.retentionDays, storageGi: 10, storageClassName: this.storageClassName },
        { parent: this, providers: [this.kubernetesProvider] },
      );
      this.readiness = store.ready;
      this.kioskSecrets = [store.kioskSecret];
      this.extraEgress = [{ namespace: store.namespace, ports: [store.port] }];
      this.kioskEnv = store.kioskEnv;
    }
    const env = this.kioskEnv;
    this.bucket = {
      name: pulumi.output(bucketName),
      url: pulumi.output(`s3://${bucketName}`),
      identityFor: (workload: BucketWorkload): WorkloadIdentity => ({
        serviceAccountName: bucketWorkloads[workload],
        serviceAccountAnnotations: {},
        env,
      }),
    };
    this.registerOutputs({ clusterName: this.clusterName });
  }
}
