import { ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "../policy/policies";
import { bucketsWithoutPublicAccessBlock, Props } from "../policy/rules";
import { KubernetesObject, renderGraph } from "../offline/render";
import { evaluateStack, StackGraph } from "../offline/evaluate";

interface Violation {
  readonly policy: string;
  readonly level: string;
  readonly resource: string;
  readonly message: string;
}

/** Runs every resource policy on one resource, as the policy engine would during preview. */
function violationsOf(type: string, props: Props, name = "resource"): Violation[] {
  const found: Violation[] = [];
  for (const policy of resourcePolicies) {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    const args = { type, props, name, urn: `urn:pulumi:test::kiosk::${type}::${name}` } as unknown as ResourceValidationArgs;
    for (const validate of validations) {
      void validate(args, (message) => found.push({ policy: policy.name, level: policy.enforcementLevel ?? "advisory", resource: name, message }));
    }
  }
  return found;
}

/** Pulumi's type token for a Kubernetes object, as the helm v4 Chart registers its children. */
function typeOf(object: KubernetesObject): string {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["core", object.apiVersion];
  return `kubernetes:${group}/${version}:${object.kind}`;
}

/**
 * Every resource of a stack as preview would show it: registered resources (charts included: under mocks
 * they are one resource, in a real preview their objects are registered too), and the objects our charts render.
 */
function previewedResources(graph: StackGraph): { type: string; props: Props; name: string }[] {
  const registered = graph.resources.filter((r) => r.custom || r.type === "kubernetes:helm.sh/v3:Release").map((r) => ({ type: r.type, props: r.inputs, name: r.name }));
  const fromOwnCharts = renderGraph(graph).ownCharts.flatMap((chart) => chart.objects.map((o) => ({ type: typeOf(o), props: o, name: `${chart.name}/${o.kind}/${o.metadata.name}` })));
  return [...registered, ...fromOwnCharts];
}

const everythingOn = { "kiosk:monitoring": true, "kiosk:logging": true, "kiosk:vpn": true };

describe.each(["aws", "gcp", "local"])("the policy pack on the %s stack", (stack) => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack(stack, everythingOn);
  });

  it("finds no violation in any resource the stack registers or renders", () => {
    const resources = previewedResources(graph);
    expect(resources.length).toBeGreaterThan(60);
    expect(resources.flatMap((r) => violationsOf(r.type, r.props, r.name))).toEqual([]);
  });

  it("finds every bucket blocked", () => {
    const resources = graph.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, bucketInputFrom: r.dependencies }));
    expect(bucketsWithoutPublicAccessBlock(resources)).toEqual([]);
  });
});

