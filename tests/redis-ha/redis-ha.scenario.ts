/**
 * charts/redis with real servers: every scenario asserts that no acknowledged job is lost and measures
 * how long writes are unavailable. Run with `npm run test:redis` (tests/redis-ha/run.sh).
 */
import * as net from "net";
import { allQueues, cli, infoField, Member, RedisSet, requireBinaries, sleep, until } from "./redis-set";
import { inFlightTrigger } from "../../infra/platform/autoscaling";
import { jobCounts } from "../../infra/platform/redis";
import { kioskQueries } from "../../infra/observability/metrics";
import { lostJobs, queue, Writer } from "./writer";

const measured: { scenario: string; acknowledged: number; refused: number; lost: number; unavailableMs?: number }[] = [];

let set: RedisSet;
let writer: Writer | undefined;

beforeAll(() => requireBinaries());
beforeEach(() => { set = new RedisSet(); });
afterEach(() => {
  writer?.disconnect();
  writer = undefined;
  set.stop(expect.getState().currentTestName);
});
afterAll(() => {
  console.log(["scenario | acknowledged | refused (client saw an error) | lost | longest write gap (ms)", ...measured.map((m) => `${m.scenario} | ${m.acknowledged} | ${m.refused} | ${m.lost} | ${m.unavailableMs ?? "-"}`)].join("\n"));
});

const startAll = (order = set.members) => { for (const m of order) m.startPod(); };

function startWriter(): Writer {
  writer = new Writer(set.members.map((m) => ({ host: m.host, port: 26379 })), set.chart.masterSet);
  writer.start();
  return writer;
}

/** Stops the writer, waits for the set to settle, and checks every acknowledged job on the master. */
async function expectNothingLost(scenario: string, w: Writer, disruptedAt?: number, running?: Member[]): Promise<void> {
  await w.stop();
  const master = await set.settled(60000, running);
  const held = cli(master.address, 6379, "lrange", queue, "0", "-1").split("\n").filter(Boolean);
  const lost = lostJobs(w.acknowledged, held);
  measured.push({ scenario, acknowledged: w.acknowledged.length, refused: w.refused, lost: lost.length, unavailableMs: disruptedAt === undefined ? undefined : w.longestGapMs(disruptedAt) });
  expect(w.acknowledged.length).toBeGreaterThan(100);
  expect(lost).toEqual([]);
}

async function writeFor(ms: number): Promise<void> {
  await sleep(ms);
}

/** Jobs have been submitted for 2 s to a settled set; the disruption starts now (`at`). */
async function disruptionUnderWrites(): Promise<{ w: Writer; master: Member; at: number }> {
  const w = startWriter();
  await writeFor(2000);
  return { w, master: set.master()!, at: Date.now() };
}

describe("first start", () => {
  const permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  it.each([
    ["all at once", [0, 1, 2], 0] as const,
    ...permutations.map((order) => [`one by one, ${order.join(", ")}`, order, 1500] as const),
  ])("elects one master, redis-0, %s", async (_name, order, staggerMs) => {
    for (const i of order) {
      set.members[i].startPod();
      await sleep(staggerMs);
    }
    // Every order but one stops at one master with linked replicas; waiting until Sentinel may promote them adds 10 s.
    const master = await set.settled(40000, set.members, staggerMs === 0);
    expect(master.name).toBe("redis-0");
  });
});

describe("a running set", () => {
  beforeEach(async () => {
    startAll();
    await set.settled();
  });

  it("keeps every acknowledged job when the master's server crashes and restarts at once", async () => {
    const { w, master, at } = await disruptionUnderWrites();
    master.killContainer("redis");
    master.startContainer("redis");
    await writeFor(8000);
    await expectNothingLost("master server crash, immediate restart", w, at);
  });

  it("fails over when the master's pod is lost, and the old master rejoins as a replica", async () => {
    const { w, master, at } = await disruptionUnderWrites();
    master.killPod();
    await until("a new master", () => set.members.find((m) => m !== master && m.role() === "master"), 20000);
    await writeFor(3000);
    master.startPod();
    await writeFor(5000);
    await expectNothingLost("master pod lost, back after failover", w, at);
    expect(w.longestGapMs(at)).toBeLessThan(15000);
  });

  it("keeps every acknowledged job through a crash-looping master", async () => {
    const { w, master, at } = await disruptionUnderWrites();
    for (let crash = 0; crash < 4; crash++) {
      master.killContainer("redis");
      await sleep(1500);
      master.startContainer("redis");
      await sleep(2500);
    }
    await writeFor(5000);
    await expectNothingLost("master crash-looping (4 crashes)", w, at);
  });

  it("hands over without losing a write when the master's pod is deleted (planned failover)", async () => {
    const { w, master, at } = await disruptionUnderWrites();
    await master.deletePod();
    await until("no Sentinel naming the stopped master", () => !set.sentinelsSay().has(master.host), 10000);
    master.startPod();
    await writeFor(6000);
    await expectNothingLost("planned failover (pod deleted)", w, at);
    expect(w.longestGapMs(at)).toBeLessThan(15000);
  });

  it("refuses writes on a master that has lost its replicas, instead of accepting what it would lose", async () => {
    const master = set.master()!;
    for (const m of set.members.filter((x) => x !== master)) m.killPod();
    await sleep(7000);
    expect(cli(master.address, 6379, "lpush", queue, "x")).toMatch(/NOREPLICAS/);
  });

  it("resyncs a replica whose volume was lost, and keeps the jobs", async () => {
    const w = startWriter();
    await writeFor(2000);
    const replica = set.members.find((m) => m.role() !== "master")!;
    replica.killPod();
    replica.loseVolume();
    replica.startPod();
    await writeFor(6000);
    await expectNothingLost("replica volume lost", w);
  });

  it("does not let a master whose volume was lost wipe the set", async () => {
    const w = startWriter();
    await writeFor(3000);
    const master = set.master()!;
    const at = Date.now();
    master.killPod();
    master.loseVolume();
    master.startPod();
    await writeFor(8000);
    await expectNothingLost("master volume lost, pod back at once", w, at);
    expect(set.master()).not.toBe(master);
  });
});

