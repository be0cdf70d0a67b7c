/**
 * The estimate's default inputs, each with where it comes from. Only figures found on a page are here;
 * a price nobody could cite is absent, and the estimate then names it and asks for it (--prices or a flag)
 * instead of guessing. A prices file given with --prices has this shape and wins row by row.
 */

export interface Cited {
  readonly value: number;
  /** The page the figure was read on. */
  readonly source: string;
  /** official, official (copy): the vendor's page or a copy of it; third-party: someone else's page. */
  readonly kind: "official" | "official (copy)" | "third-party" | "given";
  readonly note?: string;
}

export interface PriceTable {
  /** USD per cluster-hour for the managed control plane. */
  readonly clusterHour?: Cited;
  /** USD per GPU-hour, by gpuType and capacity. */
  readonly gpuHour: Readonly<Record<string, { readonly onDemand?: Cited; readonly spot?: Cited }>>;
  /** USD per machine-hour without GPUs (on GCP the GPU is billed on top), by machine type and capacity. */
  readonly machineHour: Readonly<Record<string, { readonly onDemand?: Cited; readonly spot?: Cited }>>;
  /** USD per GB-month of object storage. */
  readonly storageGbMonth?: Cited;
  /** USD per GB between zones of a region, each direction. */
  readonly interZoneGb?: Cited;
}

export interface ThroughputRow {
  /** One-megapixel images per second per GPU, TF-Serving busy. */
  readonly imagesPerSecond: Cited;
}

const gkePricing = "https://cloud.google.com/kubernetes-engine/pricing";
const spotVmPricing = "https://cloud.google.com/spot-vms/pricing?authuser=00&hl=id";
const e2SpotNote = "E2 Spot: US$0.00872 per vCPU-hour and US$0.001169 per GiB-hour (the page's region tab is not shown); e2-standard-N = N vCPUs, 4N GiB";
const e2Spot = (vcpus: number): Cited => ({ value: vcpus * 0.00872 + 4 * vcpus * 0.001169, source: spotVmPricing, kind: "official", note: e2SpotNote });

export const defaultPrices: Readonly<Record<"gcp" | "aws", PriceTable>> = {
  gcp: {
    clusterHour: { value: 0.1, source: gkePricing, kind: "official", note: "$0.10 per cluster per hour; the free tier's $74.40/month credit is not counted" },
    gpuHour: {},
    machineHour: { "e2-standard-2": { spot: e2Spot(2) }, "e2-standard-4": { spot: e2Spot(4) }, "e2-standard-8": { spot: e2Spot(8) } },
    storageGbMonth: { value: 0.02, source: "https://cloud.google.com/storage/pricing", kind: "official (copy)", note: "Standard storage, us-central1 (read on a mirror of the page)" },
    interZoneGb: { value: 0.01, source: "https://brainagents.ai/gcpfinops/blog/gcp-network-egress-cross-region-costs", kind: "third-party", note: "same region, different zone" },
  },
  aws: {
    clusterHour: { value: 0.1, source: "https://aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing", kind: "official (copy)", note: "$0.10 per cluster per hour in standard support" },
    gpuHour: {},
    machineHour: {
      "g4dn.xlarge": {
        onDemand: { value: 0.526, source: "https://dev.to/tildalice/gpu-vs-cpu-inference-5-scenarios-real-costs-latency-d41", kind: "third-party", note: "region not stated; includes the T4" },
      },
    },
    storageGbMonth: { value: 0.023, source: "https://www.cloudhealthtech.com/blog/s3-cost-aws-cloud-storage-costs-explained", kind: "third-party", note: "S3 Standard, $0.023–$0.026 depending on region" },
    interZoneGb: { value: 0.01, source: "https://www.usage.ai/blogs/aws-network-costs/", kind: "third-party", note: "$0.01/GB each direction between availability zones" },
  },
};

/**
 * The paper's statement of GPU inference speed, at its lower end: "typical inference speeds on
 * megapixel-scale images are in the range of 5–10 frames per second" (Bannon et al., Nature Methods 2021).
 * It names no GPU model; the table uses it for the T4 the paper's cluster configuration offered.
 */
export const defaultThroughput: Readonly<Record<string, ThroughputRow>> = {
  "nvidia-tesla-t4": {
    imagesPerSecond: { value: 5, source: "https://pmc.ncbi.nlm.nih.gov/articles/PMC8759612", kind: "official", note: "lower end of 5–10 frames/s on megapixel images, on a GPU" },
  },
};

/** The paper's benchmark: 10^6 one-megapixel images in about 5.5 h for about US$250, under US$100 achievable (same source). */
export const benchmarkTarget = { images: 1_000_000, hours: 5.5, usd: 100, source: "https://pmc.ncbi.nlm.nih.gov/articles/PMC8759612" } as const;
