import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { KubeClient } from "./kube-client";

/**
 * A real Kubernetes control plane on loopback (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler) with kwok standing in for the kubelets: nodes and pods are objects whose status kwok
 * drives through its stages, so scheduling, controllers, admission and garbage collection are real while
 * no container runs.
 */
export interface ControlPlaneOptions {
  /** Directory of the toolchain's binaries (e2e/toolchain.sh). */
  readonly bin: string;
  /** Scratch directory: certificates, etcd data, kubeconfig, logs. */
  readonly dir: string;
  /** kwok's stage definitions (node and pod lifecycles), read from kwok's module at its pinned version. */
  readonly kwokStages: string;
  readonly contextName: string;
}

export interface FakeNode {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly taints: readonly { key: string; value?: string; effect: string }[];
  readonly capacity: Record<string, string>;
}

const serviceCidr = "10.96.0.0/16";

/** A loopback port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export class ControlPlane {
  readonly kubeconfig: string;
  client!: KubeClient;
  /** The API server's URL, and the CA file its certificate is signed by (what a pod's service account directory holds). */
  server!: string;
  readonly caFile: string;
  private readonly processes: { name: string; child: ChildProcess }[] = [];
  private readonly pki: string;
  private readonly logs: string;

  constructor(private readonly options: ControlPlaneOptions) {
    this.pki = path.join(options.dir, "pki");
    this.logs = path.join(options.dir, "logs");
    this.kubeconfig = path.join(options.dir, "kubeconfig");
    this.caFile = path.join(this.pki, "ca.crt");
    fs.mkdirSync(this.pki, { recursive: true });
    fs.mkdirSync(this.logs, { recursive: true });
  }

  /** Log file of one component, for error messages. */
  logOf(name: string): string {
    return path.join(this.logs, `${name}.log`);
  }

  private start(name: string, args: string[]): void {
    const log = fs.openSync(this.logOf(name), "a");
    const child = spawn(path.join(this.options.bin, name), args, { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    child.on("exit", (code, signal) => {
      if (!this.stopping) fs.appendFileSync(this.logOf(name), `\n[e2e] ${name} exited (code ${code}, signal ${signal})\n`);
    });
    this.processes.push({ name, child });
  }

  private stopping = false;

  private certificates(): { ca: string; token: string } {
    const pki = this.pki;
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=kiosk-e2e-ca"], pki);
    fs.writeFileSync(
      path.join(pki, "apiserver.ext"),
      "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n",
    );
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver"], pki);
    openssl(["x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "apiserver.crt", "-days", "2", "-extfile", "apiserver.ext"], pki);
    openssl(["genrsa", "-out", "service-account.key", "2048"], pki);
    openssl(["rsa", "-in", "service-account.key", "-pubout", "-out", "service-account.pub"], pki);
    const token = execFileSync("openssl", ["rand", "-hex", "24"], { encoding: "utf8" }).trim();
    // One static admin identity for the e2e and the controllers; the Kiosk's own objects still go through RBAC and admission.
    fs.writeFileSync(path.join(pki, "tokens.csv"), `${token},kiosk-e2e-admin,kiosk-e2e-admin,system:masters\n`, { mode: 0o600 });
    return { ca: fs.readFileSync(path.join(pki, "ca.crt"), "utf8"), token };
  }

  private writeKubeconfig(server: string, ca: string, token: string): void {
    const kubeconfig = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: this.options.contextName, cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } }],
      users: [{ name: "kiosk-e2e-admin", user: { token } }],
      contexts: [{ name: this.options.contextName, context: { cluster: this.options.contextName, user: "kiosk-e2e-admin" } }],
      "current-context": this.options.contextName,
    };
    fs.writeFileSync(this.kubeconfig, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
  }

  async up(): Promise<void> {
    const { ca, token } = this.certificates();
    const pki = (file: string) => path.join(this.pki, file);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    this.start("etcd", [
      "--name=e2e",
      `--data-dir=${path.join(this.options.dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=e2e=http://127.0.0.1:${etcdPeer}`,
      "--listen-metrics-urls=",
      "--quota-backend-bytes=2147483648",
    ]);
    await this.waitFor("etcd", async () => (await fetch(`${etcdUrl}/health`)).ok, 60);

    const server = `https://127.0.0.1:${apiPort}`;
    this.server = server;
    this.start("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki("apiserver.crt")}`,
      `--tls-private-key-file=${pki("apiserver.key")}`,
      `--client-ca-file=${pki("ca.crt")}`,
      `--token-auth-file=${pki("tokens.csv")}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki("service-account.pub")}`,
      `--service-account-signing-key-file=${pki("service-account.key")}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      "--allow-privileged=true",
      "--profiling=false",
      "--endpoint-reconciler-type=none",
    ]);
    this.writeKubeconfig(server, ca, token);
    this.client = new KubeClient(server, ca, token);
    await this.waitFor("kube-apiserver", async () => (await this.client.request("GET", "/readyz")).status === 200, 120);

    // Both talk to the API server as the admin, serve their health endpoints on loopback, and run alone.
    const asController = async () => [
      `--kubeconfig=${this.kubeconfig}`,
      `--authentication-kubeconfig=${this.kubeconfig}`,
      `--authorization-kubeconfig=${this.kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${await freePort()}`,
      "--leader-elect=false",
    ];
    this.start("kube-controller-manager", [
      ...(await asController()),
      `--service-account-private-key-file=${pki("service-account.key")}`,
      `--root-ca-file=${pki("ca.crt")}`,
      `--cluster-signing-cert-file=${pki("ca.crt")}`,
      `--cluster-signing-key-file=${pki("ca.key")}`,
      `--service-cluster-ip-range=${serviceCidr}`,
      "--use-service-account-credentials=false",
      "--controllers=*",
    ]);
    this.start("kube-scheduler", await asController());
    this.start("kwok", [
      `--kubeconfig=${this.kubeconfig}`,
      `--config=${this.options.kwokStages}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--cidr=10.244.0.0/16",
      "--node-ip=10.0.0.10",
      `--server-address=127.0.0.1:${await freePort()}`,
    ]);
    // The service-account controller makes `default` in every namespace; pods cannot be created before it runs.
    await this.waitFor("kube-controller-manager", async () => (await this.client.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200, 120);
  }

  async addNode(node: FakeNode): Promise<void> {
    await this.client.ensure("/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: node.name,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: { "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok", ...node.labels },
      },
      spec: { taints: node.taints },
      status: { capacity: node.capacity, allocatable: node.capacity, nodeInfo: { architecture: "amd64", operatingSystem: "linux", kubeletVersion: "fake" } },
    });
  }

  async waitForReadyNodes(names: readonly string[]): Promise<void> {
    await this.waitFor("kwok (nodes Ready)", async () => {
      const nodes = await this.client.ok<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>("GET", "/api/v1/nodes");
      const ready = new Set(nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).map((n) => n.metadata.name));
      return names.every((name) => ready.has(name));
    }, 60);
  }

  private async waitFor(what: string, check: () => Promise<boolean>, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    let last: unknown;
    while (Date.now() < deadline) {
      const dead = this.processes.find((p) => p.child.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; see ${this.logOf(dead.name)}:\n${tail(this.logOf(dead.name))}`);
      try {
        if (await check()) return;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`${what} was not ready within ${seconds} s (${last instanceof Error ? last.message : "no answer"}); logs in ${this.logs}`);
  }

  /** Stops every process it started, newest first, and waits for each to exit. */
  async down(): Promise<void> {
    this.stopping = true;
    for (const { child } of [...this.processes].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

export function tail(file: string, lines = 30): string {
  if (!fs.existsSync(file)) return "";
  return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}
