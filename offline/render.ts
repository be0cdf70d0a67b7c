/**
 * Expands a stack evaluated offline into the Kubernetes objects it applies: objects the program
 * creates directly, and each chart rendered with real helm using the values the program passes.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { helmReleaseType, upstreamChartFolder } from "../infra/upstream-charts";
import { ConfigOverrides, evaluateStack, projectRoot, RegisteredResource, StackGraph } from "./evaluate";
import { helmTemplate } from "./helm";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubernetesObject = Record<string, any>;

export interface RenderedChart {
  /** Pulumi resource name of the chart. */
  readonly name: string;
  readonly release: string;
  readonly namespace: string;
  /** Project-relative chart folder (ours) or chart name (upstream). */
  readonly chart: string;
  readonly values: Record<string, unknown>;
}

export interface OwnChartRender extends RenderedChart {
  readonly objects: KubernetesObject[];
}

export interface UpstreamChartRelease extends RenderedChart {
  readonly version: string;
  readonly repo: string;
  /** The objects the release applies, when the chart's source was given (see RenderOptions); else undefined. */
  readonly objects?: KubernetesObject[];
}

export interface RenderOptions {
  /**
   * A folder holding the upstream charts' sources, one unpacked chart per folder named after the chart
   * (as `helm pull --untar` leaves them). Without it upstream charts are listed with their values only,
   * since fetching them needs the network.
   */
  readonly upstreamChartsDir?: string;
}

export interface RenderedStack {
  /** Objects the program creates directly (not through a chart). */
  readonly direct: KubernetesObject[];
  readonly ownCharts: OwnChartRender[];
  readonly upstreamCharts: UpstreamChartRelease[];
}

/** Kinds that live outside any namespace. */
export const clusterScopedKinds: ReadonlySet<string> = new Set([
  "Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterIssuer", "CustomResourceDefinition", "StorageClass",
  "PersistentVolume", "PriorityClass", "IngressClass", "GatewayClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
  "APIService", "CSIDriver", "RuntimeClass", "ClusterTriggerAuthentication", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
]);

/** The Helm hook kinds of an object (`helm.sh/hook`), empty for an ordinary object. */
export function hooksOf(object: KubernetesObject): string[] {
  const hook: string | undefined = object.metadata?.annotations?.["helm.sh/hook"];
  return hook ? hook.split(",").map((h) => h.trim()) : [];
}

/**
 * True for an object that `helm install`/`upgrade` through a helm.v3.Release applies: every ordinary
 * object, and every hook except test hooks, which only `helm test` runs (Release runs install and upgrade
 * hooks, since `disableWebhooks` is false).
 */
export function appliedByRelease(object: KubernetesObject): boolean {
  const hooks = hooksOf(object);
  return hooks.length === 0 || hooks.some((hook) => /^(pre|post)-(install|upgrade)$/.test(hook));
}

/** The objects a release applies, in its namespace. */
function releaseObjects(rendered: KubernetesObject[], namespace: string): KubernetesObject[] {
  return rendered.filter(appliedByRelease).map((object) => redactSecrets(inReleaseNamespace(object, namespace)));
}

/** Puts a chart's namespaced objects in the release namespace, as helm and Pulumi do when they apply them. */
function inReleaseNamespace(object: KubernetesObject, namespace: string): KubernetesObject {
  if (clusterScopedKinds.has(object.kind) || object.metadata?.namespace) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}
const redacted = "<redacted>";

/** True for a resource that is a Kubernetes object applied by the program itself. */
function isDirectKubernetesObject(resource: RegisteredResource): boolean {
  return resource.custom && resource.type.startsWith("kubernetes:") && resource.type !== helmReleaseType && !resource.type.startsWith("pulumi:providers:");
}

/** The object as it would be sent to the API server (apiVersion/kind come from the resource type). */
export function manifestOf(resource: RegisteredResource): KubernetesObject {
  const [, apiVersionPath, kind] = resource.type.split(":");
  const apiVersion = apiVersionPath.startsWith("core/") ? apiVersionPath.slice("core/".length) : apiVersionPath;
  const { apiVersion: _ignoredVersion, kind: _ignoredKind, metadata, ...rest } = resource.inputs; // eslint-disable-line @typescript-eslint/no-unused-vars
  return { apiVersion, kind, metadata: { name: resource.name, ...(metadata ?? {}) }, ...rest };
}

