import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { alertmanagerConfigSecretName } from "../infra/observability/monitoring";
import { chartDigest } from "../infra/platform/kubernetes";
import { helmReleaseType, pinnedChart, releaseBehaviour, upstreamCharts, upstreamImages } from "../infra/upstream-charts";
import { evaluateStack, everyComponentOn, projectRoot, RegisteredResource, StackGraph } from "../offline/evaluate";
import { helmTemplate } from "../offline/helm";
import { brokenReferences, controlPlaneCallbackTargets, describeBroken, MadeAtRuntime, madeAtRuntime } from "../offline/references";
import { allObjects, appliedByRelease, KubernetesObject, renderGraph } from "../offline/render";
import { startFakeApiServer } from "./support/fake-apiserver";


const release = (graph: StackGraph, name: string): RegisteredResource => graph.one(helmReleaseType, name);

describe.each(["aws", "gcp", "local"])("what the %s stack applies", (stack) => {
  let graph: StackGraph;
  let objects: KubernetesObject[];
  beforeAll(async () => {
    graph = await evaluateStack(stack, everyComponentOn(stack));
    objects = allObjects(renderGraph(graph));
  });

  it("installs every chart as a Helm release that runs its hooks, waits for readiness and rolls a failure back", () => {
    const releases = graph.ofType(helmReleaseType);
    // Every component on: GKE's Gateway controller is the cluster's own; EKS and local install theirs (and the Gateway API's CRDs).
    expect(releases.length).toBeGreaterThanOrEqual({ aws: 15, gcp: 11, local: 13 }[stack]!);
    expect(graph.resources.filter((r) => r.type.startsWith("kubernetes:helm.sh/") && r.type !== helmReleaseType)).toEqual([]);
    for (const r of releases) {
      expect(r.inputs).toMatchObject(releaseBehaviour);
      expect(r.inputs.disableWebhooks).not.toBe(true);
      expect(r.inputs.skipAwait).not.toBe(true);
      expect(r.inputs.name).toEqual(expect.any(String));
    }
  });

  it("refers to no Secret, ConfigMap, ServiceAccount, Service, Role or Namespace that nothing applies or makes (direct objects and our charts)", () => {
    expect(objects.length).toBeGreaterThan(60);
    expect(brokenReferences(objects).map(describeBroken)).toEqual([]);
  });

  it("leaves replicas of every Deployment KEDA scales to KEDA: our charts' Deployments, 0 at install, never a Pulumi-managed object", () => {
    const targets = objects.filter((o) => o.kind === "ScaledObject").map((o) => o.spec.scaleTargetRef.name);
    // TF-Serving and the nine consumers of the default job types.
    expect(targets.length).toBe(10);
    const directDeployments = graph.ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs.metadata?.name ?? d.name);
    for (const target of targets) {
      expect(directDeployments).not.toContain(target);
      const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === target);
      expect(deployment?.metadata.labels["app.kubernetes.io/managed-by"]).toBe("Helm");
      expect(deployment?.spec.replicas).toBe(0);
    }
  });

  it("gives each of our charts' releases the digest of its files, so that a changed template upgrades the release", () => {
    const ours = graph.ofType(helmReleaseType).filter((r) => r.inputs.chart.startsWith("charts/"));
    expect(ours.length).toBeGreaterThanOrEqual(5);
    for (const r of ours) expect(r.inputs.values.chartDigest).toBe(chartDigest(path.join(projectRoot, r.inputs.chart)));
  });

  it("creates KEDA's release after the Kiosk namespace its chart puts a RoleBinding in", () => {
    const keda = release(graph, "kiosk-autoscaling-keda");
    expect(keda.inputs.values.watchNamespace).toBe("deepcell");
    const kioskNamespace = graph.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === "deepcell")!;
    expect(graph.dependsOn(keda, kioskNamespace)).toBe(true);
  });

  it("keeps every Job Pulumi waits for (no TTL, so a refresh does not find it gone and the next up re-create it)", () => {
    const jobs = graph.ofType("kubernetes:batch/v1:Job");
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    for (const job of jobs) expect(job.inputs.spec.ttlSecondsAfterFinished).toBeUndefined();
  });
});

