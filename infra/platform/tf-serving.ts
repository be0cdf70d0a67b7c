import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { tfServingConfigWriterEnv, tfServingEnv, tfServingService } from "../kiosk-contract";
import { CloudLayer } from "../seam";
import { envList, ownChart, splitImage } from "./kubernetes";

export interface TfServingArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/**
 * TensorFlow Serving on the GPU pool, starting with no pod: KEDA brings it up when there is work. On
 * a cluster without a GPU pool (the local stack) it runs on CPU: slow, but the whole path works.
 */
export class TfServing extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;
  readonly deploymentName = "tf-serving";
  /** GPUs each pod requests; 0 on CPU. */
  readonly gpusPerPod: number;
  /** Most pods the GPU pool can hold; KEDA never asks for more. */
  readonly maxReplicas: number;

  constructor(name: string, args: TfServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:TfServing", name, {}, opts);
    const { config, cloud } = args;
    const gpu = cloud.gpuPlacement;
    this.gpusPerPod = gpu ? 1 : 0;
    if (!gpu) pulumi.log.info("TF-Serving runs on CPU: this cluster has no GPU pool, so inference is slow but the whole path works.", this);
    this.maxReplicas = gpu ? config.gpu.maxNodes * config.gpu.countPerNode : 1;
    const identity = cloud.bucket.identityFor("tfServing");
    const [repository, tag] = splitImage(config.images.tfServing);
    const [writerRepository, writerTag] = splitImage(config.images.tfServingConfigWriter);
    this.chart = ownChart(
      name,
      "tf-serving",
      {
        image: { repository, tag },
        // The writer lists the models bucket (STORAGE_BUCKET) and writes models.conf; the server then reads the models.
        configWriter: {
          image: { repository: writerRepository, tag: writerTag },
          env: [...envList({ ...tfServingConfigWriterEnv, STORAGE_BUCKET: config.modelsBucket, ...cloud.cloudEnv.tfServing }), ...identity.env],
        },
        initialReplicas: 0,
        grpcPort: tfServingService.grpcPort,
        restPort: tfServingService.restPort,
        metricsPath: tfServingService.metricsPath,
        env: [...envList({ ...tfServingEnv, ...cloud.cloudEnv.tfServing }), ...identity.env],
        resources: gpu
          ? { requests: { cpu: "1", memory: "3584Mi" }, limits: { cpu: "4", memory: "12Gi" } }
          : { requests: { cpu: "1", memory: "3584Mi" }, limits: { cpu: "2", memory: "8Gi" } },
        gpus: this.gpusPerPod,
        // Topology-aware routing: with GPUs in several zones, a consumer's requests stay in its zone when they can.
        ...(gpu?.spansZones ? { trafficDistribution: "PreferClose" } : {}),
        nodeSelector: gpu?.nodeSelector ?? {},
        tolerations: gpu?.tolerations ?? [],
        serviceAccount: { name: identity.serviceAccountName, annotations: identity.serviceAccountAnnotations },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
