import { consumerCeiling } from "../infra/consumer-sizing";
import { KioskConfig } from "../infra/config";
import { scalingPolicy } from "../infra/platform/autoscaling";
import { Cited, PriceTable, ThroughputRow } from "./estimate-tables";

/** What a run of the estimate is about, beyond the stack's config. */
export interface Workload {
  readonly images: number;
  /** Megabytes stored per image: the upload and its result, kept for kiosk:bucketRetentionDays. */
  readonly storedMbPerImage: number;
  /** Megabytes sent between a consumer and TF-Serving per image (request and response). */
  readonly inferenceMbPerImage: number;
}

export const defaultWorkload: Omit<Workload, "images"> = {
  // A one-megapixel 16-bit TIFF upload (2 MB) and its 32-bit label image (4 MB).
  storedMbPerImage: 6,
  // float32 input (4 MB) and the model's float32 outputs (two channels, 8 MB).
  inferenceMbPerImage: 12,
};

/**
 * The cold start, step by step, as README "How a job in an empty cluster reaches a GPU" models it (upper
 * ends): KEDA's poll, the node autoscaler, the VM's boot, the GPU driver, the TF-Serving image and models.
 */
export const coldStartSteps: Readonly<Record<"gcp" | "aws", readonly [string, number][]>> = {
  gcp: [["KEDA poll", 5], ["node autoscaler", 30], ["GPU VM boot", 120], ["driver and device plugin", 120], ["TF-Serving pull and model load", 180]],
  aws: [["KEDA poll", 5], ["cluster-autoscaler", 30], ["GPU instance boot", 150], ["device plugin", 120], ["TF-Serving pull and model load", 180]],
};

/** After the last job: TF-Serving's cooldown, then the node autoscaler's removal of the empty node (modelled: 10 min). */
export const tailSeconds = scalingPolicy.tfServing.cooldownPeriod + 600;

export interface Input {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly source: string;
}

export interface Estimate {
  readonly inputs: Input[];
  /** Inputs with no cited value and none given: each names the flag or prices-file key that supplies it. */
  readonly missing: string[];
  readonly gpus: number;
  readonly imagesPerSecond?: number;
  readonly coldStartSeconds: number;
  readonly runHours?: number;
  readonly costUsd?: { readonly gpu: number; readonly cpu: number; readonly storage: number; readonly interZone: number; readonly cluster: number; readonly total: number };
  readonly restingUsdPerDay?: number;
}

const describe = (c: Cited) => `${c.kind}: ${c.source}${c.note ? ` (${c.note})` : ""}`;

