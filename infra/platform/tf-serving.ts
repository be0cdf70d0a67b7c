import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { modelsUsedBy, ServedModel, tfServingConfigWriterEnv, tfServingEnv, tfServingServerArgs, tfServingService } from "../kiosk-contract";
import { CloudLayer, dockerHubImage } from "../seam";
import { envList, ownChart, splitImage } from "./kubernetes";

export interface TfServingArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/**
 * TensorFlow Serving on the GPU pool, starting with no pod: KEDA brings it up when there is work. On
 * a cluster without a GPU pool (the local stack) it runs on CPU: slow, but the whole path works.
 */
/**
 * Off GCP, TF-Serving reads a gs:// models bucket with no Google credentials: TensorFlow 2.8's GCS
 * filesystem then sends its requests without an Authorization header, which a public bucket answers
 * (tensorflow@v2.8.0 core/platform/cloud/google_auth_provider.cc GetToken: "Public objects can still be
 * accessed with an empty bearer token"; gcs_file_system.cc adds the header only for a non-empty token).
 * NO_GCE_CHECK=true (read in GetToken) skips its probe of the GCE metadata server first, which off GCP
 * only fails, with up to ten retries.
 */
export function anonymousGcsEnv(cloud: string, modelsBucket: string): Record<string, string> {
  return cloud !== "gcp" && modelsBucket.startsWith("gs://") ? { NO_GCE_CHECK: "true" } : {};
}

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
    // The model versions the consumers ask for, when the program pins them; undefined leaves it to the config writer.
    const pinned = config.tfServingModels === "pinned" ? modelsUsedBy(config.jobTypes) : undefined;
    const cpus = cpuLimit(gpu !== undefined);
    this.chart = ownChart(
      name,
      "tf-serving",
      {
        image: { repository: dockerHubImage(cloud, repository), tag },
        // The writer lists the models bucket (STORAGE_BUCKET) and writes models.conf; the server then reads the models.
        configWriter: {
          image: { repository: dockerHubImage(cloud, writerRepository), tag: writerTag },
          env: [...envList({ ...tfServingConfigWriterEnv, STORAGE_BUCKET: config.modelsBucket, ...cloud.cloudEnv.tfServing }), ...identity.env],
        },
        ...(pinned ? { configFiles: tfServingConfigFiles(config.modelsBucket, pinned, cpus) } : {}),
        initialReplicas: 0,
        grpcPort: tfServingService.grpcPort,
        restPort: tfServingService.restPort,
        metricsPath: tfServingService.metricsPath,
        env: [...envList({ ...tfServingEnv, ...anonymousGcsEnv(cloud.cloud, config.modelsBucket), ...cloud.cloudEnv.tfServing }), ...identity.env],
        args: tfServingServerArgs(loadThreads(pinned, cpus)),
        resources: { requests: { cpu: "1", memory: "3584Mi" }, limits: { cpu: String(cpus), memory: gpu ? "12Gi" : "8Gi" } },
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

/** One load thread per pinned model version, at most one per CPU; with every version in the bucket, one per CPU. */
export function loadThreads(pinned: readonly ServedModel[] | undefined, cpus: number): number {
  const versions = pinned?.reduce((n, model) => n + model.versions.length, 0) ?? cpus;
  return Math.max(1, Math.min(versions, cpus));
}

/** TF-Serving's CPU limit: 4 next to a GPU, 2 when it serves on CPU. */
function cpuLimit(onGpu: boolean): number {
  return onGpu ? 4 : 2;
}

/**
 * The three files TF-Serving reads (bin/serve.sh: --model_config_file, --batching_parameters_file,
 * --monitoring_config_file), in the text formats the config writer writes them (kiosk-tf-serving@0.5.0
 * writers/writers.py), except that each model is pinned to the versions the consumers ask for
 * (`specific`) where the writer loads every version it finds (`all`). Batch threads: the writer takes the
 * node's CPU count; the container's CPU limit is what TF-Serving can use.
 */
export function tfServingConfigFiles(modelsBucket: string, models: readonly ServedModel[], batchThreads: number): Record<string, string> {
  const configs = models.map(
    ({ name, versions }) =>
      [
        "    config: {",
        `        name: "${name}"`,
        `        base_path: "${modelsBucket.replace(/\/$/, "")}/${tfServingConfigWriterEnv.MODEL_PREFIX}/${name}"`,
        '        model_platform: "tensorflow"',
        "        model_version_policy: {",
        `            specific: { ${versions.map((v) => `versions: ${v}`).join(" ")} }`,
        "        }",
        "    }",
      ].join("\n"),
  );
  const batching = tfServingConfigWriterEnv;
  return {
    "models.conf": `model_config_list: {\n${configs.join("\n")}\n}\n`,
    "batching_config.txt": [
      `max_batch_size {\n value: ${batching.MAX_BATCH_SIZE}\n}`,
      `batch_timeout_micros {\n value: ${batching.BATCH_TIMEOUT_MICROS}\n}`,
      `max_enqueued_batches {\n value: ${batching.MAX_ENQUEUED_BATCHES}\n}`,
      `num_batch_threads {\n value: ${batchThreads}\n}`,
    ].join("\n") + "\n",
    "monitoring_config.txt": `prometheus_config: {\n  enable: true,\n  path: "${tfServingService.metricsPath}"\n}\n`,
  };
}