describe("a full restart", () => {
  async function fullRestart(scenario: string, prepare: (w: Writer) => Promise<void>, afterStop?: () => void): Promise<void> {
    startAll();
    await set.settled();
    const w = startWriter();
    await writeFor(2000);
    await prepare(w);
    await w.stop();
    for (const m of set.members) m.killPod();
    afterStop?.();
    startAll();
    const master = await set.settled(90000);
    const held = cli(master.address, 6379, "lrange", queue, "0", "-1").split("\n").filter(Boolean);
    const lost = lostJobs(w.acknowledged, held);
    measured.push({ scenario, acknowledged: w.acknowledged.length, refused: w.refused, lost: lost.length });
    expect(w.acknowledged.length).toBeGreaterThan(100);
    expect(lost).toEqual([]);
  }

  it("keeps every job with intact volumes", async () => {
    await fullRestart("full restart, intact volumes", async () => writeFor(2000));
  });

  it("keeps every job when redis-0 (the master) comes back with an empty volume", async () => {
    await fullRestart("full restart, master redis-0's volume empty", async () => {
      expect(set.master()!.name).toBe("redis-0");
      await writeFor(2000);
    }, () => set.members[0].loseVolume());
  });

  it("keeps every job when redis-0 is stale (it was down while jobs were written)", async () => {
    await fullRestart("full restart, redis-0 stale", async () => {
      const stale = set.members[0];
      stale.killPod();
      await until("a new master", () => set.members.find((m) => m !== stale && m.role() === "master"), 20000);
      await writeFor(4000);
    });
  });
});

/**
 * The value KEDA's metrics-api trigger reads at `valueLocation` from a Prometheus text page: the first
 * series of that name whose labels include every label of the selector (kedacore/keda@v2.20.2
 * pkg/scalers/metrics_api_scaler.go getValueFromPrometheusResponse).
 */
function valueAt(page: string, valueLocation: string): number | undefined {
  return seriesMatching(page, valueLocation)[0];
}

/** Every sample of a Prometheus text page that a PromQL selector (`name{label="v",label=~"re"}`) selects. */
function seriesMatching(page: string, selector: string): number[] {
  const [, name, inside] = /^([^{]+)(?:\{(.*)\})?$/.exec(selector)!;
  const matchers = [...(inside ?? "").matchAll(/(\w+)(=~|=)"([^"]*)"/g)].map(([, label, op, value]) => ({ label, test: (v: string) => (op === "=" ? v === value : new RegExp(`^(?:${value})$`).test(v)) }));
  const values: number[] = [];
  for (const line of page.split("\n")) {
    const m = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (matchers.every((x) => labels[x.label] !== undefined && x.test(labels[x.label]))) values.push(Number(m[3]));
  }
  return values;
}

/** The selector a dashboard query aggregates (`sum(...)`, `sum by (key) (...)`, `max(...)`). */
function selectorOf(query: string): string {
  return /\(([a-z_:]+(?:\{[^}]*\})?)\)\s*$/.exec(query)![1];
}

async function scrape(port: number): Promise<string> {
  try { return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(); } catch { return ""; }
}