describe("the policy pack on bad resources", () => {
  const deployment = (container: Props, podSecurityContext: Props = { runAsNonRoot: true }) => ({
    metadata: { name: "bad", namespace: "deepcell" },
    spec: { template: { spec: { securityContext: podSecurityContext, containers: [container] } } },
  });
  const goodContainer = {
    name: "app",
    image: "example/app:1.2.3",
    resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
    securityContext: { allowPrivilegeEscalation: false },
  };

  it("passes a well-formed deployment, so that each failure below is the named fault's", () => {
    expect(violationsOf("kubernetes:apps/v1:Deployment", deployment(goodContainer))).toEqual([]);
  });

  it.each<[string, string, Props]>([
    ["no-public-bucket", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "inherited", uniformBucketLevelAccess: true }],
    ["no-public-bucket", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "enforced", uniformBucketLevelAccess: false }],
    ["no-public-bucket", "gcp:storage/bucketIAMMember:BucketIAMMember", { bucket: "b", role: "roles/storage.objectViewer", member: "allUsers" }],
    ["no-public-bucket", "gcp:storage/bucketIAMBinding:BucketIAMBinding", { bucket: "b", role: "roles/storage.objectViewer", members: ["allAuthenticatedUsers"] }],
    ["no-public-bucket", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { blockPublicAcls: true, blockPublicPolicy: false, ignorePublicAcls: true, restrictPublicBuckets: true }],
    ["no-public-bucket", "aws:s3/bucketAcl:BucketAcl", { acl: "public-read" }],
    ["no-static-cloud-keys", "aws:iam/accessKey:AccessKey", { user: "kiosk" }],
    ["no-static-cloud-keys", "gcp:serviceaccount/key:Key", { serviceAccountId: "kiosk" }],
    ["no-static-cloud-keys", "gcp:storage/hmacKey:HmacKey", { serviceAccountEmail: "kiosk@p.iam.gserviceaccount.com" }],
    ["no-static-cloud-keys", "kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, env: [{ name: "AWS_SECRET_ACCESS_KEY", value: "hunter2" }] })],
    ["containers-bounded-and-non-root", "kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, resources: { limits: { memory: "1Gi" } } })],
    ["containers-bounded-and-non-root", "kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, resources: { requests: { cpu: "1", memory: "1Gi" } } })],
    ["containers-bounded-and-non-root", "kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, securityContext: {} })],
    ["containers-bounded-and-non-root", "kubernetes:apps/v1:Deployment", deployment(goodContainer, {})],
    ["containers-bounded-and-non-root", "kubernetes:batch/v1:Job", deployment({ ...goodContainer, securityContext: { allowPrivilegeEscalation: false, privileged: true } })],
    ["gpu-pools-rest-at-zero", "gcp:container/nodePool:NodePool", { name: "gpu", autoscaling: { totalMinNodeCount: 1 }, nodeConfig: { guestAccelerators: [{ type: "nvidia-tesla-t4", count: 1 }] } }],
    ["gpu-pools-rest-at-zero", "aws:eks/nodeGroup:NodeGroup", { nodeGroupName: "gpu", amiType: "AL2023_x86_64_NVIDIA", scalingConfig: { minSize: 2, maxSize: 4 } }],
    ["no-public-internal-uis", "kubernetes:core/v1:Service", { metadata: { name: "grafana", namespace: "monitoring" }, spec: { type: "LoadBalancer" } }],
    ["no-public-internal-uis", "kubernetes:helm.sh/v3:Release", { chart: "kube-prometheus-stack", version: "1.0.0", values: { grafana: { service: { type: "LoadBalancer" } } } }],
    ["no-public-internal-uis", "kubernetes:helm.sh/v3:Release", { chart: "opensearch-dashboards", version: "1.0.0", values: { service: { type: "LoadBalancer" } } }],
    ["images-and-charts-pinned", "kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, image: "example/app:latest" })],
    ["images-and-charts-pinned", "kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, image: "registry.example.org:5000/app" })],
    ["images-and-charts-pinned", "kubernetes:helm.sh/v3:Release", { chart: "keda", repositoryOpts: { repo: "https://kedacore.github.io/charts" } }],
  ])("%s rejects a %s with a fault", (policy, type, props) => {
    const violations = violationsOf(type, props);
    expect(violations.length).toBeGreaterThan(0);
    expect([...new Set(violations.map((v) => v.policy))]).toEqual([policy]);
  });

  it("accepts images pinned by digest, and root only for images that cannot run otherwise", () => {
    expect(violationsOf("kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, image: "example/app@sha256:" + "a".repeat(64) }))).toEqual([]);
    expect(violationsOf("kubernetes:apps/v1:Deployment", deployment({ ...goodContainer, image: "vanvalenlab/kiosk-frontend:0.11.3" }, {}))).toEqual([]);
  });

  it("flags an S3 bucket that has no public access block of its own", () => {
    const bucket = { type: "aws:s3/bucket:Bucket", name: "orphan", urn: "urn:b1", bucketInputFrom: [] };
    const otherBlock = { type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name: "pab", urn: "urn:p", bucketInputFrom: ["urn:b2"] };
    expect(bucketsWithoutPublicAccessBlock([bucket, otherBlock])).toEqual(["S3 bucket orphan has no public access block"]);
    expect(stackPolicies.map((p) => p.name)).toEqual(["every-bucket-blocked"]);
  });

  it("reports a warm GPU pool as advisory, and a public Grafana as mandatory, on real stacks configured so", async () => {
    const warm = await evaluateStack("gcp", { "kiosk:minGpuNodes": 1 });
    const warmViolations = previewedResources(warm).flatMap((r) => violationsOf(r.type, r.props, r.name));
    expect(warmViolations.map((v) => [v.policy, v.level])).toEqual([["gpu-pools-rest-at-zero", "advisory"]]);
    const exposed = await evaluateStack("aws", { "kiosk:exposeInternalUis": true });
    const exposedViolations = previewedResources(exposed).flatMap((r) => violationsOf(r.type, r.props, r.name));
    expect(exposedViolations.map((v) => [v.policy, v.level])).toEqual([["no-public-internal-uis", "mandatory"]]);
  });
});
