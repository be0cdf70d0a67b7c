import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { BucketWorkload, bucketWorkloads } from "../kiosk-contract";
import { BucketAccess, CloudLayer, ExtraEgress, KioskSecret, LoadBalancerServiceSpecifics, Placement, WorkloadIdentity } from "../seam";
import { LocalFrontDoor } from "./front-door";
import { LocalObjectStore, s3StoreAccess } from "./object-store";

/** The Kiosk's S3 clients need a region even for an S3-compatible store. */
const localRegion = { AWS_REGION: "us-east-1" };

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
  readonly cloudEnv = { frontend: localRegion, consumer: localRegion, tfServing: localRegion };
  readonly loadBalancerService: LoadBalancerServiceSpecifics = { annotations: {}, serviceType: "NodePort" };
  readonly frontDoor: LocalFrontDoor;
  readonly storageClassName?: string;
  readonly readiness: pulumi.Resource[];
  readonly kioskSecrets: readonly KioskSecret[];
  readonly extraEgress: readonly ExtraEgress[];
  readonly overlayStorageEnv: Readonly<Record<string, string>>;

  constructor(name: string, args: LocalCloudArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:local:LocalCloud", name, {}, opts);
    const { config } = args;
    this.kubernetesProvider = new k8s.Provider(`${name}-local`, { context: config.local?.kubeContext }, { parent: this });
    // The cluster is the user's own: its kubeconfig is already on their machine.
    this.kubeconfig = pulumi.secret("");
    // MinIO and most S3-compatible stores serve buckets by path, not by virtual host.
    this.overlayStorageEnv = { STORAGE_S3_PATH_STYLE: "true", ...(config.local?.s3PublicEndpoint ? { STORAGE_S3_PUBLIC_ENDPOINT: config.local.s3PublicEndpoint } : {}) };
    this.clusterName = pulumi.output(config.clusterName);
    this.storageClassName = config.local?.storageClass;
    const bucketName = config.bucket.name ?? `kiosk-${config.stack}`;
    const existing = config.local?.existingObjectStore;
    let env: k8s.types.input.core.v1.EnvVar[];
    if (existing) {
      // The lab's own store: the bucket and a user limited to it are theirs to make (see the README).
      const access = s3StoreAccess(existing.endpoint, existing.accessKeyId, existing.secretAccessKey);
      this.readiness = [];
      this.kioskSecrets = [access.secret];
      this.extraEgress = [{ ports: [endpointPort(existing.endpoint)] }];
      env = access.env;
    } else {
      const store = new LocalObjectStore(
        `${name}-object-store`,
        { bucketName, retentionDays: config.bucket.retentionDays, storageGi: 10, storageClassName: this.storageClassName },
        { parent: this, providers: [this.kubernetesProvider] },
      );
      this.readiness = store.ready;
      this.kioskSecrets = [store.kioskSecret];
      this.extraEgress = [{ namespace: store.namespace, ports: [store.port] }];
      env = store.kioskEnv;
    }
    this.frontDoor = new LocalFrontDoor(`${name}-front-door`, { config }, { parent: this, providers: [this.kubernetesProvider] });
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