describe("the digest of a chart", () => {
  it("changes with any file of the chart, and only then", () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-chart-"));
    try {
      fs.cpSync(path.join(projectRoot, "charts/redis"), copy, { recursive: true });
      const before = chartDigest(copy);
      expect(chartDigest(copy)).toBe(before);
      expect(before).toBe(chartDigest(path.join(projectRoot, "charts/redis")));
      fs.appendFileSync(path.join(copy, "templates/pdb.yaml"), "\n");
      expect(chartDigest(copy)).not.toBe(before);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe("KEDA owns replicas after install (real helm, rendering against an API server that has the Deployments)", () => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack("gcp");
  });

  const rendered = (releaseName: string, chartFolder: string, kubeconfig?: string) => {
    const r = release(graph, releaseName);
    return helmTemplate(path.join(projectRoot, chartFolder), r.inputs.values, r.inputs.name, r.inputs.namespace, kubeconfig).filter((o) => o.kind === "Deployment");
  };

  it.each([
    ["kiosk-tf-serving", "charts/tf-serving", "tf-serving", "tf-serving"],
    ["kiosk-consumers", "charts/consumers", "consumers", "mesmer-zip-consumer"],
  ])("%s renders the live replica count on upgrade, so helm's three-way merge leaves it alone", async (releaseName, chartFolder, helmRelease, deployment) => {
    const server = await startFakeApiServer([{ namespace: "deepcell", name: deployment, release: helmRelease, replicas: 7 }]);
    try {
      const upgrade = rendered(releaseName, chartFolder, server.kubeconfig);
      expect(upgrade.find((d) => d.metadata.name === deployment)!.spec.replicas).toBe(7);
      // Deployments the cluster does not have yet start at initialReplicas.
      for (const other of upgrade.filter((d) => d.metadata.name !== deployment)) expect(other.spec.replicas).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("starts every such Deployment at 0 on install, so no GPU node starts before there is work", () => {
    for (const d of [...rendered("kiosk-tf-serving", "charts/tf-serving"), ...rendered("kiosk-consumers", "charts/consumers")]) expect(d.spec.replicas).toBe(0);
  });
});

describe("the control plane's calls to the nodes", () => {
  it("resolve each webhook and APIService through its Service to the pods' container port", () => {
    const objects = [
      { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "v" }, webhooks: [{ name: "v.example.org", clientConfig: { service: { namespace: "team", name: "hook" } } }] },
      { apiVersion: "v1", kind: "Service", metadata: { name: "hook", namespace: "team" }, spec: { selector: { app: "hook" }, ports: [{ port: 443, targetPort: "https" }] } },
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "hook", namespace: "team" }, spec: { template: { metadata: { labels: { app: "hook" } }, spec: { containers: [{ name: "main", ports: [{ name: "https", containerPort: 9876 }] }] } } } },
    ];
    expect(controlPlaneCallbackTargets(objects)).toEqual([{ caller: "ValidatingWebhookConfiguration v/v.example.org", port: 9876 }]);
    expect(() => controlPlaneCallbackTargets(objects.slice(0, 2))).toThrow(/no pod behind team\/hook exposes https/);
  });
});

describe("the referential-integrity check", () => {
  const ns = (name: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  const deployment = (volumes: object[], env: object[] = [], serviceAccountName?: string) => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "app", namespace: "team" },
    spec: { template: { spec: { serviceAccountName, volumes, containers: [{ name: "main", image: "x:1", env }] } } },
  });

  it("finds a mounted Secret, an env ConfigMap and a ServiceAccount that nobody applies, and ignores optional ones", () => {
    const objects = [
      ns("team"),
      deployment(
        [{ name: "certs", secret: { secretName: "missing-certs" } }, { name: "extra", secret: { secretName: "maybe", optional: true } }],
        [{ name: "MODE", valueFrom: { configMapKeyRef: { name: "missing-settings", key: "mode" } } }],
        "missing-account",
      ),
    ];
    expect(brokenReferences(objects).map((b) => `${b.to.kind}/${b.to.name}`).sort()).toEqual(["ConfigMap/missing-settings", "Secret/missing-certs", "ServiceAccount/missing-account"]);
  });

  it("finds an Ingress backend, a webhook's Service and an APIService's Service that do not exist, and a missing namespace", () => {
    const objects = [
      { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "web", namespace: "team" }, spec: { rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] } },
      { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "v" }, webhooks: [{ name: "v.example.org", clientConfig: { service: { namespace: "team", name: "webhook" } } }] },
      { apiVersion: "apiregistration.k8s.io/v1", kind: "APIService", metadata: { name: "v1beta1.metrics" }, spec: { service: { namespace: "team", name: "metrics" } } },
    ];
    expect(brokenReferences(objects).map((b) => `${b.to.kind}/${b.to.name}`).sort()).toEqual(["Namespace/team", "Service/metrics", "Service/web", "Service/webhook"]);
  });

  it("finds a ScaledObject's target and a trigger's TriggerAuthentication that do not exist", () => {
    const scaledObject = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "web", namespace: "team" },
      spec: { scaleTargetRef: { name: "web" }, triggers: [{ type: "prometheus", name: "gpu", metadata: {}, authenticationRef: { name: "gpu-metrics" } }] },
    };
    expect(brokenReferences([ns("team"), scaledObject]).map((b) => `${b.to.kind}/${b.to.name}`).sort()).toEqual(["Deployment/web", "TriggerAuthentication/gpu-metrics"]);
  });

  it("accepts an object made at runtime only while the object that makes it is applied", () => {
    const made: MadeAtRuntime = { object: { kind: "Secret", namespace: "team", name: "certs" }, madeBy: { kind: "Job", namespace: "team", name: "make-certs" }, source: "test" };
    const maker = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "make-certs", namespace: "team" }, spec: { template: { spec: { containers: [] } } } };
    const user = deployment([{ name: "certs", secret: { secretName: "certs" } }]);
    expect(brokenReferences([ns("team"), user, maker], [made])).toEqual([]);
    expect(brokenReferences([ns("team"), user], [made]).map((b) => b.to.name)).toEqual(["certs"]);
  });

  it("names, for every object made at runtime, the maker and where that is established", () => {
    for (const entry of madeAtRuntime) {
      expect(entry.madeBy.name).toEqual(expect.any(String));
      expect(entry.source).toMatch(/@[^:]+:\S+/);
    }
  });

  it("counts install and upgrade hooks as applied and test hooks as not", () => {
    const hook = (kind: string) => ({ kind: "Job", metadata: { name: kind, annotations: { "helm.sh/hook": kind } } });
    expect(appliedByRelease(hook("pre-install,pre-upgrade"))).toBe(true);
    expect(appliedByRelease(hook("post-install"))).toBe(true);
    expect(appliedByRelease(hook("test"))).toBe(false);
    expect(appliedByRelease({ kind: "ConfigMap", metadata: { name: "plain" } })).toBe(true);
  });
});

