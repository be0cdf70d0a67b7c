/**
 * npm run estimate: its arithmetic against cases computed by hand, its refusal to guess a price no page
 * gave, and its flags and prices file.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs, runEstimate } from "../scripts/estimate";
import { defaultPrices } from "../scripts/estimate-tables";

const run = (...argv: string[]) => runEstimate(parseArgs(argv));

describe("npm run estimate", () => {
  it("computes the benchmark's run time and cost split on gcp at 8 GPUs, by hand", () => {
    const { estimate, report } = run("--stack", "gcp", "--images", "1000000", "--set", "kiosk:maxGpuNodes=8", "--gpu-hour", "0.14", "--gpu-machine-hour", "0.04", "--system-node-hour", "0.07");
    // 8 T4s × 5 images/s = 40 images/s; 455 s cold start + 10^6 / 40 = 25,455 s = 7.0708 h.
    expect(estimate.imagesPerSecond).toBe(40);
    expect(estimate.runHours!).toBeCloseTo(25455 / 3600, 6);
    const c = estimate.costUsd!;
    // GPU nodes pay the run plus the 1,200 s tail: 8 × (26,655 / 3600) h × (0.14 + 0.04) = 10.662.
    expect(c.gpu).toBeCloseTo(8 * (26655 / 3600) * 0.18, 6);
    // 8 GPUs × 65 vCPU = 520 vCPU on e2-standard-4 (3.6 usable): 145 consumer nodes at 4 × 0.00872 + 16 × 0.001169 = 0.053584 /h, one system node at 0.07.
    expect(c.cpu).toBeCloseTo((25455 / 3600) * (145 * 0.053584 + 0.07), 6);
    // 10^6 × 6 MB = 5,859.375 GB kept 3 of 30 days at 0.02.
    expect(c.storage).toBeCloseTo(5859.375 * 0.02 * 0.1, 6);
    // One zone: nothing crosses.
    expect(c.interZone).toBe(0);
    expect(c.cluster).toBeCloseTo((25455 / 3600) * 0.1, 6);
    expect(c.total).toBeCloseTo(c.gpu + c.cpu + c.storage + c.interZone + c.cluster, 9);
    expect(c.total).toBeCloseTo(78.52, 2);
    expect(estimate.restingUsdPerDay).toBeCloseTo(24 * (0.07 + 0.1), 9);
    // 5.5 h needs ceil(10^6 / ((19,800 − 455) × 5)) = 11 GPUs.
    expect(report).toContain("Run time: not met; at 5.00 images/s per GPU it takes 11 GPUs (e.g. --set kiosk:maxGpuNodes=11)");
    expect(report).toContain("Cost: met (US$78.52)");
    expect(report).toMatch(/throughput per nvidia-tesla-t4: 5 images\/s {2}\[official: https:\/\/pmc\.ncbi\.nlm\.nih\.gov\/articles\/PMC8759612/);
  });

  it("says which inputs no page gave instead of guessing them, and still gives the run time", () => {
    const { estimate, report } = run("--stack", "gcp", "--images", "1000000", "--set", "kiosk:maxGpuNodes=8");
    expect(estimate.costUsd).toBeUndefined();
    expect(estimate.missing.map((m) => m.split(" (")[0])).toEqual(["nvidia-tesla-t4 spot", "n1-standard-4 spot", "e2-standard-2 onDemand"]);
    expect(report).toContain('give it with --gpu-hour or gpuHour["nvidia-tesla-t4"].spot');
    expect(report).toContain("Cost: cannot be said without the inputs listed above.");
    expect(estimate.runHours!).toBeCloseTo(25455 / 3600, 6);
  });

  it("meets 5.5 h at the GPU count it names, and counts inter-zone traffic only when the pools span zones", () => {
    const prices = ["--gpu-hour", "0.14", "--gpu-machine-hour", "0.04", "--system-node-hour", "0.07"];
    const eleven = run("--stack", "gcp", "--images", "1000000", "--set", "kiosk:maxGpuNodes=11", ...prices);
    expect(eleven.estimate.runHours!).toBeLessThanOrEqual(5.5);
    expect(eleven.report).toContain("Run time: met");
    const spread = run("--stack", "gcp", "--images", "1000", "--set", "kiosk:gkeMultiZoneGpus=true", ...prices);
    // 1,000 images × 12 MB / 1024 × 0.01 per GB.
    expect(spread.estimate.costUsd!.interZone).toBeCloseTo((1000 * 12) / 1024 * 0.01, 9);
  });

  it("prices aws from the instance (GPU included), and takes a prices file row by row", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-prices-"));
    const file = path.join(dir, "prices.json");
    fs.writeFileSync(file, JSON.stringify({ machineHour: { "g4dn.xlarge": { spot: { value: 0.2, source: "lab quote", kind: "given" } }, "m6i.large": { spot: { value: 0.04, source: "lab quote", kind: "given" } }, "t3.large": { onDemand: { value: 0.08, source: "lab quote", kind: "given" } } } }));
    const { estimate } = run("--stack", "aws", "--images", "36000", "--prices", file);
    // 4 × 5 = 20 images/s: 485 s cold start + 1,800 s = 2,285 s.
    expect(estimate.runHours!).toBeCloseTo(2285 / 3600, 9);
    // 4 g4dn.xlarge × (2,285 + 1,200) s at 0.2; 145 m6i.large at 0.04 and one t3.large at 0.08 for the run.
    expect(estimate.costUsd!.gpu).toBeCloseTo(4 * (3485 / 3600) * 0.2, 9);
    expect(estimate.costUsd!.cpu).toBeCloseTo((2285 / 3600) * (145 * 0.04 + 0.08), 9);
    expect(estimate.costUsd!.storage).toBeCloseTo(((36000 * 6) / 1024) * defaultPrices.aws.storageGbMonth!.value * (3 / 30), 9);
    // EKS node groups span the availability zones: every request charged as crossing, at 0.01 per GB.
    expect(estimate.costUsd!.interZone).toBeCloseTo(((36000 * 12) / 1024) * 0.01, 9);
    expect(estimate.inputs.find((i) => i.name === "g4dn.xlarge spot")!.source).toBe("given: lab quote");
  });

  it("refuses the local stack, unknown flags and a missing image count, naming what is wrong", () => {
    expect(() => run("--stack", "local", "--images", "10")).toThrow(/for the cloud stacks \(gcp, aws\); local runs on local/);
    expect(() => run("--stack", "gcp", "--images", "10", "--gpus", "3")).toThrow(/unknown flag --gpus/);
    expect(() => run("--stack", "gcp")).toThrow(/--images is required/);
    expect(() => run("--stack", "gcp", "--images", "10", "--gpu-hour", "-1")).toThrow(/--gpu-hour -1: expected a number/);
  });
});
