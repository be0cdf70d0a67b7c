import * as fs from "fs";
import { spawn } from "child_process";
import * as os from "os";
import * as path from "path";

/** A live Deployment as the fake API server reports it: owned by a Helm release, at some replica count. */
export interface LiveDeployment {
  readonly namespace: string;
  readonly name: string;
  readonly release: string;
  readonly replicas: number;
}

export interface FakeApiServer {
  /** A kubeconfig file whose current context points at the server. */
  readonly kubeconfig: string;
  close(): Promise<void>;
}

/**
 * Just enough of the Kubernetes API, on the loopback interface, for `helm template --dry-run=server`:
 * discovery, the given live Deployments (so that templates' `lookup` sees them), no Helm releases, and
 * 404 for anything else. Real helm runs against it, so a template's lookup logic is exercised as helm runs it.
 */
export async function startFakeApiServer(deployments: readonly LiveDeployment[]): Promise<FakeApiServer> {
  const child = spawn(process.execPath, [path.join(__dirname, "fake-apiserver-process.js"), JSON.stringify(deployments)], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`fake API server exited with ${code}`)));
    child.stdout.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  child.removeAllListeners("exit");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-fake-api-"));
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: `http://127.0.0.1:${port}` } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake" } }],
      "current-context": "fake",
      users: [{ name: "fake", user: {} }],
    }),
  );
  return {
    kubeconfig,
    close: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
