import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { kioskNamespace, redisService } from "../infra/kiosk-contract";
import { fail } from "./checks";
import { freePort } from "./control-plane";
import { KubeClient } from "./kube-client";

/**
 * The consumers' job holder against the real API server and a real Redis behind a real Sentinel:
 * the chart's script runs as it would in two consumer pods (their bound service-account tokens, the
 * cluster's CA), marks the pod that holds a job, and the ReplicaSet controller then scales down the idle
 * one. The consumers' ValidatingAdmissionPolicy is exercised with the same tokens.
 */

const deletionCost = "controller.kubernetes.io/pod-deletion-cost";
const safeToEvict = "cluster-autoscaler.kubernetes.io/safe-to-evict";
const script = path.resolve(__dirname, "..", "charts", "consumers", "scripts", "job-holder.py");

interface Pod {
  metadata: { name: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string>; deletionTimestamp?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

async function until<T>(what: string | (() => string), seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) fail(`${typeof what === "string" ? what : what()} within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function redisCli(port: number, ...args: string[]): string {
  const result = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--raw", ...args], { encoding: "utf8", timeout: 5000 });
  if (result.status !== 0) fail(`redis-cli ${args.join(" ")}: ${result.stderr || result.error}`);
  return result.stdout.trim();
}

export interface JobHolderRun {
  readonly client: KubeClient;
  readonly server: string;
  readonly caFile: string;
  /** Scratch directory for Redis, Sentinel and the pods' service-account directories. */
  readonly dir: string;
  readonly consumer: string;
  readonly queue: string;
}

export async function checkJobHolder(run: JobHolderRun, summary: string[]): Promise<void> {
  for (const binary of ["redis-server", "redis-sentinel", "redis-cli", "python3"]) {
    if (spawnSync("sh", ["-c", `command -v ${binary}`]).status !== 0) fail(`${binary} is not installed (.ci/run installs Debian's redis-server, redis-sentinel and redis-tools)`);
  }
  const { client } = run;
  const deploymentPath = `/apis/apps/v1/namespaces/${kioskNamespace}/deployments/${run.consumer}`;
  const podsPath = `/api/v1/namespaces/${kioskNamespace}/pods`;
  const selector = encodeURIComponent(`app.kubernetes.io/name=${run.consumer}`);
  const livePods = async () => (await client.ok<{ items: Pod[] }>("GET", `${podsPath}?labelSelector=${selector}`)).items.filter((p) => !p.metadata.deletionTimestamp);
  const scale = (replicas: number) => client.ok("PATCH", `${deploymentPath}/scale?fieldManager=kube-controller-manager`, { spec: { replicas } }, "application/merge-patch+json");

  const running = (count: number) =>
    until(`${count} ${run.consumer} pods running`, 90, async () => {
      const ready = (await livePods()).filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
      return ready.length === count ? ready : undefined;
    });
  // The pod that holds the job is the newer one: left to itself, the ReplicaSet controller deletes the pod
  // that has been ready for the shorter time first, so keeping it proves the deletion cost decided.
  await scale(1);
  const [idle] = await running(1);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await scale(2);
  const busy = (await running(2)).find((p) => p.metadata.name !== idle.metadata.name)!;

  const processes: ChildProcess[] = [];
  const logs = path.join(run.dir, "logs");
  fs.mkdirSync(logs, { recursive: true });
  const start = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const log = fs.openSync(path.join(logs, `${name}.log`), "a");
    const child = spawn(command, args, { env, stdio: ["ignore", log, log] });
    processes.push(child);
    return child;
  };
  try {
    const redisPort = await freePort();
    const sentinelPort = await freePort();
    start("redis", "redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", run.dir]);
    await until("redis-server answering", 20, async () => (spawnSync("redis-cli", ["-p", String(redisPort), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG" ? true : undefined));
    const sentinelConf = path.join(run.dir, "sentinel.conf");
    fs.writeFileSync(sentinelConf, `port ${sentinelPort}\nbind 127.0.0.1\nsentinel monitor ${redisService.sentinelMasterSet} 127.0.0.1 ${redisPort} 1\n`);
    start("sentinel", "redis-sentinel", [sentinelConf]);
    await until("Sentinel naming the master", 20, async () =>
      spawnSync("redis-cli", ["-p", String(sentinelPort), "sentinel", "get-master-addr-by-name", redisService.sentinelMasterSet], { encoding: "utf8" }).stdout.includes(String(redisPort)) ? true : undefined,
    );

    // What the kubelet mounts for each pod: a token bound to the pod, and the cluster's CA.
    const tokenFor = async (pod?: Pod) => {
      const spec = pod ? { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: pod.metadata.name, uid: pod.metadata.uid }, expirationSeconds: 3600 } : { expirationSeconds: 3600 };
      const review = await client.ok<{ status: { token: string } }>("POST", `/api/v1/namespaces/${kioskNamespace}/serviceaccounts/kiosk-consumer/token`, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec });
      return review.status.token;
    };
    const apiUrl = new URL(run.server);
    const holderFor = async (pod: Pod) => {
      const accountDir = path.join(run.dir, "accounts", pod.metadata.name);
      fs.mkdirSync(accountDir, { recursive: true });
      fs.writeFileSync(path.join(accountDir, "token"), await tokenFor(pod));
      fs.copyFileSync(run.caFile, path.join(accountDir, "ca.crt"));
      start(`job-holder-${pod.metadata.name}`, "python3", [script], {
        PATH: process.env.PATH,
        SERVICE_ACCOUNT_DIR: accountDir,
        KUBERNETES_SERVICE_HOST: apiUrl.hostname,
        KUBERNETES_SERVICE_PORT: apiUrl.port,
        POD_NAME: pod.metadata.name,
        POD_NAMESPACE: kioskNamespace,
        HOSTNAME: pod.metadata.name,
        QUEUE: run.queue,
        REDIS_HOST: "127.0.0.1",
        REDIS_PORT: String(sentinelPort),
        REDIS_MASTER_SET: redisService.sentinelMasterSet,
        JOB_HOLDER_INTERVAL: "0.5",
        JOB_HOLDER_HEARTBEAT: path.join(accountDir, "heartbeat"),
      });
      return accountDir;
    };

    // The consumer's own move of a job into its processing list (kiosk-redis-consumer@0.17.2 base_consumer.py).
    redisCli(redisPort, "LPUSH", run.queue, "job-e2e");
    redisCli(redisPort, "RPOPLPUSH", run.queue, `processing-${run.queue}:${busy.metadata.name}`);
    await holderFor(busy);
    await holderFor(idle);
    const annotationsOf = async (pod: Pod) => (await client.ok<Pod>("GET", `${podsPath}/${pod.metadata.name}`)).metadata.annotations ?? {};
    const holderLog = (pod: Pod) => fs.readFileSync(path.join(logs, `job-holder-${pod.metadata.name}.log`), "utf8").trim().split("\n").slice(-3).join("\n");
    const marked = (pod: Pod, cost: string, evict: string) =>
      until(() => `${pod.metadata.name} annotated ${deletionCost}=${cost}, ${safeToEvict}=${evict} by its job holder; its log ends:\n${holderLog(pod)}\n`, 30, async () => {
        const annotations = await annotationsOf(pod);
        return annotations[deletionCost] === cost && annotations[safeToEvict] === evict ? true : undefined;
      });
    await marked(busy, "1000", "false");
    await marked(idle, "0", "true");
    summary.push(`job holder: the pod holding a job is marked (deletion cost 1000, not evictable), the idle one not, through Sentinel and the API server`);

    // The policy, with the same tokens the job holders use.
    // Strategic merge, so that a container is patched by name and the API server's own pod validation
    // (which refuses most spec changes before admission runs) lets an image change through to the policy.
    const asPod = async (pod: Pod | undefined, target: Pod, patch: unknown) => {
      const token = await tokenFor(pod);
      const as = new KubeClient(run.server, fs.readFileSync(run.caFile, "utf8"), token);
      return as.request("PATCH", `${podsPath}/${target.metadata.name}`, patch, "application/strategic-merge-patch+json");
    };
    const denied = async (what: string, response: Promise<{ status: number; text: string }>, because: string) => {
      const answer = await response;
      if (answer.status < 400 || !answer.text.includes(because)) fail(`the consumers' service account could ${what} (HTTP ${answer.status}: ${answer.text.slice(0, 300)})`);
    };
    const costPatch = { metadata: { annotations: { [deletionCost]: "5" } } };
    await denied("annotate another pod", asPod(idle, busy, costPatch), "only change the pod its token is bound to");
    await denied("annotate a pod with a token bound to no pod", asPod(undefined, busy, costPatch), "only change the pod its token is bound to");
    await denied("relabel its own pod", asPod(busy, busy, { metadata: { labels: { "app.kubernetes.io/name": "hijacked" } } }), "may not change a pod's labels");
    await denied("set another annotation on its own pod", asPod(busy, busy, { metadata: { annotations: { "example.org/other": "x" } } }), "may only set the pod-deletion-cost and safe-to-evict annotations");
    await denied("change its own pod's image", asPod(busy, busy, { spec: { containers: [{ name: "consumer", image: "example.org/other:1" }] } }), "may not change a pod's spec");
    summary.push("consumers' admission policy: another pod, an unbound token, labels, other annotations and the spec are all refused");

    // The HPA's scale-down: the ReplicaSet controller removes the idle pod and keeps the one holding a job.
    await scale(1);
    const left = await until(`${run.consumer} down to one pod`, 60, async () => {
      const live = await livePods();
      return live.length === 1 ? live : undefined;
    });
    if (left[0].metadata.name !== busy.metadata.name) fail(`scaling ${run.consumer} from 2 to 1 removed ${busy.metadata.name}, which held a job, and kept the idle ${idle.metadata.name}`);

    // The job is done: the pod may go again.
    redisCli(redisPort, "LREM", `processing-${run.queue}:${busy.metadata.name}`, "1", "job-e2e");
    await marked(busy, "0", "true");
    summary.push(`scale-down 2 → 1 kept ${busy.metadata.name}, the newer pod (which the controller deletes first by default) because it held a job; once done it was marked idle again`);
  } finally {
    for (const child of processes.reverse()) if (child.exitCode === null) child.kill("SIGTERM");
    await scale(0);
  }
}
