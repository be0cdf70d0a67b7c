/**
 * What a run of N images costs and how long it takes on a stack, before the money is spent: from the
 * stack's own config, a throughput table and a price table (scripts/estimate-tables.ts, every figure
 * with its source). A price no page gave is not guessed: the estimate names it and how to supply it.
 *
 *   npm run estimate -- --stack <gcp|aws> --images N [--set key=value ...] [--prices file.json]
 *                       [--images-per-second X] [--gpu-hour X] [--gpu-machine-hour X]
 *                       [--consumer-node-hour X] [--system-node-hour X] [--cluster-hour X]
 *                       [--storage-gb-month X] [--inter-zone-gb X]
 *
 * --set kiosk:maxGpuNodes=8   evaluates the stack as if that config were set (repeatable)
 * --prices file.json          a price table of the shape of PriceTable, merged over the defaults row by row
 */
import * as fs from "fs";
import { parseConfig } from "../infra/config";
import { stackConfig } from "../offline/evaluate";
import { defaultWorkload, estimate, Estimate } from "./estimate-model";
import { benchmarkTarget, Cited, defaultPrices, defaultThroughput, PriceTable, ThroughputRow } from "./estimate-tables";

export interface EstimateArgs {
  readonly stack: string;
  readonly images: number;
  readonly set: Record<string, string>;
  readonly pricesFile?: string;
  readonly flags: Readonly<Record<string, number>>;
}

const numericFlags = ["images-per-second", "gpu-hour", "gpu-machine-hour", "consumer-node-hour", "system-node-hour", "cluster-hour", "storage-gb-month", "inter-zone-gb"] as const;

export function parseArgs(argv: readonly string[]): EstimateArgs {
  const set: Record<string, string> = {};
  const flags: Record<string, number> = {};
  let stack: string | undefined;
  let images: number | undefined;
  let pricesFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--stack") stack = value;
    else if (flag === "--images") images = Number(value);
    else if (flag === "--prices") pricesFile = value;
    else if (flag === "--set") {
      const at = value.indexOf("=");
      if (at <= 0) throw new Error(`--set ${value}: expected key=value, e.g. kiosk:maxGpuNodes=8`);
      set[value.slice(0, at)] = value.slice(at + 1);
    } else if ((numericFlags as readonly string[]).includes(flag.slice(2))) {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) throw new Error(`${flag} ${value}: expected a number ≥ 0`);
      flags[flag.slice(2)] = number;
    } else throw new Error(`unknown flag ${flag}; flags: --stack, --images, --set, --prices, ${numericFlags.map((f) => `--${f}`).join(", ")}`);
  }
  if (!stack) throw new Error("--stack is required (gcp or aws)");
  if (images === undefined || !Number.isInteger(images) || images < 1) throw new Error("--images is required: a whole number of one-megapixel images, e.g. 1000000");
  return { stack, images, set, pricesFile, flags };
}

const given = (value: number): Cited => ({ value, source: "command line", kind: "given" });

/** The tables for one run: defaults, then the prices file, then the flags. */
export function tablesFor(cloud: "gcp" | "aws", config: { gpu: { type: string; machineType: string; spot: boolean }; consumerPool: { machineType: string; spot: boolean }; systemPool: { machineType: string } }, args: EstimateArgs) {
  const fromFile: Partial<PriceTable> = args.pricesFile ? JSON.parse(fs.readFileSync(args.pricesFile, "utf8")) : {};
  const base = defaultPrices[cloud];
  const merge = <T extends object>(a: T | undefined, b: T | undefined): T => {
    const out: Record<string, unknown> = { ...(a ?? {}) };
    for (const [key, value] of Object.entries(b ?? {})) out[key] = { ...((out[key] as object) ?? {}), ...(value as object) };
    return out as T;
  };
  const f = args.flags;
  const gpuCapacity = config.gpu.spot ? "spot" : "onDemand";
  const consumerCapacity = config.consumerPool.spot ? "spot" : "onDemand";
  const gpuHour = merge(base.gpuHour, fromFile.gpuHour);
  const machineHour = merge(base.machineHour, fromFile.machineHour);
  const withFlag = <K extends string>(table: Record<string, Partial<Record<K, Cited>>>, key: string, capacity: K, flag: string) =>
    f[flag] === undefined ? table : { ...table, [key]: { ...(table[key] ?? {}), [capacity]: given(f[flag]) } };
  /** A single price: the flag, else the prices file's row, else the default table's. */
  const scalar = (flag: string, key: "clusterHour" | "storageGbMonth" | "interZoneGb") => (f[flag] !== undefined ? given(f[flag]) : (fromFile[key] ?? base[key]));
  const prices: PriceTable = {
    clusterHour: scalar("cluster-hour", "clusterHour"),
    storageGbMonth: scalar("storage-gb-month", "storageGbMonth"),
    interZoneGb: scalar("inter-zone-gb", "interZoneGb"),
    gpuHour: withFlag(gpuHour, config.gpu.type, gpuCapacity, "gpu-hour"),
    machineHour: withFlag(
      withFlag(withFlag(machineHour, config.gpu.machineType, gpuCapacity, "gpu-machine-hour"), config.consumerPool.machineType, consumerCapacity, "consumer-node-hour"),
      config.systemPool.machineType,
      "onDemand",
      "system-node-hour",
    ),
  };
  const throughput: Record<string, ThroughputRow> =
    f["images-per-second"] === undefined ? { ...defaultThroughput } : { ...defaultThroughput, [config.gpu.type]: { imagesPerSecond: given(f["images-per-second"]) } };
  return { prices, throughput };
}

