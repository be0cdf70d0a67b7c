import { helmReleaseType } from "../infra/upstream-charts";
import { ObjectRef, refText } from "./kube-client";
import { EngineEvent } from "./pulumi-cli";

/**
 * The e2e's verdicts that need no running system: each reads the engine's event log or API server
 * listings and says what is wrong, so that npm test can check the checks.
 */
export class E2eFailure extends Error {}

export function fail(message: string): never {
  throw new E2eFailure(message);
}

export interface NamespaceOrdering {
  /** Objects created in a namespace the stack creates. */
  readonly checked: number;
  readonly namespaces: number;
  /** URNs (with their namespace) whose create started before their namespace's create finished. */
  readonly early: readonly string[];
}

/**
 * Nothing may start being created in a namespace the stack creates before that namespace exists. The
 * provider retries a create whose namespace is missing a few times, so a missing dependency can pass by
 * luck; the event log shows it every time: the object's step starts before the namespace's step ends.
 */
export function namespaceOrdering(events: readonly EngineEvent[]): NamespaceOrdering {
  const namespaceDone = new Map<string, number>();
  for (const event of events) {
    const step = event.resOutputsEvent?.metadata;
    if (step?.type === "kubernetes:core/v1:Namespace" && step.new?.outputs?.metadata?.name) namespaceDone.set(step.new.outputs.metadata.name, event.sequence ?? 0);
  }
  const early: string[] = [];
  let checked = 0;
  for (const event of events) {
    const step = event.resourcePreEvent?.metadata;
    if (!step || step.op !== "create" || step.type === "kubernetes:core/v1:Namespace") continue;
    const namespace: string | undefined = step.type === helmReleaseType ? step.new?.inputs?.namespace : step.new?.inputs?.metadata?.namespace;
    if (!namespace || !namespaceDone.has(namespace)) continue;
    checked += 1;
    if ((event.sequence ?? 0) < namespaceDone.get(namespace)!) early.push(`${step.urn} (namespace ${namespace})`);
  }
  return { checked, namespaces: namespaceDone.size, early };
}

/** The steps of an update that were not "same": what a second `up` must not have. */
export function changedSteps(events: readonly EngineEvent[]): string[] {
  return events.filter((e) => e.resOutputsEvent && e.resOutputsEvent.metadata.op !== "same").map((e) => `${e.resOutputsEvent!.metadata.op} ${e.resOutputsEvent!.metadata.urn}`);
}

/** Objects the API server holds after destroy that it did not hold before the stack existed. */
export function leftovers(before: readonly ObjectRef[], after: readonly ObjectRef[]): ObjectRef[] {
  const existed = new Set(before.map(refText));
  return after.filter((ref) => !existed.has(refText(ref)));
}
