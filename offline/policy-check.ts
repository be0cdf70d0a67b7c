/**
 * Runs the policy pack's resource policies outside the engine, on anything the offline evaluator can
 * show: registered resources, and the objects charts render (which a real preview never shows the pack,
 * because a helm.v3.Release is one resource).
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { chartExemptionFor } from "../policy/exemptions";
import { resourcePolicies } from "../policy/policies";
import type { Props } from "../policy/rules";
import type { KubernetesObject } from "./render";

export interface Violation {
  readonly policy: string;
  readonly level: string;
  readonly resource: string;
  readonly message: string;
}

/** Runs every resource policy on one resource, as the policy engine would during preview. */
export function violationsOf(type: string, props: Props, name = "resource"): Violation[] {
  const found: Violation[] = [];
  for (const policy of resourcePolicies) {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    const args = { type, props, name, urn: `urn:pulumi:offline::kiosk::${type}::${name}` } as unknown as ResourceValidationArgs;
    for (const validate of validations) {
      void validate(args, (message) => found.push({ policy: policy.name, level: policy.enforcementLevel ?? "advisory", resource: name, message }));
    }
  }
  return found;
}

/** Pulumi's type token for a Kubernetes object (what the pack would see were the object registered on its own). */
export function kubernetesTypeOf(object: KubernetesObject): string {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["core", object.apiVersion];
  return `kubernetes:${group}/${version}:${object.kind}`;
}

export interface ChartPolicyReport {
  /** Violations no exemption covers. */
  readonly violations: Violation[];
  /** Violations an exemption for this chart covers, with its reason. */
  readonly exempted: (Violation & { readonly reason: string })[];
}

/** The policies over the objects one chart renders; `chart` is the upstream chart's name, or undefined for ours (no exemptions). */
export function chartPolicyReport(chart: string | undefined, objects: readonly KubernetesObject[]): ChartPolicyReport {
  const violations: Violation[] = [];
  const exempted: (Violation & { reason: string })[] = [];
  for (const object of objects) {
    const name = `${object.kind}/${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name}`;
    for (const violation of violationsOf(kubernetesTypeOf(object), object, name)) {
      const exemption = chart === undefined ? undefined : chartExemptionFor(chart, violation.policy, object, violation.message);
      if (exemption) exempted.push({ ...violation, reason: exemption.reason });
      else violations.push(violation);
    }
  }
  return { violations, exempted };
}