describe("the exporter", () => {
  it("publishes each queue's waiting and in-flight jobs, 0 included, where the ScaledObjects read them", async () => {
    startAll();
    const master = await set.settled(40000, set.members, false);
    const waiting: Record<string, number> = { segmentation: 3, "mesmer-zip": 1 };
    const inFlight: Record<string, number> = { segmentation: 2, "caliban": 1 };
    for (const [queue, n] of Object.entries(waiting)) cli(master.address, 6379, "rpush", queue, ...Array.from({ length: n }, (_, i) => `job-${i}`));
    for (const [queue, n] of Object.entries(inFlight)) for (let i = 0; i < n; i++) cli(master.address, 6379, "lpush", `processing-${queue}:${queue}-consumer-pod-${i}`, `job-${i}`);
    for (let i = 0; i < 50; i++) cli(master.address, 6379, "hset", `segmentation:done-${i}.png:abc${i}`, "status", "done");
    const port = 19122;
    set.startExporter("prometheus-redis-exporter", port);
    const page = await (async () => {
      for (let i = 0; i < 50; i++) { const text = await scrape(port); if (text.includes("redis_script_values")) return text; await sleep(200); }
      return "";
    })();
    for (const queue of allQueues) {
      expect({ queue, waiting: valueAt(page, `redis_script_values{key="${jobCounts.waiting(queue)}"}`) }).toEqual({ queue, waiting: waiting[queue] ?? 0 });
      const trigger = inFlightTrigger(queue, jobCounts.inFlight(queue), 1);
      expect({ queue, inFlight: valueAt(page, trigger.metadata.valueLocation) }).toEqual({ queue, inFlight: inFlight[queue] ?? 0 });
    }
    expect(valueAt(page, inFlightTrigger("all", jobCounts.allInFlight, 1).metadata.valueLocation)).toBe(3);
    expect(valueAt(page, `redis_script_values{key="${jobCounts.allWaiting}"}`)).toBe(4);
    // The dashboard's and alerts' selectors, evaluated on the real page.
    const queries = kioskQueries(allQueues);
    const sum = (query: string) => seriesMatching(page, selectorOf(query)).reduce((a, b) => a + b, 0);
    expect(seriesMatching(page, selectorOf(queries.queueDepth)).length).toBe(allQueues.length);
    expect(sum(queries.queueDepth)).toBe(4);
    expect(sum(queries.totalQueued)).toBe(4);
    expect(sum(queries.inFlight)).toBe(3);
    expect(seriesMatching(page, selectorOf(queries.redisUp))).toEqual([1]);
    expect(seriesMatching(page, 'redis_commands_total{cmd="lpush"}')[0]).toBeGreaterThan(0);
  });


  it("reads the master the Sentinels name, and follows it through a failover", async () => {
    startAll();
    const first = await set.settled();
    cli(first.address, 6379, "lpush", queue, "a", "b", "c");
    const port = 19121;
    set.startExporter("prometheus-redis-exporter", port);
    const readsMaster = async (master: Member) => {
      for (let i = 0; i < 100; i++) {
        const text = await scrape(port);
        if (new RegExp(`redis_instance_info\\{[^}]*role="master"`).test(text) && valueAt(text, 'redis_script_values{key="waiting:segmentation"}') === 3
          && new RegExp(`redis_connected_slaves 2`).test(text) && master.role() === "master") return true;
        await sleep(300);
      }
      return false;
    };
    expect(await readsMaster(first)).toBe(true);
    first.killPod();
    const next = await until("a new master", () => set.members.find((m) => m !== first && m.role() === "master"), 20000);
    first.startPod();
    await set.settled();
    expect(await readsMaster(next)).toBe(true);
  });
});

describe("probes", () => {
  it("count a server that is loading its data as alive but not ready", async () => {
    // A stand-in that answers every command as a server still loading its AOF does (an error reply).
    const loading = net.createServer((socket) => socket.on("data", () => socket.write("-LOADING Redis is loading the dataset in memory\r\n")));
    const probeAs = set.members[0];
    await new Promise<void>((resolve) => loading.listen(6379, probeAs.address, resolve));
    try {
      expect(await probeAs.probe("redis", "livenessProbe")).toBe(true);
      expect(await probeAs.probe("redis", "readinessProbe")).toBe(false);
    } finally {
      loading.close();
    }
  });

  it("tell a candidate, a linked replica, an orphaned replica and a master apart", async () => {
    const [first, second] = set.members;
    second.startPod();
    await until("redis-1's server up", () => cli(second.address, 6379, "ping") === "PONG", 10000);
    expect(await second.probe("redis", "livenessProbe")).toBe(true);
    // Alone, with no Sentinel anywhere, it waits for a majority: a candidate, alive but not ready.
    expect(await second.probe("redis", "readinessProbe")).toBe(false);
    first.startPod();
    set.members[2].startPod();
    const master = await set.settled();
    for (const m of set.members) {
      expect(await m.probe("redis", "readinessProbe")).toBe(true);
      expect(await m.probe("sentinel", "readinessProbe")).toBe(true);
    }
    const replica = set.members.find((m) => m !== master)!;
    master.killPod();
    await until("the replica's link down", () => infoField(replica.address, "replication", "master_link_status") === "down" && replica.role() === "slave", 5000);
    expect(await replica.probe("redis", "readinessProbe")).toBe(false);
    expect(await replica.probe("redis", "livenessProbe")).toBe(true);
  });
});
