import * as k8s from "@pulumi/kubernetes";
import { createCloudLayer } from "../infra/kiosk";
import { helmReleaseType } from "../infra/upstream-charts";
import { evaluateProgram, evaluateStack, everyComponentOn, StackGraph } from "../offline/evaluate";

const kubernetesProviderType = "pulumi:providers:kubernetes";

describe.each(["aws", "gcp", "local"])("the first preview of a new %s stack", (stack) => {
  let preview: StackGraph;
  let update: StackGraph;
  beforeAll(async () => {
    preview = await evaluateStack(stack, everyComponentOn(stack), { mode: "preview" });
    update = await evaluateStack(stack, everyComponentOn(stack));
  });

  it("succeeds and plans exactly the resources an update registers", () => {
    expect(preview.mode).toBe("preview");
    expect(preview.resources.map((r) => r.urn).sort()).toEqual(update.resources.map((r) => r.urn).sort());
  });

  it("knows the cluster's kubeconfig only where the cluster exists before the program runs", () => {
    const providers = preview.ofType(kubernetesProviderType);
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) expect(provider.unknownInputs.has("kubeconfig")).toBe(stack !== "local");
  });

  it("shows every chart it will install: Helm releases (custom resources) with their chart, version and values, no unconstructed component", () => {
    expect(preview.resources.filter((r) => r.unconstructedInPreview).map((r) => r.type)).toEqual([]);
    expect(preview.resources.filter((r) => r.remote && r.type.startsWith("kubernetes:")).map((r) => r.name)).toEqual([]);
    const releases = preview.ofType(helmReleaseType);
    expect(releases.length).toBeGreaterThanOrEqual({ aws: 15, gcp: 11, local: 13 }[stack]!);
    for (const release of releases) {
      expect(release.custom).toBe(true);
      expect(release.inputs.chart).toEqual(expect.any(String));
      expect(release.inputs.values).toEqual(expect.any(Object));
      if (!release.inputs.chart.startsWith("charts/")) expect(release.inputs.version).toMatch(/^v?\d+\.\d+\.\d+$/);
    }
    const kubernetesProviders = new Set(preview.ofType(kubernetesProviderType).map((p) => p.urn));
    expect(preview.resources.filter((r) => r.provider !== undefined && kubernetesProviders.has(r.provider)).length).toBeGreaterThan(20);
  });
});

describe("the preview mode models the engine", () => {
  const chartThroughCloudProvider = (config: Parameters<typeof createCloudLayer>[0]) => {
    const cloud = createCloudLayer(config);
    new k8s.helm.v4.Chart("probe", { chart: "charts/redis" }, { provider: cloud.kubernetesProvider });
  };
  const probe = (graph: StackGraph) => graph.one("kubernetes:helm.sh/v4:Chart", "probe");

  it.each(["aws", "gcp"])("registers a helm.v4.Chart through the %s cluster's provider without constructing it, as the engine does", async (stack) => {
    const graph = await evaluateProgram(stack, chartThroughCloudProvider, {}, { mode: "preview" });
    expect(probe(graph).remote).toBe(true);
    expect(probe(graph).unconstructedInPreview).toBe(true);
  });

  it("constructs it when the provider's configuration is known (the local stack, or an update)", async () => {
    expect(probe(await evaluateProgram("local", chartThroughCloudProvider, {}, { mode: "preview" })).unconstructedInPreview).toBe(false);
    expect(probe(await evaluateProgram("gcp", chartThroughCloudProvider)).unconstructedInPreview).toBe(false);
  });

  it("finds nothing when a first preview reads an object through a provider with known configuration", async () => {
    const readIngressService = (config: Parameters<typeof createCloudLayer>[0]) => {
      const cloud = createCloudLayer(config);
      k8s.core.v1.Service.get("probe", "ingress-nginx/ingress-nginx-controller", { provider: cloud.kubernetesProvider });
    };
    await expect(evaluateProgram("local", readIngressService, {}, { mode: "preview" })).rejects.toThrow(/not found: a first preview reads/);
    await expect(evaluateProgram("gcp", readIngressService, {}, { mode: "preview" })).resolves.toBeDefined();
  });
});