describe("observability that works on managed clusters", () => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack("gcp", everyComponentOn("gcp"));
  });
  const values = (name: string) => release(graph, name).inputs.values;

  it("pins OpenSearch's init containers instead of the chart's busybox:latest", () => {
    const v = values("kiosk-logging-opensearch");
    const busybox = upstreamImages.busybox;
    expect(busybox.tag).not.toBe("latest");
    expect(v.persistence).toMatchObject({ image: busybox.repository, imageTag: busybox.tag });
    expect(v.sysctlInit).toMatchObject({ enabled: true, image: busybox.repository, imageTag: busybox.tag });
  });

  it("limits OpenSearch Dashboards' CPU explicitly (the chart's 100m limit would stay otherwise) and creates no dangling RoleBinding", () => {
    const v = values("kiosk-logging-opensearch-dashboards");
    expect(v.resources.limits).toEqual({ cpu: "1", memory: "1Gi" });
    expect(v.rbac).toEqual({ create: false });
  });

  it("deletes Prometheus' volume with its StatefulSet, so that destroy strands no disk", () => {
    expect(values("kiosk-monitoring-kube-prometheus-stack").prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Delete", whenScaled: "Retain" });
  });

  it("replaces Grafana's single-attach volume by Recreate, not a rolling update that would hang", () => {
    expect(values("kiosk-monitoring-kube-prometheus-stack").grafana.deploymentStrategy).toEqual({ type: "Recreate" });
  });

  it("neither scrapes nor alerts on control-plane parts that EKS and GKE do not expose", () => {
    const v = values("kiosk-monitoring-kube-prometheus-stack");
    for (const component of ["kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd"]) expect(v[component]).toEqual({ enabled: false });
    expect(v.defaultRules.rules).toEqual({ kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, kubeProxy: false, etcd: false });
  });

  const alertmanagerConfig = (g: StackGraph) => {
    const secret = g.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === alertmanagerConfigSecretName)!;
    return { secret, config: YAML.parse(secret.inputs.stringData["alertmanager.yaml"]) };
  };

  it("gives Alertmanager our config Secret and no receiver when none is configured", () => {
    const am = values("kiosk-monitoring-kube-prometheus-stack").alertmanager.alertmanagerSpec;
    expect(am).toEqual({ configSecret: alertmanagerConfigSecretName, useExistingSecret: true });
    const { config } = alertmanagerConfig(graph);
    expect(config.route.receiver).toBe("null");
    expect(config.receivers).toEqual([{ name: "null" }]);
  });

  it("sends every alert but the Watchdog to the configured webhook and Slack, keeping the URLs secret", async () => {
    const withReceivers = await evaluateStack("gcp", { "kiosk:alertWebhookUrl": "https://alerts.example.org/kiosk", "kiosk:alertSlackWebhookUrl": "https://hooks.slack.com/services/T/B/X" });
    const { secret, config } = alertmanagerConfig(withReceivers);
    expect(secret.secretInputs.has("stringData")).toBe(true);
    expect(config.route.receiver).toBe("kiosk");
    expect(config.route.routes).toEqual([{ matchers: ['alertname = "Watchdog"'], receiver: "null" }]);
    const kiosk = config.receivers.find((r: { name: string }) => r.name === "kiosk");
    expect(kiosk.webhook_configs).toEqual([{ url: "https://alerts.example.org/kiosk", send_resolved: true }]);
    expect(kiosk.slack_configs[0].api_url).toBe("https://hooks.slack.com/services/T/B/X");
    const kps = withReceivers.one(helmReleaseType, "kiosk-monitoring-kube-prometheus-stack");
    expect(JSON.stringify(kps.inputs.values)).not.toContain("example.org/kiosk");
    expect(withReceivers.dependsOn(kps, secret)).toBe(true);
  });
});

