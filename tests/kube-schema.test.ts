import { validateAgainstKubernetesSchemas } from "./support/kube-schema";

const deployment = (containerPort: unknown) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "deepcell" },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort }] }] } },
  },
});

describe("Kubernetes schema validation", () => {
  it("accepts valid core and CRD objects", () => {
    const scaledObject = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "web", namespace: "deepcell" },
      spec: { scaleTargetRef: { name: "web" }, triggers: [{ type: "cpu", metricType: "Utilization", metadata: { value: "80" } }] },
    };
    expect(validateAgainstKubernetesSchemas([deployment(8080), scaledObject])).toEqual([]);
  });

  it("rejects a wrongly typed field, naming the object", () => {
    const problems = validateAgainstKubernetesSchemas([deployment("eighty")]);
    expect(problems).toHaveLength(1);
    expect(problems[0].object).toBe("apps/v1/Deployment deepcell/web");
    expect(problems[0].problem).toMatch(/containerPort/);
  });

  it("rejects kinds it has no schema for rather than passing them unchecked", () => {
    const problems = validateAgainstKubernetesSchemas([{ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }]);
    expect(problems).toEqual([{ object: "example.com/v1/Widget /w", problem: "no schema is known for example.com/v1 Widget" }]);
  });
});
