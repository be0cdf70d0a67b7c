/**
 * charts/redis run for real: the chart is rendered with helm, and each member runs the StatefulSet's own
 * container commands, environment and probes against the rendered ConfigMap's scripts, with Debian's
 * redis-server and redis-sentinel in place of the Valkey image's binaries. A member is a "pod": its
 * volume (a directory that outlives it), its emptyDir (wiped when the pod is replaced) and two
 * "containers" (process groups). Each member has its own loopback address and the DNS name Sentinel
 * announces, resolved through a private /etc/hosts (run.sh gives the suite its own mount namespace).
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { helmTemplate } from "../../offline/helm";
import { consumerTypes, queuesOf } from "../../infra/kiosk-contract";
import { redisChartValues } from "../../infra/platform/redis";

/** Every queue a stack can have: each consumer type and its -zip twin. */
export const allQueues = queuesOf(consumerTypes);

export const namespace = "kiosk";
const projectRoot = path.join(__dirname, "..", "..");
const binaries: Record<string, string> = { REDIS_CLI: "redis-cli", REDIS_SERVER: "redis-server", REDIS_SENTINEL: "redis-sentinel" };

type Container = { name: string; command: string[]; env?: { name: string; value?: string; valueFrom?: { resourceFieldRef?: { resource: string } } }[]; lifecycle?: { preStop?: { exec: { command: string[] } } }; readinessProbe: { exec: { command: string[] } }; livenessProbe: { exec: { command: string[] } }; resources: { limits: { memory: string } } };

/** The chart as the program installs it, with every queue a stack can have. */
export function renderedChart() {
  const values = redisChartValues({ queues: allQueues, storageGi: 2 });
  const objects = helmTemplate(path.join(projectRoot, "charts", "redis"), values, "redis", namespace);
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const set = find("StatefulSet", "redis");
  const exporter = find("Deployment", "redis-exporter");
  return {
    scripts: find("ConfigMap", "redis-scripts").data as Record<string, string>,
    containers: set.spec.template.spec.containers as Container[],
    exporter: exporter.spec.template.spec.containers[0] as Container,
    members: set.spec.replicas as number,
    masterSet: values.masterSet,
  };
}

