/** Queries over rendered Kubernetes objects, shared by the platform, policy and render tests. */
import type { KubernetesObject } from "../../offline/render";

export interface PodTemplateOwner {
  readonly object: KubernetesObject;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly podSpec: Record<string, any>;
}

const workloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

/** Deployments, StatefulSets, DaemonSets and Jobs with their pod template. */
export function podTemplateOwners(objects: readonly KubernetesObject[]): PodTemplateOwner[] {
  return objects
    .filter((o) => workloadKinds.has(o.kind))
    .map((o) => ({
      object: o,
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      labels: o.spec.template.metadata?.labels ?? {},
      podSpec: o.spec.template.spec,
    }));
}

/** The environment of one container as a record (value or, for references, a marker). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function envOf(container: Record<string, any>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) env[entry.name] = entry.value ?? `<from ${JSON.stringify(entry.valueFrom)}>`;
  return env;
}

export function find(objects: readonly KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0];
}

/** True when every label of `selector` is carried by `labels`. */
export function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}
