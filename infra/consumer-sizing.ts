import { Cloud } from "./config-types";

/** What a consumer pod asks for, as in the original Kiosk (kiosk-console@1.8.1 conf/helmfile.d/02[3-8]*-consumer.yaml requests). */
export const consumerResources = {
  job: { requests: { cpu: "300m", memory: "256Mi" }, limits: { cpu: "2", memory: "4Gi" } },
  zip: { requests: { cpu: "200m", memory: "128Mi" }, limits: { cpu: "1", memory: "2Gi" } },
} as const;
/** vCPUs of a CPU quantity such as "300m" or "2". */
function cpuOf(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}
const requestedCpu = { job: cpuOf(consumerResources.job.requests.cpu), zip: cpuOf(consumerResources.zip.requests.cpu) };

/**
 * Most consumer replicas per GPU, by job type: the original Kiosk's HPA ceilings, `GPU_NODE_MAX_SIZE ×`
 * these (kiosk-console@1.8.1 conf/helmfile.d: 0230 segmentation 150, 0231 segmentation-zip 100, 0250
 * caliban 50, 0251 caliban-zip 100, 0260/0261 mesmer 50/50, 0270/0271 polaris 50/50, 0280/0281 spot 50/50).
 * A consumer holds one image at a time and waits on TF-Serving for part of it, so keeping a GPU busy
 * takes many; these are the numbers that ran the paper's benchmark. Job types the original did not have get 50.
 */
export const consumersPerGpu: Readonly<Record<string, { readonly job: number; readonly zip: number }>> = {
  segmentation: { job: 150, zip: 100 },
  caliban: { job: 50, zip: 100 },
  mesmer: { job: 50, zip: 50 },
  polaris: { job: 50, zip: 50 },
  spot: { job: 50, zip: 50 },
};
const otherJobTypes = { job: 50, zip: 50 } as const;

export type ConsumerKind = "job" | "zip";

/**
 * Without a GPU pool (the local stack) TF-Serving runs on a few CPUs and answers a handful of requests at a
 * time: more consumers than this would only wait on it, on the user's own machine.
 */
export const consumersWithoutGpu = { job: 4, zip: 2 } as const;

/** The replica ceiling of one consumer: its per-GPU number times the GPUs TF-Serving can have (0: no GPU pool). */
export function consumerCeiling(jobType: string, kind: ConsumerKind, gpus: number): number {
  if (gpus === 0) return consumersWithoutGpu[kind];
  return (consumersPerGpu[jobType] ?? otherJobTypes)[kind] * gpus;
}

/**
 * vCPUs of a machine type, from its name: GCP's `<family>-<shape>-<vCPUs>` and AWS's sizes
 * (large = 2, xlarge = 4, Nxlarge = 4N). Undefined for a name it cannot read.
 */
export function vcpusOf(cloud: Cloud, machineType: string): number | undefined {
  if (cloud === "gcp") {
    const match = /^[a-z0-9]+-[a-z]+-(\d+)$/.exec(machineType);
    return match ? Number(match[1]) : undefined;
  }
  if (cloud === "aws") {
    const size = machineType.split(".")[1] ?? "";
    if (size === "medium") return 1;
    if (size === "large") return 2;
    const match = /^(\d*)xlarge$/.exec(size);
    return match ? 4 * Number(match[1] || 1) : undefined;
  }
  return undefined;
}

/** Share of a node's vCPUs left for pods after the kubelet's reservation and the DaemonSets (about 10 %). */
export const allocatableShare = 0.9;

/**
 * Consumer nodes that hold every consumer of the busiest job type at its ceiling (the job consumer and its
 * zip consumer together, at their CPU requests): one job type at a time is what a benchmark runs, and
 * consumers of other types share the same GPUs.
 */
export function consumerNodesFor(jobTypes: readonly string[], zipJobTypes: readonly string[], gpus: number, nodeVcpus: number): number {
  const perType = jobTypes.map((jobType) => {
    const job = consumerCeiling(jobType, "job", gpus) * requestedCpu.job;
    const zip = zipJobTypes.includes(jobType) ? consumerCeiling(jobType, "zip", gpus) * requestedCpu.zip : 0;
    return job + zip;
  });
  const cpu = Math.max(0, ...perType);
  return Math.max(1, Math.ceil(cpu / (nodeVcpus * allocatableShare)));
}
