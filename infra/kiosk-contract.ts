import * as fs from "fs";
import * as path from "path";
/**
 * What the published vanvalenlab/kiosk-* images expect of their deployment (../shared/kiosk-contract.md).
 * Every component takes names, ports and fixed environment from here, and the tests check the
 * rendered objects against it; a wrong name or port here means a service that silently never works.
 */

export const kioskNamespace = "deepcell";

export const kioskImages = {
  frontend: "vanvalenlab/kiosk-frontend",
  consumer: "vanvalenlab/kiosk-redis-consumer",
  tfServing: "vanvalenlab/kiosk-tf-serving",
  tfServingConfigWriter: "vanvalenlab/kiosk-tf-serving-config-writer",
  janitor: "vanvalenlab/kiosk-redis-janitor",
} as const;

/**
 * What our overlays' storage modules read beyond the published images' variables
 * (images/kiosk-frontend/storage.js, images/kiosk-redis-consumer/storage.py), with the cloud layer's share.
 */
export function overlayEnv<V>(images: { readonly set: string; readonly signedLinkSeconds: number }, cloudShare: Readonly<Record<string, V>> | undefined): Record<string, string | V> {
  if (images.set !== "overlay") return {};
  return { STORAGE_SIGNED_URL_SECONDS: String(images.signedLinkSeconds), ...cloudShare };
}

/** Our overlays (images/<name>), by the published image they are built from. */
export const overlayImages = { frontend: "kiosk-frontend", consumer: "kiosk-redis-consumer" } as const;

/** An overlay's upstream tag and its own tag, <upstream>-kiosk.<revision>, from images/<name>/overlay.env (which the build workflow reads too). */
export function overlayBuild(overlay: keyof typeof overlayImages): { readonly upstreamTag: string; readonly tag: string } {
  const text = fs.readFileSync(path.join(__dirname, "..", "images", overlayImages[overlay], "overlay.env"), "utf8");
  const value = (name: string) => {
    const found = new RegExp(`^${name}=(\\S+)$`, "m").exec(text)?.[1];
    if (!found) throw new Error(`images/${overlayImages[overlay]}/overlay.env has no ${name}`);
    return found;
  };
  return { upstreamTag: value("UPSTREAM_TAG"), tag: `${value("UPSTREAM_TAG")}-kiosk.${value("REVISION")}` };
}

export const redisService = { name: "redis", port: 6379, sentinelPort: 26379, replicas: 3, sentinelMasterSet: "mymaster" } as const;
export const tfServingService = { name: "tf-serving", grpcPort: 8500, restPort: 8501, metricsPath: "/monitoring/prometheus/metrics" } as const;
export const frontendService = { name: "frontend", port: 8080 } as const;

/** Kubernetes service accounts of the workloads that read or write the bucket; the cloud layer grants each one access. */
export const bucketWorkloads = {
  frontend: "kiosk-frontend",
  consumer: "kiosk-consumer",
  tfServing: "kiosk-tf-serving",
} as const;
export type BucketWorkload = keyof typeof bucketWorkloads;

/** The queue of a job type and its -zip twin. */
export function queuesOf(jobTypes: readonly string[]): string[] {
  return jobTypes.flatMap((jobType) => [jobType, `${jobType}-zip`]);
}

/** Redis as every Kiosk client reaches it: through Sentinel. */
export const redisClientEnv = {
  REDIS_HOST: redisService.name,
  REDIS_PORT: String(redisService.sentinelPort),
} as const;

export const frontendEnv = {
  PORT: String(frontendService.port),
  ...redisClientEnv,
  REDIS_SENTINEL: "true",
  MODEL_PREFIX: "models/",
  UPLOAD_PREFIX: "uploads/",
} as const;

/**
 * What every consumer reads, zip consumers included (vanvalenlab/kiosk-redis-consumer@0.17.2:
 * redis_consumer/settings.py; redis_consumer/redis.py connects through Sentinel on REDIS_PORT).
 */
export const consumerEnv = {
  ...redisClientEnv,
} as const;

/** What the consumers that call TF-Serving read (settings.py: TF_HOST, TF_PORT, GRPC_TIMEOUT; the original ran GRPC_TIMEOUT 20). */
export const tfConsumerEnv = {
  TF_HOST: tfServingService.name,
  TF_PORT: String(tfServingService.grpcPort),
  GRPC_TIMEOUT: "20",
} as const;