/** Expected run time and cost of `workload` on the stack `config` describes, from the tables given. */
export function estimate(config: KioskConfig, workload: Workload, prices: PriceTable, throughput: Readonly<Record<string, ThroughputRow>>): Estimate {
  if (config.cloud !== "gcp" && config.cloud !== "aws") throw new Error(`the estimate is for the cloud stacks (gcp, aws); ${config.stack} runs on ${config.cloud}`);
  const cloud = config.cloud;
  const inputs: Input[] = [];
  const missing: string[] = [];
  const cite = (name: string, unit: string, cited: Cited | undefined, supply: string): number | undefined => {
    if (!cited) {
      missing.push(`${name} (${unit}): no cited value; give it with ${supply}`);
      return undefined;
    }
    inputs.push({ name, value: cited.value, unit, source: describe(cited) });
    return cited.value;
  };
  const fromConfig = (name: string, value: number, unit: string) => {
    inputs.push({ name, value, unit, source: `stack config (${config.stack})` });
    return value;
  };

  const gpuNodes = fromConfig("GPU nodes (kiosk:maxGpuNodes)", config.gpu.maxNodes, "nodes");
  const gpusPerNode = fromConfig("GPUs per node (kiosk:gpusPerNode)", config.gpu.countPerNode, "GPUs");
  const gpus = gpuNodes * gpusPerNode;
  const capacity = (spot: boolean) => (spot ? "spot" : "onDemand");
  const gpuCapacity = capacity(config.gpu.spot);

  const ips = cite(`throughput per ${config.gpu.type}`, "images/s", throughput[config.gpu.type]?.imagesPerSecond, `--images-per-second or throughput["${config.gpu.type}"]`);
  const coldStartSeconds = coldStartSteps[cloud].reduce((sum, [, seconds]) => sum + seconds, 0);
  inputs.push({ name: "cold start", value: coldStartSeconds, unit: "s", source: `modelled: ${coldStartSteps[cloud].map(([step, s]) => `${step} ${s} s`).join(", ")}` });
  inputs.push({ name: "GPU tail after the last job", value: tailSeconds, unit: "s", source: `modelled: TF-Serving cooldown ${scalingPolicy.tfServing.cooldownPeriod} s + node removal 600 s` });

  // On GCP the GPU is billed on top of its machine; on AWS the instance price includes it.
  const gpuHour = cloud === "gcp" ? cite(`${config.gpu.type} ${gpuCapacity}`, "USD/GPU-hour", prices.gpuHour[config.gpu.type]?.[gpuCapacity], `--gpu-hour or gpuHour["${config.gpu.type}"].${gpuCapacity}`) : 0;
  const gpuMachineHour = cite(`${config.gpu.machineType} ${gpuCapacity}`, "USD/hour", prices.machineHour[config.gpu.machineType]?.[gpuCapacity], `--gpu-machine-hour or machineHour["${config.gpu.machineType}"].${gpuCapacity}`);
  const consumerCapacity = capacity(config.consumerPool.spot);
  const consumerHour = cite(`${config.consumerPool.machineType} ${consumerCapacity}`, "USD/hour", prices.machineHour[config.consumerPool.machineType]?.[consumerCapacity], `--consumer-node-hour or machineHour["${config.consumerPool.machineType}"].${consumerCapacity}`);
  const systemHour = cite(`${config.systemPool.machineType} onDemand`, "USD/hour", prices.machineHour[config.systemPool.machineType]?.onDemand, `--system-node-hour or machineHour["${config.systemPool.machineType}"].onDemand`);
  const clusterHour = cite("cluster fee", "USD/hour", prices.clusterHour, "--cluster-hour or clusterHour");
  const storageGbMonth = cite("object storage", "USD/GB-month", prices.storageGbMonth, "--storage-gb-month or storageGbMonth");
  // Consumers and TF-Serving share a zone on gcp by default (gcp:zone); where the pools span zones (EKS node
  // groups always do), every request is charged as crossing: an upper bound, since topology-aware routing
  // (PreferClose on the tf-serving Service) keeps a request in its zone while a replica is there.
  const crossesZones = cloud === "gcp" ? Boolean(config.gcp?.multiZoneGpus) : true;
  const interZoneGb = crossesZones ? cite("inter-zone traffic (upper bound: every request crosses)", "USD/GB", prices.interZoneGb, "--inter-zone-gb or interZoneGb") : 0;
  const consumerNodes = fromConfig("consumer nodes while the queue is full (the pool's ceiling)", config.consumerPool.maxNodes, "nodes");
  const systemNodes = fromConfig("system nodes", config.systemPool.minNodes, "nodes");
  const retentionDays = fromConfig("bucket retention (kiosk:bucketRetentionDays)", config.bucket.retentionDays, "days");
  inputs.push({ name: "consumer ceiling per GPU (segmentation)", value: consumerCeiling("segmentation", "job", 1), unit: "replicas", source: "infra/consumer-sizing.ts (kiosk-console@1.8.1)" });

  const runSeconds = ips === undefined ? undefined : coldStartSeconds + workload.images / (gpus * ips);
  const result: Estimate = { inputs, missing, gpus, imagesPerSecond: ips === undefined ? undefined : gpus * ips, coldStartSeconds, runHours: runSeconds === undefined ? undefined : runSeconds / 3600 };
  const known = [gpuHour, gpuMachineHour, consumerHour, systemHour, clusterHour, storageGbMonth, interZoneGb];
  if (runSeconds === undefined || known.some((v) => v === undefined)) {
    const resting = systemHour !== undefined && clusterHour !== undefined ? 24 * (systemNodes * systemHour + clusterHour) : undefined;
    return { ...result, restingUsdPerDay: resting };
  }
  const hours = runSeconds / 3600;
  const gpuHours = (runSeconds + tailSeconds) / 3600;
  const gpu = gpuNodes * gpuHours * (gpusPerNode * gpuHour! + gpuMachineHour!);
  const cpu = hours * (consumerNodes * consumerHour! + systemNodes * systemHour!);
  const storedGb = (workload.images * workload.storedMbPerImage) / 1024;
  // Objects live from their upload to their expiry; a month is 30 days.
  const storage = storedGb * storageGbMonth! * (retentionDays / 30);
  const interZone = ((workload.images * workload.inferenceMbPerImage) / 1024) * interZoneGb!;
  const cluster = hours * clusterHour!;
  const total = gpu + cpu + storage + interZone + cluster;
  return { ...result, costUsd: { gpu, cpu, storage, interZone, cluster, total }, restingUsdPerDay: 24 * (systemNodes * systemHour! + clusterHour!) };
}