export function runEstimate(args: EstimateArgs): { estimate: Estimate; report: string } {
  const overrides = Object.fromEntries(Object.entries(args.set).map(([key, value]) => [key.includes(":") ? key : `kiosk:${key}`, value]));
  const raw = stackConfig(args.stack, overrides);
  const config = parseConfig((key) => raw[key], "kiosk", args.stack);
  if (config.cloud !== "gcp" && config.cloud !== "aws") throw new Error(`the estimate is for the cloud stacks (gcp, aws); ${args.stack} runs on ${config.cloud}`);
  const { prices, throughput } = tablesFor(config.cloud, config, args);
  const result = estimate(config, { images: args.images, ...defaultWorkload }, prices, throughput);
  return { estimate: result, report: format(args, result) };
}

const usd = (value: number) => `US$${value.toFixed(2)}`;

export function format(args: EstimateArgs, e: Estimate): string {
  const lines = [`Estimate for ${args.images.toLocaleString("en-US")} one-megapixel images on the ${args.stack} stack`, "", "Inputs:"];
  for (const input of e.inputs) lines.push(`  ${input.name}: ${Number(input.value.toFixed(6))} ${input.unit}  [${input.source}]`);
  lines.push("");
  if (e.runHours !== undefined) lines.push(`Run time: ${e.runHours.toFixed(2)} h (${e.gpus} GPUs × ${(e.imagesPerSecond! / e.gpus).toFixed(2)} images/s, after a ${(e.coldStartSeconds / 60).toFixed(1)} min cold start)`);
  if (e.costUsd) {
    const c = e.costUsd;
    lines.push(`Cost: ${usd(c.total)} = GPU ${usd(c.gpu)} + CPU ${usd(c.cpu)} + storage ${usd(c.storage)} + inter-zone traffic ${usd(c.interZone)} + cluster fee ${usd(c.cluster)}`);
  }
  if (e.restingUsdPerDay !== undefined) lines.push(`Resting cost: ${usd(e.restingUsdPerDay)} per day (system nodes and cluster fee; no GPU or consumer node)`);
  if (e.missing.length > 0) {
    lines.push("", "Not estimated, for want of a cited input:");
    for (const m of e.missing) lines.push(`  - ${m}`);
  }
  if (args.images === benchmarkTarget.images && e.runHours !== undefined) {
    const needed = Math.ceil(benchmarkTarget.images / ((benchmarkTarget.hours * 3600 - e.coldStartSeconds) * (e.imagesPerSecond! / e.gpus)));
    lines.push(
      "",
      `The paper's benchmark (${benchmarkTarget.source}): ${benchmarkTarget.hours} h and under ${usd(benchmarkTarget.usd)}.`,
      e.runHours <= benchmarkTarget.hours
        ? `  Run time: met (${e.runHours.toFixed(2)} h).`
        : `  Run time: not met; at ${(e.imagesPerSecond! / e.gpus).toFixed(2)} images/s per GPU it takes ${needed} GPUs (e.g. --set kiosk:maxGpuNodes=${needed}).`,
      e.costUsd ? `  Cost: ${e.costUsd.total <= benchmarkTarget.usd ? "met" : "not met"} (${usd(e.costUsd.total)}).` : "  Cost: cannot be said without the inputs listed above.",
    );
  }
  return lines.join("\n");
}

if (require.main === module) {
  try {
    console.log(runEstimate(parseArgs(process.argv.slice(2))).report);
  } catch (error) {
    console.error(`estimate: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
}
