/**
 * `npm run e2e:local`: the real Pulumi engine, the real Kubernetes provider and a real API server run the
 * local stack through preview, up, a second up, a KEDA-style scale followed by an up, and destroy.
 * See the README's "Real-engine run" for what it proves and what it does not.
 *
 * Environment: KIOSK_CHART_SRC (a folder of unpacked upstream charts, the render command's layout),
 * KIOSK_TOOLCHAIN_DIR (toolchain cache), KIOSK_E2E_KEEP=1 (keep the scratch directory),
 * PULUMI_CONFIG_PASSPHRASE (else a random one for this run).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ControlPlane, FakeNode } from "./control-plane";
import { checkJobHolder } from "./job-holder";
import { allObjects, KubeClient, refText } from "./kube-client";
import { CommandResult, plain, PulumiCli } from "./pulumi-cli";
import { kioskNamespace } from "../infra/kiosk-contract";
import { helmReleaseType } from "../infra/upstream-charts";
import { evaluateStack } from "../offline/evaluate";
import { KubernetesObject, renderGraph } from "../offline/render";
import { changedSteps, E2eFailure, fail, leftovers, namespaceOrdering } from "./checks";
import { e2eConfig, fakeNodes, frontDoorVariants, gatewayApiCrds, gatewayClassName, kedaStandInCrds, prerequisites, projectFiles, stackName, standInGatewayClass } from "./scenario";

const repo = path.resolve(__dirname, "..");

function describeFailure(result: CommandResult): string {
  const errors = result.errors.length > 0 ? result.errors.map((e) => `  - ${e}`).join("\n") : plain(result.stdout + result.stderr).split("\n").slice(-40).join("\n");
  return `${result.command} exited with ${result.exitCode}:\n${errors}`;
}

function expectSuccess(result: CommandResult): CommandResult {
  if (result.exitCode !== 0 || result.errors.length > 0) fail(describeFailure(result));
  return result;
}

function toolchain(): string {
  const output = execFileSync("bash", [path.join(__dirname, "toolchain.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return output.trim().split("\n").pop() as string;
}

/** kwok's node and pod stages, read from kwok's module at the pinned version (never copied into the repository). */
function kwokStages(dir: string): string {
  const versions = fs.readFileSync(path.join(__dirname, "toolchain.versions"), "utf8");
  const version = /^KWOK_VERSION=(\S+)/m.exec(versions)?.[1];
  const moduleDir = JSON.parse(execFileSync("go", ["mod", "download", "-json", `sigs.k8s.io/kwok@${version}`], { encoding: "utf8", cwd: os.tmpdir() })).Dir as string;
  const stages = ["node/fast/node-initialize.yaml", "node/heartbeat/node-heartbeat.yaml", "pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml"];
  const file = path.join(dir, "kwok-stages.yaml");
  fs.writeFileSync(file, stages.map((stage) => fs.readFileSync(path.join(moduleDir, "kustomize/stage", stage), "utf8")).join("\n---\n"));
  return file;
}

function copyProject(target: string): void {
  fs.mkdirSync(target, { recursive: true });
  // Dependencies are linked, never copied (an overlay's own node_modules included).
  const notDependencies = (source: string) => path.basename(source) !== "node_modules";
  for (const entry of projectFiles) fs.cpSync(path.join(repo, entry), path.join(target, entry), { recursive: true, filter: notDependencies });
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(target, "node_modules"));
}

interface Deployment {
  metadata: { name: string; namespace: string; managedFields?: { manager: string; fieldsV1?: unknown }[] };
  spec: { replicas?: number; template: { spec: { containers: { name: string; image: string }[] } } };
}

