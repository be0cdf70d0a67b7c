/**
 * npm run bench:counting — the exporter's job counts at benchmark scale, with real servers: Debian's
 * redis-server and prometheus-redis-exporter, 200,000 finished job hashes (what a 10^6-image run leaves
 * for an hour), queues and in-flight lists, scraped at 2 requests/s (KEDA's ScaledObjects, the HPAs
 * and Prometheus together). It compares the chart's path (one count-jobs.lua per scrape) with the
 * exporter's own key counting (one SCAN per pattern, the chart's previous configuration), and checks
 * every count against what was written. Not a test: it prints numbers for the README.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as path from "path";
import * as fs from "fs";
import * as os from "os";
import { allQueues, renderedChart } from "../redis-ha/redis-set";
import { jobCounts } from "../../infra/platform/redis";

const jobHashes = Number(process.env.BENCH_JOB_HASHES ?? 200000);
const scrapesPerSecond = 2;
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const kedaTimeoutMs = 3000;
const port = 16390;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function redisCli(...args: string[]): string {
  return spawnSync("redis-cli", ["-p", String(port), "--raw", ...args], { encoding: "utf8" }).stdout.trim();
}

/** The keys a run of the Kiosk leaves: finished job hashes, waiting jobs per queue, a list per busy consumer. */
function populate(waiting: Record<string, number>, inFlight: Record<string, number>): void {
  const lines: string[] = [];
  const command = (...words: string[]) => lines.push(`*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`);
  for (let i = 0; i < jobHashes; i++) {
    command("HSET", `segmentation:image-${i}.png:${i.toString(16)}`, "status", "done", "input_file_name", `uploads/image-${i}.png`, "output_file_name", `output/image-${i}.zip`, "created_at", "2026-12-01T00:00:00Z");
  }
  for (const [queue, n] of Object.entries(waiting)) for (let i = 0; i < n; i++) command("RPUSH", queue, `${queue}:waiting-${i}`);
  for (const [queue, n] of Object.entries(inFlight)) for (let i = 0; i < n; i++) command("LPUSH", `processing-${queue}:${queue}-consumer-${i}`, `${queue}:busy-${i}`);
  const r = spawnSync("redis-cli", ["-p", String(port), "--pipe"], { input: lines.join(""), encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`populating failed: ${r.stderr}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(label: string, env: Record<string, string>, metricsPort: number, check: (page: string) => string[]) {
  const exporter = spawn("prometheus-redis-exporter", [], { env: { ...process.env, REDIS_ADDR: `redis://127.0.0.1:${port}`, REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${metricsPort}`, ...env }, stdio: "ignore" });
  try {
    for (let i = 0; i < 50; i++) { try { await fetch(`http://127.0.0.1:${metricsPort}/health`); break; } catch { await sleep(100); } }
    const latencies: number[] = [];
    const wrong: string[] = [];
    let timeouts = 0;
    const requests: Promise<void>[] = [];
    for (let i = 0; i < seconds * scrapesPerSecond; i++) {
      const started = Date.now();
      requests.push((async () => {
        try {
          const page = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(60000) })).text();
          const ms = Date.now() - started;
          latencies.push(ms);
          if (ms > kedaTimeoutMs) timeouts++;
          wrong.push(...check(page));
        } catch { timeouts++; }
      })());
      await sleep(1000 / scrapesPerSecond);
    }
    await Promise.all(requests);
    latencies.sort((a, b) => a - b);
    return { label, requests: seconds * scrapesPerSecond, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies[latencies.length - 1], overKedaTimeout: timeouts, wrongCounts: [...new Set(wrong)].length };
  } finally {
    exporter.kill("SIGKILL");
  }
}

function valueOf(page: string, series: string): number | undefined {
  const line = page.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-bench-"));
  const server: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  try {
    for (let i = 0; i < 50 && redisCli("ping") !== "PONG"; i++) await sleep(100);
    const waiting: Record<string, number> = Object.fromEntries(allQueues.map((q, i) => [q, i % 3 === 0 ? 0 : 40 * i]));
    const inFlight: Record<string, number> = Object.fromEntries(allQueues.map((q, i) => [q, i % 4 === 0 ? 0 : 15 * i]));
    populate(waiting, inFlight);
    const totalInFlight = Object.values(inFlight).reduce((a, b) => a + b, 0);
    console.log(`keys: ${redisCli("dbsize")} (${jobHashes} job hashes, ${allQueues.length} queues, ${totalInFlight} busy consumers); ${scrapesPerSecond} scrapes/s for ${seconds} s`);

    const scriptFile = path.join(dir, "count-jobs.lua");
    fs.writeFileSync(scriptFile, renderedChart().scripts["count-jobs.lua"]);
    const evalTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const started = process.hrtime.bigint();
      redisCli("eval", fs.readFileSync(scriptFile, "utf8"), "0");
      evalTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    evalTimes.sort((a, b) => a - b);

    const scriptCheck = (page: string) => allQueues.flatMap((q) => [
      valueOf(page, `${jobCounts.metric}{key="${jobCounts.waiting(q)}"}`) === waiting[q] ? [] : [`waiting:${q}`],
      valueOf(page, `${jobCounts.metric}{key="${jobCounts.inFlight(q)}"}`) === inFlight[q] ? [] : [`in_flight:${q}`],
    ].flat()).concat(valueOf(page, `${jobCounts.metric}{key="${jobCounts.allInFlight}"}`) === totalInFlight ? [] : ["in_flight"]);
    const scanCheck = (page: string) => allQueues.flatMap((q) => {
      const counted = valueOf(page, `redis_keys_count{db="db0",key="processing-${q}:*"}`);
      return counted === inFlight[q] || (counted === undefined && inFlight[q] === 0) ? [] : [`processing-${q}:*`];
    });

    const results = [
      await measure("count-jobs.lua (the chart)", { REDIS_EXPORTER_SCRIPT: scriptFile }, 19301, scriptCheck),
      await measure("one SCAN per pattern (before)", {
        REDIS_EXPORTER_CHECK_SINGLE_KEYS: allQueues.join(","),
        REDIS_EXPORTER_COUNT_KEYS: [...allQueues.map((q) => `processing-${q}:*`), "processing-*"].join(","),
      }, 19302, scanCheck),
    ];
    console.log(`count-jobs.lua in the server alone (EVAL through redis-cli, 50 runs): p50 ${percentile(evalTimes, 50).toFixed(1)} ms, p99 ${percentile(evalTimes, 99).toFixed(1)} ms`);
    console.log("path | scrapes | p50 ms | p95 ms | p99 ms | max ms | over KEDA's 3 s | series with a wrong count");
    for (const r of results) console.log(`${r.label} | ${r.requests} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${r.overKedaTimeout} | ${r.wrongCounts}`);
  } finally {
    server.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
