import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { projectRoot } from "../offline/evaluate";
import { validateAgainstKubernetesSchemas } from "./support/kube-schema";

/** Runs `npm run render -- --stack <stack> --out <folder>` exactly as a reviewer would. */
function renderCli(stack: string, folder: string): string {
  return execFileSync("npm", ["run", "--silent", "render", "--", "--stack", stack, "--out", folder], { cwd: projectRoot, encoding: "utf8", env: { ...process.env, CI: "true" } });
}

describe.each(["aws", "gcp", "local"])("npm run render on the %s stack", (stack) => {
  let folder: string;
  let files: string[];
  let output: string;
  beforeAll(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), `kiosk-render-${stack}-`));
    output = renderCli(stack, folder);
    files = fs.readdirSync(folder).sort();
  }, 180000);
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  const manifests = () =>
    files
      .filter((f) => f === "direct.yaml" || f.startsWith("chart-"))
      .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(folder, f), "utf8")).map((d) => d.toJS()))
      .filter((o) => o);

  it("writes our charts' manifests, the direct objects and the upstream charts' values", () => {
    expect(files).toContain("direct.yaml");
    expect(files.filter((f) => f.startsWith("chart-"))).toHaveLength(5);
    expect(files.some((f) => f.startsWith("upstream-") && f.includes("keda"))).toBe(true);
  });

  it("checks what it wrote: every reference resolves and our charts break no mandatory policy", () => {
    expect(output).toMatch(/^checks passed: every reference resolves, no mandatory policy violation$/m);
    expect(output).not.toMatch(/^problem:/m);
    expect(output).toMatch(/^note: keda 2\.20\.2: not rendered \(give --charts or --pull\)$/m);
  });

  it("writes manifests that are all valid against the Kubernetes schemas", () => {
    const objects = manifests();
    expect(objects.length).toBeGreaterThan(40);
    expect(validateAgainstKubernetesSchemas(objects)).toEqual([]);
  });

  it("redacts every secret's data", () => {
    const secrets = manifests().filter((o) => o.kind === "Secret");
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const value of [...Object.values(secret.data ?? {}), ...Object.values(secret.stringData ?? {})]) expect(value).toBe("<redacted>");
    }
    const text = files.map((f) => fs.readFileSync(path.join(folder, f), "utf8")).join("\n");
    expect(text).not.toMatch(/mock-password-of/);
  });
});

describe("npm run render with upstream chart sources", () => {
  it("names the missing chart and how to fetch it", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-no-charts-"));
    try {
      expect(() => execFileSync("npm", ["run", "--silent", "render", "--", "--stack", "local", "--out", path.join(empty, "out"), "--charts", empty], { cwd: projectRoot, encoding: "utf8", stdio: "pipe" })).toThrow(
        /no chart source for oci:\/\/docker\.io\/envoyproxy\/gateway-crds-helm v1\.9\.0: .*\/gateway-crds-helm\/Chart\.yaml does not exist \(helm pull oci:\/\/docker\.io\/envoyproxy\/gateway-crds-helm --version v1\.9\.0 --untar/,
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("npm run render without a stack", () => {
  it("fails with its usage", () => {
    expect(() => execFileSync("npm", ["run", "--silent", "render"], { cwd: projectRoot, encoding: "utf8", stdio: "pipe" })).toThrow(/usage: npm run render -- --stack/);
  });
});