async function main(): Promise<void> {
  const started = Date.now();
  const chartSource = process.env.KIOSK_CHART_SRC ? path.resolve(process.env.KIOSK_CHART_SRC) : undefined;
  const bin = toolchain();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-e2e-"));
  const logs = path.join(work, "logs");
  fs.mkdirSync(logs, { recursive: true });
  const summary: string[] = [];
  const controlPlane = new ControlPlane({ bin, dir: work, kwokStages: kwokStages(work), contextName: "kiosk-e2e" });
  let ok = false;
  const interrupted = () => void controlPlane.down().then(() => process.exit(130));
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    await controlPlane.up();
    const client = controlPlane.client;
    for (const node of fakeNodes) await controlPlane.addNode(node);
    await controlPlane.waitForReadyNodes(fakeNodes.map((node) => node.name));
    for (const [apiPath, object] of prerequisites) await client.ensure(apiPath, object);
    // The Gateway API's CRDs, and Envoy Gateway's for the dry runs of the other front-door configurations.
    const gatewayCrds = gatewayApiCrds({ gatewayApi: true, envoyGateway: true });
    for (const crd of gatewayCrds) await client.ensure("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    await waitForCrds(client, gatewayCrds.map((crd) => crd.metadata.name));
    await client.ensure(...standInGatewayClass);
    if (!chartSource) {
      for (const crd of kedaStandInCrds) await client.ensure("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
      await waitForCrds(client, kedaStandInCrds.map((crd) => crd.metadata.name));
    }

    const project = path.join(work, "project");
    copyProject(project);
    const passphrase = process.env.PULUMI_CONFIG_PASSPHRASE ?? crypto.randomBytes(16).toString("hex");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      PULUMI_HOME: path.join(work, "pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: passphrase,
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      // Enables --event-log, the engine's own event stream (the one the Automation API reads).
      PULUMI_DEBUG_COMMANDS: "true",
      KUBECONFIG: controlPlane.kubeconfig,
      NO_COLOR: "1",
    };
    fs.mkdirSync(path.join(work, "state"));
    const pulumi = new PulumiCli(bin, project, logs, env);
    const stackConfig = e2eConfig(YAML.parse(fs.readFileSync(path.join(repo, "Pulumi.local.yaml"), "utf8")), chartSource);
    fs.writeFileSync(path.join(project, `Pulumi.${stackName}.yaml`), YAML.stringify({ config: stackConfig.plain }));
    expectSuccess(pulumi.run(["stack", "init", stackName], { eventLog: false }));
    for (const [key, value] of Object.entries(stackConfig.secret)) expectSuccess(pulumi.run(["config", "set", "--secret", key, value, "--stack", stackName], { eventLog: false }));

    const before = await allObjects(client);

    const preview = expectSuccess(pulumi.run(["preview", "--stack", stackName, "--json"]));
    const planned = preview.changes.create ?? 0;
    if (planned === 0) fail(`pulumi preview planned no creates: ${JSON.stringify(preview.changes)}`);
    const previewJson = JSON.parse(preview.stdout) as { changeSummary?: Record<string, number>; steps?: unknown[] };
    if (previewJson.changeSummary?.create !== planned) fail(`pulumi preview --json reports ${JSON.stringify(previewJson.changeSummary)}, its event log ${planned} creates`);
    summary.push(`preview: ${planned} to create (${preview.seconds.toFixed(0)} s)`);

    const up = expectSuccess(pulumi.run(["up", "--yes", "--skip-preview", "--stack", stackName]));
    summary.push(`up: ${JSON.stringify(up.changes)} (${up.seconds.toFixed(0)} s)`);
    if ((up.changes.create ?? 0) !== planned) fail(`pulumi up created ${up.changes.create ?? 0} resources; the preview planned ${planned}`);
    const releases = up.operations.filter((o) => o.urn.includes(`${helmReleaseType}::`)).map((o) => o.urn.split("::").pop() as string);
    if (releases.length === 0) fail("pulumi up installed no Helm release");
    summary.push(`Helm releases installed for real: ${releases.join(", ")}`);
    checkNamespaceOrdering(up, summary);
    await checkPlacement(client, summary);
    await checkPortalRoute(client, summary);
    await checkFrontDoorVariants(client, gatewayCrds, summary);

    const second = pulumi.run(["up", "--yes", "--skip-preview", "--expect-no-changes", "--stack", stackName]);
    const changed = Object.entries(second.changes).filter(([op, n]) => op !== "same" && n > 0);
    if (second.exitCode !== 0 || changed.length > 0) {
      const which = changedSteps(second.events).map((step) => `  - ${step}`);
      fail(`a second pulumi up changed the stack (${JSON.stringify(second.changes)}):\n${which.join("\n") || describeFailure(second)}`);
    }
    summary.push(`second up: no changes (${second.seconds.toFixed(0)} s)`);

    const jobHolderDir = path.join(work, "job-holder");
    fs.mkdirSync(jobHolderDir);
    await checkJobHolder({ client, server: controlPlane.server, caFile: controlPlane.caFile, dir: jobHolderDir, consumer: "segmentation-consumer", queue: "segmentation" }, summary);

    await scaleLikeTheHpa(client, pulumi, summary);

    const destroy = expectSuccess(pulumi.run(["destroy", "--yes", "--skip-preview", "--stack", stackName]));
    summary.push(`destroy: ${JSON.stringify(destroy.changes)} (${destroy.seconds.toFixed(0)} s)`);
    const left = leftovers(before, await allObjects(client));
    if (left.length > 0) fail(`pulumi destroy left ${left.length} objects behind:\n${left.map((ref) => `  - ${refText(ref)}`).join("\n")}`);
    summary.push("after destroy: no object of the stack is left in the API server");
    ok = true;
  } finally {
    await controlPlane.down();
    process.removeListener("SIGINT", interrupted);
    process.removeListener("SIGTERM", interrupted);
    console.log(`\n== real-engine run of the ${stackName} stack: ${ok ? "PASSED" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(
      `upstream charts: ${chartSource ? `from ${chartSource}` : "none (KIOSK_CHART_SRC not set); KEDA is a stand-in of its ScaledObject CRD"}; ` +
        "the portal uses a GatewayClass with no controller, over the Gateway API's real CRDs (Envoy Gateway's install needs its certgen Job to run), the bucket an existing S3 endpoint (MinIO needs the random provider)",
    );
    for (const line of summary) console.log(`  ${line}`);
    if (!ok || process.env.KIOSK_E2E_KEEP === "1") console.log(`logs and state kept in ${work} (pulumi output in ${logs}, control plane logs next to it)`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

async function waitForCrds(client: KubeClient, names: readonly string[]): Promise<void> {
  for (const name of names) {
    for (let attempt = 0; ; attempt++) {
      const crd = await client.ok<{ status?: { conditions?: { type: string; status: string }[] } }>("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (attempt > 60) fail(`CRD ${name} was not established`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function checkNamespaceOrdering(up: CommandResult, summary: string[]): void {
  const ordering = namespaceOrdering(up.events);
  if (ordering.early.length > 0) fail(`pulumi up started creating objects before their namespace existed (they do not depend on it):\n${ordering.early.map((u) => `  - ${u}`).join("\n")}`);
  summary.push(`ordering: ${ordering.checked} objects in the stack's ${ordering.namespaces} namespaces, each created after its namespace`);
}

/** Every Kiosk pod is scheduled, on the nodes the stack's placement allows (never the tainted GPU node here). */
/** The portal's Gateway uses the cluster's GatewayClass, and its route leads to the frontend's Service and port. */
async function checkPortalRoute(client: KubeClient, summary: string[]): Promise<void> {
  const gatewayApi = `/apis/gateway.networking.k8s.io/v1/namespaces/${kioskNamespace}`;
  const gateway = await client.ok<{ spec: { gatewayClassName: string } }>("GET", `${gatewayApi}/gateways/portal`);
  if (gateway.spec.gatewayClassName !== gatewayClassName) fail(`the portal's Gateway uses GatewayClass ${gateway.spec.gatewayClassName}, not the cluster's ${gatewayClassName}`);
  const route = await client.ok<{ spec: { parentRefs: { name: string }[]; rules: { backendRefs?: { name: string; port: number }[] }[] } }>("GET", `${gatewayApi}/httproutes/portal`);
  const backend = route.spec.rules[0]?.backendRefs?.[0];
  const service = await client.ok<{ spec: { ports: { port: number }[] } }>("GET", `/api/v1/namespaces/${kioskNamespace}/services/${backend?.name ?? "?"}`);
  if (route.spec.parentRefs[0]?.name !== "portal" || !service.spec.ports.some((p) => p.port === backend?.port)) {
    fail(`the portal's HTTPRoute does not lead from Gateway portal to a port of Service ${backend?.name}: ${JSON.stringify(route.spec)}`);
  }
  summary.push(`the portal: Gateway portal (GatewayClass ${gatewayClassName}) routes to Service ${backend!.name}:${backend!.port}`);
}

/** The Gateway API's and Envoy Gateway's objects of other local configurations, as the real CRDs judge them (dry run). */
async function checkFrontDoorVariants(client: KubeClient, crds: readonly KubernetesObject[], summary: string[]): Promise<void> {
  const plurals = new Map(crds.map((crd) => [`${crd.spec.group}/${crd.spec.names.kind}`, { plural: crd.spec.names.plural, namespaced: crd.spec.scope === "Namespaced" }]));
  for (const variant of frontDoorVariants) {
    const served = new Set(crds.map((crd) => crd.spec.group));
    const objects = renderGraph(await evaluateStack(variant.stack, variant.overrides)).direct.filter((o) => served.has(o.apiVersion.split("/")[0]));
    const kinds: string[] = [];
    for (const object of objects) {
      const [group] = object.apiVersion.split("/");
      const crd = plurals.get(`${group}/${object.kind}`);
      if (!crd) fail(`${variant.name}: no CRD serves ${object.apiVersion} ${object.kind}`);
      const collection = crd.namespaced ? `/apis/${object.apiVersion}/namespaces/${object.metadata.namespace}/${crd.plural}` : `/apis/${object.apiVersion}/${crd.plural}`;
      // A different name, so that the dry run is a create even where the stack's own object exists.
      const candidate = { ...object, metadata: { ...object.metadata, name: `e2e-${object.metadata.name}` } };
      // Strict: a field the CRD does not have is an error, not silently pruned.
      await client.ok("POST", `${collection}?dryRun=All&fieldValidation=Strict`, candidate);
      kinds.push(object.kind);
    }
    if (!kinds.includes("Gateway") || !kinds.includes("HTTPRoute")) fail(`${variant.name}: rendered no Gateway and HTTPRoute: ${kinds.join(", ")}`);
    summary.push(`front door "${variant.name}": the API server accepts ${kinds.sort().join(", ")} (dry run against the real CRDs)`);
  }
}

async function checkPlacement(client: KubeClient, summary: string[]): Promise<void> {
  const pods = await client.ok<{ items: { metadata: { namespace: string; name: string }; spec: { nodeName?: string }; status: { phase?: string } }[] }>("GET", "/api/v1/pods");
  const unscheduled = pods.items.filter((pod) => !pod.spec.nodeName && pod.status.phase !== "Succeeded");
  if (unscheduled.length > 0) fail(`pods not scheduled after up: ${unscheduled.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ")}`);
  const gpuNodes = new Set(fakeNodes.filter((node: FakeNode) => node.taints.length > 0).map((node) => node.name));
  const onGpu = pods.items.filter((pod) => pod.spec.nodeName && gpuNodes.has(pod.spec.nodeName));
  if (onGpu.length > 0) fail(`pods on the tainted GPU node, which nothing on the local stack tolerates: ${onGpu.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", ")}`);
  summary.push(`placement: ${pods.items.length} pods scheduled, none on the tainted GPU node`);

  type Workload = { metadata: { name: string }; spec: { replicas?: number }; status?: { readyReplicas?: number } };
  const workloads: Workload[] = [];
  for (const kind of ["deployments", "statefulsets"]) {
    workloads.push(...(await client.ok<{ items: Workload[] }>("GET", `/apis/apps/v1/namespaces/${kioskNamespace}/${kind}`)).items);
  }
  const notReady = workloads.filter((w) => (w.status?.readyReplicas ?? 0) !== (w.spec.replicas ?? 1));
  if (notReady.length > 0) fail(`workloads not ready after up: ${notReady.map((w) => `${w.metadata.name} (${w.status?.readyReplicas ?? 0}/${w.spec.replicas})`).join(", ")}`);
  const running = workloads.filter((w) => (w.spec.replicas ?? 1) > 0).map((w) => `${w.metadata.name} ${w.spec.replicas ?? 1}`);
  summary.push(`workloads ready: ${running.join(", ")}; ${workloads.length - running.length} more at 0 replicas until KEDA scales them`);
}

/**
 * KEDA's HPA owns `replicas` of the Deployments it scales. The HPA controller writes them through the scale
 * subresource under its own field manager; an `up` that changes an unrelated field must neither conflict
 * nor put `replicas` back.
 */
async function scaleLikeTheHpa(client: KubeClient, pulumi: PulumiCli, summary: string[]): Promise<void> {
  const scaled = await client.ok<{ items: { spec: { scaleTargetRef: { name: string } } }[] }>("GET", `/apis/keda.sh/v1alpha1/namespaces/${kioskNamespace}/scaledobjects`);
  const target = scaled.items.map((item) => item.spec.scaleTargetRef.name).find((name) => name.startsWith("tf-serving"));
  if (!target) fail("no ScaledObject targets TF-Serving");
  const deploymentPath = `/apis/apps/v1/namespaces/${kioskNamespace}/deployments/${target}`;
  const beforeScale = await client.ok<Deployment>("GET", deploymentPath);
  const wanted = (beforeScale.spec.replicas ?? 0) + 1;
  await client.ok("PATCH", `${deploymentPath}/scale?fieldManager=kube-controller-manager`, { spec: { replicas: wanted } }, "application/merge-patch+json");

  const image = beforeScale.spec.template.spec.containers[0].image;
  const newTag = `${image.split(":").pop()}-e2e`;
  pulumi.run(["config", "set", "kiosk:tfServingImageTag", newTag, "--stack", stackName], { eventLog: false });
  const up = pulumi.run(["up", "--yes", "--skip-preview", "--stack", stackName]);
  if (up.exitCode !== 0 || up.errors.length > 0) fail(`an up after the HPA scaled ${target} failed (a field-manager conflict on replicas?):\n${describeFailure(up)}`);
  const afterUp = await client.ok<Deployment>("GET", deploymentPath);
  if (!afterUp.spec.template.spec.containers[0].image.endsWith(`:${newTag}`)) fail(`the up did not change ${target}'s image to ${newTag}: ${afterUp.spec.template.spec.containers[0].image}`);
  if (afterUp.spec.replicas !== wanted) fail(`the up reset ${target}'s replicas from ${wanted} (set by the HPA) to ${afterUp.spec.replicas}`);
  const replicasOwners = (afterUp.metadata.managedFields ?? []).filter((entry) => JSON.stringify(entry.fieldsV1 ?? {}).includes('"f:replicas"') && JSON.stringify(entry.fieldsV1).includes('"f:spec"')).map((entry) => entry.manager);
  if (!replicasOwners.includes("kube-controller-manager")) fail(`after the up, spec.replicas of ${target} is managed by ${replicasOwners.join(", ") || "nobody"}, not the HPA's field manager`);
  summary.push(`HPA-style scale of ${target} to ${wanted}, then an up changing its image: replicas kept, no conflict (${up.seconds.toFixed(0)} s)`);
}

main().catch((error) => {
  console.error(`\ne2e failed: ${error instanceof Error ? error.message : String(error)}`);
  if (!(error instanceof E2eFailure) && error instanceof Error && error.stack) console.error(error.stack);
  process.exitCode = 1;
});