/** Replaces every Secret's data with a marker, so rendered folders can be shared. */
export function redactSecrets(object: KubernetesObject): KubernetesObject {
  if (object.kind !== "Secret") return object;
  const mask = (data: Record<string, string> | undefined, encode: boolean) =>
    data && Object.fromEntries(Object.keys(data).map((key) => [key, encode ? Buffer.from(redacted).toString("base64") : redacted]));
  return { ...object, data: mask(object.data, true), stringData: mask(object.stringData, false) };
}

function ownChartFolder(chart: string): string | undefined {
  const folder = path.resolve(projectRoot, chart);
  return fs.existsSync(path.join(folder, "Chart.yaml")) ? folder : undefined;
}

export function renderGraph(graph: StackGraph, options: RenderOptions = {}): RenderedStack {
  const direct = graph.resources.filter(isDirectKubernetesObject).map(manifestOf).map(redactSecrets);
  const ownCharts: OwnChartRender[] = [];
  const upstreamCharts: UpstreamChartRelease[] = [];
  for (const chart of graph.ofType(helmReleaseType)) {
    const inputs = chart.inputs;
    const release: string = inputs.name ?? chart.name;
    const namespace: string = inputs.namespace ?? "default";
    const values: Record<string, unknown> = inputs.values ?? {};
    const folder = ownChartFolder(inputs.chart);
    if (folder) {
      const objects = releaseObjects(helmTemplate(folder, values, release, namespace), namespace);
      ownCharts.push({ name: chart.name, release, namespace, chart: path.relative(projectRoot, folder), values, objects });
    } else {
      const source = options.upstreamChartsDir && upstreamChartFolder(options.upstreamChartsDir, inputs.chart, inputs.version);
      const objects = source ? releaseObjects(helmTemplate(source, values, release, namespace), namespace) : undefined;
      upstreamCharts.push({ name: chart.name, release, namespace, chart: inputs.chart, version: inputs.version, repo: inputs.repositoryOpts?.repo ?? (String(inputs.chart).startsWith("oci://") ? path.posix.dirname(inputs.chart) : undefined), values, objects });
    }
  }
  return { direct, ownCharts, upstreamCharts };
}

/** Every object the stack applies that is known offline: direct objects, our charts' objects, and upstream charts' objects where rendered. */
export function allObjects(rendered: RenderedStack): KubernetesObject[] {
  return [...rendered.direct, ...rendered.ownCharts.flatMap((chart) => chart.objects), ...rendered.upstreamCharts.flatMap((chart) => chart.objects ?? [])];
}

export async function renderStack(stack: string, options: RenderOptions = {}, overrides: ConfigOverrides = {}): Promise<RenderedStack> {
  return renderGraph(await evaluateStack(stack, overrides), options);
}

function toYamlDocuments(objects: readonly object[]): string {
  return objects.map((object) => YAML.stringify(object, { lineWidth: 0 })).join("---\n");
}

/** Writes one file per source into `folder` (emptied first) and returns the file names. */
export function writeRendered(rendered: RenderedStack, folder: string): string[] {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const files: Record<string, string> = { "direct.yaml": toYamlDocuments(rendered.direct) };
  for (const chart of rendered.ownCharts) {
    files[`chart-${chart.name}.yaml`] = `# ${chart.chart}, release ${chart.release} in ${chart.namespace}\n${toYamlDocuments(chart.objects)}`;
  }
  for (const chart of rendered.upstreamCharts) {
    const rendered = chart.objects ? "rendered from its source" : "not rendered offline";
    const header = `# values for ${chart.repo} ${chart.chart} ${chart.version}, release ${chart.release} in ${chart.namespace} (${rendered})\n`;
    files[`upstream-${chart.name}.values.yaml`] = header + YAML.stringify(chart.values, { lineWidth: 0 });
    if (chart.objects) files[`upstream-${chart.name}.yaml`] = `# ${chart.chart} ${chart.version}, release ${chart.release} in ${chart.namespace}\n${toYamlDocuments(chart.objects)}`;
  }
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, file), text);
  return Object.keys(files).sort();
}
