/**
 * Expands a stack evaluated offline into the Kubernetes objects it applies: objects the program
 * creates directly, and each chart rendered with real helm using the values the program passes.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { evaluateStack, projectRoot, RegisteredResource, StackGraph } from "./evaluate";
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
}

export interface RenderedStack {
  /** Objects the program creates directly (not through a chart). */
  readonly direct: KubernetesObject[];
  readonly ownCharts: OwnChartRender[];
  readonly upstreamCharts: UpstreamChartRelease[];
}

const chartType = "kubernetes:helm.sh/v3:Release";
const clusterScopedKinds = new Set([
  "Namespace", "ClusterRole", "ClusterRoleBinding", "ClusterIssuer", "CustomResourceDefinition", "StorageClass",
  "PersistentVolume", "PriorityClass", "IngressClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
]);

/** Puts a chart's namespaced objects in the release namespace, as helm and Pulumi do when they apply them. */
function inReleaseNamespace(object: KubernetesObject, namespace: string): KubernetesObject {
  if (clusterScopedKinds.has(object.kind) || object.metadata?.namespace) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}
const redacted = "<redacted>";

/** True for a resource that is a Kubernetes object applied by the program itself. */
function isDirectKubernetesObject(resource: RegisteredResource): boolean {
  return resource.custom && resource.type.startsWith("kubernetes:") && resource.type !== chartType && !resource.type.startsWith("pulumi:providers:");
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

export function renderGraph(graph: StackGraph): RenderedStack {
  const direct = graph.resources.filter(isDirectKubernetesObject).map(manifestOf).map(redactSecrets);
  const ownCharts: OwnChartRender[] = [];
  const upstreamCharts: UpstreamChartRelease[] = [];
  for (const chart of graph.ofType(chartType)) {
    const inputs = chart.inputs;
    const release: string = inputs.name ?? chart.name;
    const namespace: string = inputs.namespace ?? "default";
    const values: Record<string, unknown> = inputs.values ?? {};
    const folder = ownChartFolder(inputs.chart);
    if (folder) {
      const objects = helmTemplate(folder, values, release, namespace).map((object) => redactSecrets(inReleaseNamespace(object, namespace)));
      ownCharts.push({ name: chart.name, release, namespace, chart: path.relative(projectRoot, folder), values, objects });
    } else {
      upstreamCharts.push({ name: chart.name, release, namespace, chart: inputs.chart, version: inputs.version, repo: inputs.repositoryOpts?.repo, values });
    }
  }
  return { direct, ownCharts, upstreamCharts };
}

/** Every object the stack applies that can be known offline: direct objects and our charts' objects. */
export function allObjects(rendered: RenderedStack): KubernetesObject[] {
  return [...rendered.direct, ...rendered.ownCharts.flatMap((chart) => chart.objects)];
}

export async function renderStack(stack: string): Promise<RenderedStack> {
  return renderGraph(await evaluateStack(stack));
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
    const header = `# values for ${chart.repo} ${chart.chart} ${chart.version}, release ${chart.release} in ${chart.namespace} (not rendered offline)\n`;
    files[`upstream-${chart.name}.values.yaml`] = header + YAML.stringify(chart.values, { lineWidth: 0 });
  }
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, file), text);
  return Object.keys(files).sort();
}
