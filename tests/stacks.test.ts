import { evaluateStack, StackGraph } from "../offline/evaluate";

describe.each(["aws", "gcp", "local"])("the %s stack", (stack) => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack(stack);
  });

  it("evaluates from its own stack file", () => {
    expect(graph.config.cloud).toBe(stack);
    expect(graph.one("pulumi:pulumi:Stack").name).toBe(`kiosk-${stack}`);
  });

  it("exports the outputs that replace the old menu, with kubeconfig as a secret", () => {
    const withGrafana = graph.config.components.monitoring ? ["grafanaAdminPassword"] : [];
    expect(Object.keys(graph.outputs).sort()).toEqual(["bucket", "clusterName", ...withGrafana, "kubeconfig", "url"].sort());
    expect(graph.secretOutputs.has("kubeconfig")).toBe(true);
    if (withGrafana.length) expect(graph.secretOutputs.has("grafanaAdminPassword")).toBe(true);
    expect(graph.outputs.bucket).toMatch(stack === "gcp" ? /^gs:\/\/[a-z0-9.-]+$/ : /^s3:\/\/[a-z0-9.-]+$/);
  });

  it("builds a cloud layer and the platform on it", () => {
    const cloudTypes = { aws: "kiosk:aws:AwsCloud", gcp: "kiosk:gcp:GcpCloud", local: "kiosk:local:LocalCloud" };
    expect(graph.ofType(cloudTypes[stack as keyof typeof cloudTypes])).toHaveLength(1);
    expect(graph.ofType("kiosk:platform:Platform")).toHaveLength(1);
    for (const other of Object.values(cloudTypes).filter((t) => t !== cloudTypes[stack as keyof typeof cloudTypes])) {
      expect(graph.has(other)).toBe(false);
    }
  });
});