function memoryMi(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory limit ${quantity}: expected Mi or Gi`);
  return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
}

export function hostsEntriesAllowed(): void {
  if (process.env.KIOSK_PRIVATE_HOSTS !== "1") throw new Error("run the Redis suite with `npm run test:redis` (it needs a private /etc/hosts)");
}

export function cli(host: string, port: number, ...args: string[]): string {
  const r = spawnSync("redis-cli", ["-h", host, "-p", String(port), "--raw", ...args], { encoding: "utf8", timeout: 3000 });
  return (r.stdout ?? "").trim();
}

export function infoField(host: string, section: string, field: string): string {
  const line = cli(host, 6379, "info", section).split(/\r?\n/).find((l) => l.startsWith(`${field}:`));
  return line ? line.slice(field.length + 1).trim() : "";
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export class Member {
  readonly name: string;
  readonly host: string;
  readonly address: string;
  private readonly volume: string;
  private emptyDir = "";
  private readonly processes = new Map<string, ChildProcess>();
  readonly log: string[] = [];

  constructor(private readonly set: RedisSet, readonly ordinal: number) {
    this.name = `redis-${ordinal}`;
    this.host = `${this.name}.redis-headless.${namespace}.svc.cluster.local`;
    this.address = `127.0.0.${11 + ordinal}`;
    this.volume = path.join(set.root, this.name, "data");
    fs.mkdirSync(this.volume, { recursive: true });
  }

  /** The environment Kubernetes would give the container, with this machine's paths and binaries. */
  private env(container: Container): NodeJS.ProcessEnv {
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    for (const e of container.env ?? []) {
      if (e.name === "POD_NAME") env[e.name] = this.name;
      else if (e.name === "POD_NAMESPACE") env[e.name] = namespace;
      else if (e.valueFrom?.resourceFieldRef?.resource === "limits.memory") env[e.name] = String(memoryMi(container.resources.limits.memory));
      else if (e.value !== undefined) env[e.name] = e.value.replace(/\$\((\w+)\)/g, (_, v: string) => env[v] ?? "");
      else throw new Error(`${container.name}: env ${e.name} has a source the suite does not model`);
    }
    for (const name of Object.keys(binaries)) if (name in env) env[name] = binaries[name];
    return { ...env, DATA_DIR: this.volume, CONF_DIR: this.emptyDir, LOCAL_ADDR: this.address, BIND_ADDRS: this.address };
  }

  private argv(command: string[]): string[] {
    return command.map((a) => a.replace(/^\/scripts\//, `${this.set.scriptsDir}/`));
  }

  private container(name: string): Container {
    return this.set.chart.containers.find((c) => c.name === name)!;
  }

  /** A new pod on the same volume: a fresh emptyDir, both containers started. */
  startPod(): void {
    this.emptyDir = fs.mkdtempSync(path.join(this.set.root, `${this.name}-conf-`));
    this.set.publish(this);
    for (const c of this.set.chart.containers) this.startContainer(c.name);
  }

  startContainer(name: string): void {
    const c = this.container(name);
    const [cmd, ...args] = this.argv(c.command);
    const child = spawn(cmd, args, { env: this.env(c), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const collect = (chunk: Buffer) => this.log.push(...chunk.toString().split("\n").filter(Boolean).map((l) => `${name}: ${l}`));
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    this.processes.set(name, child);
  }

  /** The container's processes die at once (OOM kill, crash): no preStop, no SIGTERM. */
  killContainer(name: string): void {
    const child = this.processes.get(name);
    if (child?.pid && child.exitCode === null) {
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
    }
    this.processes.delete(name);
  }

  /** A pod lost with its node: everything dies at once; the volume stays unless lost too. */
  killPod(): void {
    for (const name of [...this.processes.keys()]) this.killContainer(name);
  }

  /** kubectl delete pod: preStop of each container that has one, then SIGTERM, then SIGKILL after the grace. */
  async deletePod(): Promise<void> {
    for (const c of this.set.chart.containers) {
      const preStop = c.lifecycle?.preStop?.exec.command;
      if (preStop) {
        const [cmd, ...args] = this.argv(preStop);
        await new Promise<void>((resolve) => spawn(cmd, args, { env: this.env(c), stdio: "ignore" }).on("exit", () => resolve()));
      }
    }
    const exits = [...this.processes.values()].filter((p) => p.exitCode === null).map((p) => new Promise((resolve) => p.on("exit", resolve)));
    for (const p of this.processes.values()) if (p.pid && p.exitCode === null) process.kill(-p.pid, "SIGTERM");
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exits), new Promise((resolve) => { grace = setTimeout(resolve, 10000); })]);
    clearTimeout(grace);
    this.killPod();
  }

  loseVolume(): void {
    fs.rmSync(this.volume, { recursive: true, force: true });
    fs.mkdirSync(this.volume, { recursive: true });
  }

  /** Runs a probe of the StatefulSet's container as the kubelet would: exit code 0 passes. */
  probe(container: "redis" | "sentinel", kind: "readinessProbe" | "livenessProbe"): Promise<boolean> {
    const c = this.container(container);
    const [cmd, ...args] = this.argv(c[kind].exec.command);
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { env: this.env(c), stdio: "ignore" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.on("exit", (code) => { clearTimeout(timer); resolve(code === 0); });
    });
  }

  role(): string {
    return infoField(this.address, "replication", "role");
  }
}

export class RedisSet {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-redis-"));
  readonly scriptsDir = path.join(this.root, "scripts");
  readonly members: Member[];
  private exporterProcess?: ChildProcess;

  constructor(readonly chart = renderedChart()) {
    hostsEntriesAllowed();
    fs.mkdirSync(this.scriptsDir);
    for (const [file, text] of Object.entries(chart.scripts)) fs.writeFileSync(path.join(this.scriptsDir, file), text);
    this.members = Array.from({ length: chart.members }, (_, i) => new Member(this, i));
  }

  /** The headless Service publishes every pod's address, ready or not (publishNotReadyAddresses). */
  publish(member: Member): void {
    const hosts = fs.readFileSync("/etc/hosts", "utf8").split("\n").filter((l) => !l.endsWith(` ${member.host}`));
    fs.writeFileSync("/etc/hosts", [...hosts.filter(Boolean), `${member.address} ${member.host}`, ""].join("\n"));
  }

  byHost(host: string): Member {
    const m = this.members.find((x) => x.host === host);
    if (!m) throw new Error(`no member is called ${host}`);
    return m;
  }

  /** What every answering Sentinel names as master (a set means they agree). */
  sentinelsSay(): Set<string> {
    const answers = this.members.map((m) => cli(m.address, 26379, "sentinel", "get-master-addr-by-name", this.chart.masterSet).split("\n")[0]).filter(Boolean);
    return new Set(answers);
  }

  /** Every replica is known to every answering Sentinel as one it may promote (Sentinel reads replicas' INFO every 10 s). */
  promotable(master: Member, running: Member[]): boolean {
    const replicas = running.filter((m) => m !== master);
    return running.every((s) => {
      const listing = cli(s.address, 26379, "sentinel", "replicas", this.chart.masterSet).split("\n");
      return replicas.every((r) => {
        const at = listing.indexOf(`${r.host}:6379`);
        const field = (name: string) => { const i = listing.indexOf(name, at); return i < 0 ? "" : listing[i + 1]; };
        return at >= 0 && field("slave-priority") !== "0" && field("master-link-status") === "ok";
      });
    });
  }

  /** One master, every other running member its replica with a live link, every Sentinel agreeing and able to promote a replica. */
  async settled(timeoutMs = 40000, running = this.members, failoverReady = true): Promise<Member> {
    return until("one master with linked replicas, named by every Sentinel", () => {
      const masters = running.filter((m) => m.role() === "master");
      if (masters.length !== 1) return undefined;
      const master = masters[0];
      const linked = running.filter((m) => m !== master).every((m) => infoField(m.address, "replication", "master_host") === master.host && infoField(m.address, "replication", "master_link_status") === "up");
      const said = this.sentinelsSay();
      return linked && said.size === 1 && said.has(master.host) && (!failoverReady || this.promotable(master, running)) ? master : undefined;
    }, timeoutMs);
  }

  master(): Member | undefined {
    return this.members.find((m) => m.role() === "master");
  }

  startExporter(binary: string, port: number): void {
    const c = this.chart.exporter;
    const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value.replace(/^\/scripts\//, `${this.scriptsDir}/`);
    const [cmd, ...args] = c.command.map((a) => a.replace(/^\/scripts\//, `${this.scriptsDir}/`));
    this.exporterProcess = spawn(cmd, args, {
      env: { ...env, REDIS_CLI: "redis-cli", EXPORTER: binary, SENTINEL_HOST: this.members[0].host, REDIS_EXPORTER_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` },
      detached: true, stdio: "ignore",
    });
  }

  /** KIOSK_REDIS_LOGS=<dir> keeps every member's output, one file per scenario. */
  stop(scenario = "set"): void {
    for (const m of this.members) m.killPod();
    const keep = process.env.KIOSK_REDIS_LOGS;
    if (keep) {
      fs.mkdirSync(keep, { recursive: true });
      fs.writeFileSync(path.join(keep, `${scenario.replace(/[^\w]+/g, "-").slice(0, 80)}.log`), this.members.map((m) => m.log.map((l) => `${m.name} ${l}`).join("\n")).join("\n"));
    }
    if (this.exporterProcess?.pid) { try { process.kill(-this.exporterProcess.pid, "SIGKILL"); } catch { /* gone */ } }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function requireBinaries(): void {
  for (const b of [...Object.values(binaries)]) execFileSync("sh", ["-c", `command -v ${b}`]);
}