describe("upstream charts from a folder (kiosk:upstreamChartsDir)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-charts-"));
  const writeChart = (chart: string, version: string) => {
    fs.mkdirSync(path.join(dir, chart), { recursive: true });
    fs.writeFileSync(path.join(dir, chart, "Chart.yaml"), `apiVersion: v2\nname: ${chart}\nversion: ${version}\n`);
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("installs each pinned chart from its folder, with no repository", () => {
    writeChart("keda", upstreamCharts.keda.version);
    expect(pinnedChart({ upstreamChartsDir: dir }, upstreamCharts.keda)).toEqual({ chart: path.join(dir, "keda"), version: upstreamCharts.keda.version });
    expect(pinnedChart({}, upstreamCharts.keda)).toEqual({ chart: "keda", version: upstreamCharts.keda.version, repositoryOpts: { repo: upstreamCharts.keda.repo } });
    // Helm takes an OCI registry in the chart reference, never as a repository URL.
    expect(pinnedChart({}, upstreamCharts.envoyGateway)).toEqual({ chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.9.0" });
  });

  it("refuses a folder holding another version, or none, naming the key", () => {
    writeChart("aws-load-balancer-controller", "3.4.3");
    expect(() => pinnedChart({ upstreamChartsDir: dir }, upstreamCharts.awsLoadBalancerController)).toThrow(/kiosk:upstreamChartsDir: .*aws-load-balancer-controller\/Chart.yaml is version 3.4.3; the program pins aws-load-balancer-controller 3.5.0/);
    expect(() => pinnedChart({ upstreamChartsDir: dir }, upstreamCharts.certManager)).toThrow(/kiosk:upstreamChartsDir: no chart source for cert-manager v1.21.1/);
  });

  it("is what every stack's releases use when the key is set", async () => {
    for (const pin of Object.values(upstreamCharts)) writeChart(pin.chart, pin.version);
    const graph = await evaluateStack("local", { "kiosk:upstreamChartsDir": dir });
    const upstream = graph.ofType(helmReleaseType).filter((r) => !String(r.inputs.chart).startsWith("charts/"));
    expect(upstream.length).toBeGreaterThan(0);
    for (const release of upstream) {
      expect(release.inputs.repositoryOpts).toBeUndefined();
      expect(path.dirname(release.inputs.chart)).toBe(dir);
    }
  });
});
