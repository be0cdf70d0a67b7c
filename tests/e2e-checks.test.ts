import { changedSteps, leftovers, namespaceOrdering } from "../e2e/checks";
import { e2eConfig, fakeNodes } from "../e2e/scenario";
import { EngineEvent } from "../e2e/pulumi-cli";
import { consumerTaint, gpuTaint } from "../infra/seam";

// Engine events in the shape of `pulumi up --event-log` (read from a real run of the local stack).
const namespaceUrn = "urn:pulumi:local::kiosk::kiosk:platform:Platform$kiosk:platform:KioskNamespace$kubernetes:core/v1:Namespace::kiosk-namespace";
const secretUrn = "urn:pulumi:local::kiosk::kiosk:platform:Platform$kubernetes:core/v1:Secret::kiosk-kiosk-object-store";
const releaseUrn = "urn:pulumi:local::kiosk::kiosk:platform:Platform$kiosk:platform:RedisJanitor$kubernetes:helm.sh/v3:Release::kiosk-janitor";
const pre = (sequence: number, type: string, urn: string, inputs: Record<string, unknown>): EngineEvent => ({
  sequence,
  resourcePreEvent: { metadata: { op: "create", urn, type, new: { type, urn, inputs } } },
});
const done = (sequence: number, type: string, urn: string, outputs: Record<string, unknown>, op = "create"): EngineEvent => ({
  sequence,
  resOutputsEvent: { metadata: { op, urn, type, new: { type, urn, outputs } } },
});
const namespaceCreated = [pre(10, "kubernetes:core/v1:Namespace", namespaceUrn, { metadata: { name: "deepcell" } }), done(12, "kubernetes:core/v1:Namespace", namespaceUrn, { metadata: { name: "deepcell" } })];

describe("the real-engine run's checks", () => {
  it("passes objects and releases created after their namespace", () => {
    const events = [...namespaceCreated, pre(13, "kubernetes:core/v1:Secret", secretUrn, { metadata: { name: "s", namespace: "deepcell" } }), pre(14, "kubernetes:helm.sh/v3:Release", releaseUrn, { namespace: "deepcell" })];
    expect(namespaceOrdering(events)).toEqual({ checked: 2, namespaces: 1, early: [] });
  });

  it("catches an object and a release whose create starts before their namespace exists, even when the provider's retry made it pass", () => {
    const events = [
      namespaceCreated[0],
      pre(11, "kubernetes:core/v1:Secret", secretUrn, { metadata: { name: "s", namespace: "deepcell" } }),
      pre(11, "kubernetes:helm.sh/v3:Release", releaseUrn, { namespace: "deepcell" }),
      namespaceCreated[1],
    ];
    expect(namespaceOrdering(events).early).toEqual([`${secretUrn} (namespace deepcell)`, `${releaseUrn} (namespace deepcell)`]);
  });

  it("ignores namespaces the stack does not create (kube-system, default)", () => {
    expect(namespaceOrdering([pre(1, "kubernetes:core/v1:ConfigMap", "urn:x", { metadata: { name: "c", namespace: "kube-system" } })])).toEqual({ checked: 0, namespaces: 0, early: [] });
  });

  it("names every step of a second up that is not 'same'", () => {
    const events = [done(1, "kubernetes:core/v1:Secret", secretUrn, {}, "same"), done(2, "kubernetes:helm.sh/v3:Release", releaseUrn, {}, "update")];
    expect(changedSteps(events)).toEqual([`update ${releaseUrn}`]);
  });

  it("reports what destroy left that was not there before, and nothing that was", () => {
    const before = [{ apiVersion: "v1", kind: "Namespace", name: "default" }];
    const after = [...before, { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", name: "deepcell-redis-janitor" }];
    expect(leftovers(before, after)).toEqual([after[1]]);
    expect(leftovers(before, before)).toEqual([]);
  });

  it("gives the fake nodes our pools' taints, and points the local stack at what the cluster has when no chart sources are given", () => {
    expect(fakeNodes.flatMap((node) => node.taints)).toEqual([consumerTaint, gpuTaint]);
    const offline = e2eConfig({ config: { "kiosk:cloud": "local", "kiosk:localKubeContext": "kind-kiosk" } }, undefined);
    expect(offline.plain).toMatchObject({ "kiosk:cloud": "local", "kiosk:localKubeContext": "kiosk-e2e", "kiosk:existingKeda": "true", "kiosk:localGatewayClass": "kiosk-e2e" });
    expect(Object.keys(offline.secret)).toEqual(["kiosk:localS3SecretAccessKey"]);
    const withCharts = e2eConfig({ config: {} }, "/charts");
    expect(withCharts.plain["kiosk:upstreamChartsDir"]).toBe("/charts");
    expect(withCharts.plain["kiosk:existingKeda"]).toBeUndefined();
  });
});