/**
 * The consumer types of the image (redis_consumer/consumers/__init__.py CONSUMERS, deprecated aliases left
 * out), each with the settings it reads where the original Kiosk (vanvalenlab/kiosk-console
 * conf/helmfile.d/02xx) ran a value other than the image's default, or where the default names no queue.
 */
export const consumerTypeEnv: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  segmentation: { NUCLEAR_MODEL: "NuclearSegmentation:75", CYTOPLASM_MODEL: "CytoplasmSegmentation:5", PHASE_MODEL: "CytoplasmSegmentation:5" },
  mesmer: { MESMER_MODEL: "MultiplexSegmentation:9", MESMER_COMPARTMENT: "both" },
  caliban: {
    INTERVAL: "1",
    TRACKING_MODEL: "NuclearTrackingInf:75",
    NEIGHBORHOOD_ENCODER: "NuclearTrackingNE:75",
    DIVISION: "0.01",
    MAX_DISTANCE: "60",
    SEGMENTATION_QUEUE: "segmentation",
  },
  polaris: { INTERVAL: "1" },
  spot: { POLARIS_MODEL: "SpotDetection:7" },
};
export const consumerTypes = Object.keys(consumerTypeEnv);

/**
 * The job types the portal has a form for (vanvalenlab/kiosk-frontend@0.11.3:src/Predict/JobForm/JobForm.js;
 * any other type shows "Invalid job type"). Only these are offered, and only these get a -zip queue.
 */
export const portalJobTypes = ["mesmer", "polaris", "segmentation", "caliban"] as const;

export function offeredInPortal(jobType: string): boolean {
  return (portalJobTypes as readonly string[]).includes(jobType);
}

/**
 * Queues a consumer pushes its per-frame or per-channel jobs to, which must therefore be drained, and
 * what it sends there: caliban's SEGMENTATION_QUEUE (caliban_consumer.py), and polaris's hard-coded
 * `spot`, `segmentation` and `mesmer` (polaris_consumer.py).
 */
export const childQueuesOf: Readonly<Record<string, { readonly queues: readonly string[]; readonly sends: string }>> = {
  caliban: { queues: [consumerTypeEnv.caliban.SEGMENTATION_QUEUE], sends: "segments every frame through" },
  polaris: { queues: ["spot", "segmentation", "mesmer"], sends: "sends its parts to" },
};

/** A consumer Deployment: which queue it drains and the env that tells the image so. */
export interface ConsumerSpec {
  /** Deployment name, as the original Kiosk named them (`segmentation-consumer`, `segmentation-zip-consumer`). */
  readonly name: string;
  /** The Redis list it pops from. */
  readonly queue: string;
  /** The job type it serves (its zip consumer's too). */
  readonly jobType: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * The consumers of one job type. The image's zip consumer takes the job type as QUEUE and itself
 * reads `<QUEUE>-zip`, splitting each archive into jobs on the job type's own queue; only job types the
 * portal offers get one, since nothing else pushes to a -zip queue.
 */
export function consumersOf(jobType: string): ConsumerSpec[] {
  const consumer: ConsumerSpec = {
    name: `${jobType}-consumer`,
    queue: jobType,
    jobType,
    env: { QUEUE: jobType, CONSUMER_TYPE: jobType, ...tfConsumerEnv, TF_MAX_BATCH_SIZE: consumerMaxBatchSize(jobType), ...consumerTypeEnv[jobType] },
  };
  if (!offeredInPortal(jobType)) return [consumer];
  return [consumer, { name: `${jobType}-zip-consumer`, queue: `${jobType}-zip`, jobType, env: { QUEUE: jobType, CONSUMER_TYPE: "zip" } }];
}

/** A model and the versions of it the consumers ask TF-Serving for (their `*_MODEL` and `NEIGHBORHOOD_ENCODER` settings, `Name:version`). */
export interface ServedModel {
  readonly name: string;
  readonly versions: readonly number[];
}

/** Every model the consumers of these job types ask for, by name, with its versions ascending. */
export function modelsUsedBy(jobTypes: readonly string[]): ServedModel[] {
  const versions = new Map<string, Set<number>>();
  for (const consumer of jobTypes.flatMap(consumersOf)) {
    for (const [name, value] of Object.entries(consumer.env)) {
      if (!/_MODEL$|^NEIGHBORHOOD_ENCODER$/.test(name)) continue;
      const [model, version] = value.split(":");
      versions.set(model, (versions.get(model) ?? new Set()).add(Number(version)));
    }
  }
  return [...versions.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, set]) => ({ name, versions: [...set].sort((a, b) => a - b) }));
}

