import * as fs from "fs";
import { chartExemptions } from "../policy/exemptions";
import { stackPolicies } from "../policy/policies";
import { bucketsWithoutPublicAccessBlock, Props } from "../policy/rules";
import { chartPolicyReport, kubernetesTypeOf, violationsOf } from "../offline/policy-check";
import { controlPlaneCallbackPortsFor } from "../infra/upstream-charts";
import { brokenReferences, controlPlaneCallbackTargets, describeBroken } from "../offline/references";
import { allObjects, renderGraph } from "../offline/render";
import { evaluateStack, everyComponentOn, StackGraph } from "../offline/evaluate";

/**
 * Every resource of a stack as preview would show it: registered resources (charts included: under mocks
 * they are one resource, in a real preview their objects are registered too), and the objects our charts render.
 */
function previewedResources(graph: StackGraph): { type: string; props: Props; name: string }[] {
  const registered = graph.resources.filter((r) => r.custom || r.type === "kubernetes:helm.sh/v3:Release").map((r) => ({ type: r.type, props: r.inputs, name: r.name }));
  const fromOwnCharts = renderGraph(graph).ownCharts.flatMap((chart) => chart.objects.map((o) => ({ type: kubernetesTypeOf(o), props: o, name: `${chart.name}/${o.kind}/${o.metadata.name}` })));
  return [...registered, ...fromOwnCharts];
}


describe.each(["aws", "gcp", "local"])("the policy pack on the %s stack", (stack) => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack(stack, everyComponentOn(stack));
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

  it("admits object ACLs only on a bucket labelled link-readable, and still no public bucket member there", () => {
    const linkReadable = { publicAccessPrevention: "inherited", uniformBucketLevelAccess: false, labels: { "kiosk-objects": "link-readable" } };
    expect(violationsOf("gcp:storage/bucket:Bucket", linkReadable)).toEqual([]);
    expect(violationsOf("gcp:storage/bucketIAMMember:BucketIAMMember", { bucket: "b", role: "roles/storage.objectViewer", member: "allUsers" })).not.toEqual([]);
    expect(violationsOf("gcp:storage/defaultObjectACL:DefaultObjectACL", { bucket: "b", roleEntities: ["READER:allUsers"] })).not.toEqual([]);
  });

  it.each<[string, string, Props]>([
    ["no-public-bucket", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "inherited", uniformBucketLevelAccess: true }],
    ["no-public-bucket", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "enforced", uniformBucketLevelAccess: false }],
    ["no-public-bucket", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "enforced", uniformBucketLevelAccess: false, labels: { "kiosk-objects": "link-readable" } }],
    ["no-public-bucket", "gcp:storage/bucket:Bucket", { publicAccessPrevention: "inherited", uniformBucketLevelAccess: false, labels: { "kiosk-objects": "private" } }],
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
    ["no-public-internal-uis", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", { metadata: { name: "grafana", namespace: "monitoring" }, spec: { parentRefs: [{ name: "portal", namespace: "deepcell" }], rules: [{ backendRefs: [{ name: "grafana", port: 80 }] }] } }],
    ["no-public-internal-uis", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", { metadata: { name: "dashboards", namespace: "deepcell" }, spec: { rules: [{ backendRefs: [{ name: "opensearch-dashboards", namespace: "logging", port: 5601 }] }] } }],
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

describe("the policy pack's exemptions for upstream charts", () => {
  const daemonSet = (name: string, containers: Props[]) => ({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name, namespace: "logging" }, spec: { template: { spec: { containers } } } });
  const rootContainer = (name: string) => ({ name, image: "example/agent:1.0.0", resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } }, securityContext: { allowPrivilegeEscalation: false } });

  it("each names its chart, policy, workloads and a reason", () => {
    expect(chartExemptions.length).toBeGreaterThan(0);
    for (const e of chartExemptions) {
      expect(e.workloads.length).toBeGreaterThan(0);
      expect(e.reason.length).toBeGreaterThan(40);
    }
  });

  it("exempts exactly the named chart's named workload (and container), nothing else", () => {
    const fluentBit = daemonSet("fluent-bit", [rootContainer("fluent-bit")]);
    expect(chartPolicyReport("fluent-bit", [fluentBit]).violations).toEqual([]);
    expect(chartPolicyReport("fluent-bit", [fluentBit]).exempted.map((v) => v.policy)).toEqual(["containers-bounded-and-non-root"]);
    // The same object from another chart, under another name, or from our own charts is a violation.
    expect(chartPolicyReport("opensearch", [fluentBit]).violations).toHaveLength(1);
    expect(chartPolicyReport("fluent-bit", [daemonSet("log-shipper", [rootContainer("fluent-bit")])]).violations).toHaveLength(1);
    expect(chartPolicyReport(undefined, [fluentBit]).violations).toHaveLength(1);
    // A container-scoped exemption covers only that container.
    const openSearch = { ...daemonSet("opensearch-cluster-master", [rootContainer("opensearch")]), kind: "StatefulSet" };
    openSearch.spec.template.spec = { initContainers: [rootContainer("sysctl")], containers: [rootContainer("opensearch")] } as never;
    expect(chartPolicyReport("opensearch", [openSearch]).violations.map((v) => v.message)).toEqual([expect.stringMatching(/^container opensearch /)]);
  });

  it("exempts nothing but the bounded-and-non-root rule: an unpinned image in an exempt workload is still a violation", () => {
    const unpinned = daemonSet("fluent-bit", [{ ...rootContainer("fluent-bit"), image: "example/agent:latest" }]);
    expect(chartPolicyReport("fluent-bit", [unpinned]).violations.map((v) => v.policy)).toEqual(["images-and-charts-pinned"]);
  });
});

// The upstream charts' sources are not in the repository (nor fetched by CI, which has no network to
// chart repositories). With them at hand, `KIOSK_UPSTREAM_CHARTS=<folder> npx jest tests/policy.test.ts`
// or `npm run render -- --stack <s> --charts <folder> --all-components` checks their renders too.
const upstreamChartsDir = process.env.KIOSK_UPSTREAM_CHARTS;
(upstreamChartsDir && fs.existsSync(upstreamChartsDir) ? describe.each(["aws", "gcp", "local"]) : describe.skip.each(["aws", "gcp", "local"]))("the upstream charts' renders on the %s stack", (stack) => {
  it("refer to nothing that nobody applies or makes, call back only on the ports clouds open, and have no mandatory violation but the exempted ones", async () => {
    const graph = await evaluateStack(stack, everyComponentOn(stack));
    const rendered = renderGraph(graph, { upstreamChartsDir });
    expect(brokenReferences(allObjects(rendered)).map(describeBroken)).toEqual([]);
    // What a private GKE control plane must reach on the nodes is what the gcp stack's firewall opens.
    expect([...new Set(controlPlaneCallbackTargets(allObjects(rendered)).map((t) => t.port))].sort((a, b) => a - b)).toEqual(controlPlaneCallbackPortsFor(graph.config.components));
    for (const chart of rendered.upstreamCharts) {
      expect(chart.objects?.length).toBeGreaterThan(0);
      expect(chartPolicyReport(chart.chart, chart.objects!).violations.filter((v) => v.level === "mandatory")).toEqual([]);
    }
  });
});