/**
 * TF_MAX_BATCH_SIZE per consumer type, as the original ran them (image default 64): mesmer's models are
 * larger; caliban also takes it as its frame cap (caliban_consumer.py).
 */
export function consumerMaxBatchSize(consumerType: string): string {
  return consumerType === "mesmer" ? "8" : "32";
}

/** What the server image reads (vanvalenlab/kiosk-tf-serving@0.6.0:bin/serve.sh, the entrypoint of docker/Dockerfile.server). */
export const tfServingEnv = {
  PORT: String(tfServingService.grpcPort),
  REST_API_PORT: String(tfServingService.restPort),
  REST_API_TIMEOUT: "30000",
  ENABLE_BATCHING: "true",
  PROMETHEUS_MONITORING_ENABLED: "true",
  MODEL_CONFIG_FILE: "/config/models.conf",
  BATCHING_CONFIG_FILE: "/config/batching_config.txt",
  MONITORING_CONFIG_FILE: "/config/monitoring_config.txt",
} as const;

/**
 * tensorflow_model_server's flags, built from tfServingEnv as the image's entrypoint builds them
 * (kiosk-tf-serving@0.6.0:bin/serve.sh), plus --num_load_threads, which that entrypoint never passes:
 * without it TF-Serving 2.8 loads model versions one at a time (tensorflow/serving@2.8.0
 * tensorflow_serving/model_servers/main.cc "num_load_threads"; server.h default 0 = serial). Kubernetes
 * expands $(VAR) from the container's env. serve.sh also passes --grpc_channel_arguments and
 * --tensorflow_session_parallelism from image defaults that equal TF-Serving's own ("" and 0,
 * docker/Dockerfile.server), so they are left at their defaults.
 */
export function tfServingServerArgs(loadThreads: number): string[] {
  return [
    "--port=$(PORT)",
    "--rest_api_port=$(REST_API_PORT)",
    "--rest_api_timeout_in_ms=$(REST_API_TIMEOUT)",
    "--enable_batching=$(ENABLE_BATCHING)",
    "--model_config_file=$(MODEL_CONFIG_FILE)",
    ...(tfServingEnv.PROMETHEUS_MONITORING_ENABLED === "true" ? ["--monitoring_config_file=$(MONITORING_CONFIG_FILE)"] : []),
    ...(tfServingEnv.ENABLE_BATCHING === "true" ? ["--batching_parameters_file=$(BATCHING_CONFIG_FILE)"] : []),
    `--num_load_threads=${loadThreads}`,
  ];
}

/**
 * What the config writer image reads (vanvalenlab/kiosk-tf-serving@0.5.0:bin/write.sh, the entrypoint of
 * docker/Dockerfile.writer): it writes the three files the server reads onto the shared /config volume.
 */
export const tfServingConfigWriterEnv = {
  MODEL_PREFIX: "models",
  MODEL_CONFIG_FILE: tfServingEnv.MODEL_CONFIG_FILE,
  BATCHING_CONFIG_FILE: tfServingEnv.BATCHING_CONFIG_FILE,
  MONITORING_CONFIG_FILE: tfServingEnv.MONITORING_CONFIG_FILE,
  PROMETHEUS_MONITORING_ENABLED: tfServingEnv.PROMETHEUS_MONITORING_ENABLED,
  PROMETHEUS_MONITORING_PATH: tfServingService.metricsPath,
  MAX_BATCH_SIZE: "32",
  BATCH_TIMEOUT_MICROS: "0",
  MAX_ENQUEUED_BATCHES: "512",
} as const;

export const janitorEnv = {
  ...redisClientEnv,
  INTERVAL: "5",
} as const;

/** Prefixes under which the bucket's objects are temporary and expire. */
export const expiringBucketPrefixes = ["uploads/", "output/"] as const;

/** The portal's ingress must accept uploads this large. */
export const maxUploadSize = "1g";
/** The frontend's memory limit: the largest upload (maxUploadSize, held whole in memory) plus the server itself. */
export const frontendMemoryLimit = "2560Mi";

/**
 * Where the platform exposes metrics (Service label selector and named port in the Kiosk namespace);
 * KEDA reads the Redis exporter directly, Prometheus scrapes both when monitoring is on.
 */
export const metricsEndpoints = {
  tfServing: { selector: { "app.kubernetes.io/name": "tf-serving" }, portName: "rest", port: tfServingService.restPort, path: tfServingService.metricsPath },
  redisExporter: { selector: { "app.kubernetes.io/name": "redis-exporter" }, portName: "metrics", port: 9121, path: "/metrics" },
} as const;
