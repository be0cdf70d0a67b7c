import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kioskNamespace } from "../kiosk-contract";
import { helmRelease } from "../upstream-charts";

/** Container environment in the order given, from a plain record. */
export function envList(env: Readonly<Record<string, pulumi.Input<string>>>): k8s.types.input.core.v1.EnvVar[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/** `repository:tag` into its parts (the config holds full references). */
export function splitImage(reference: string): [string, string] {
  const colon = reference.lastIndexOf(":");
  return [reference.slice(0, colon), reference.slice(colon + 1)];
}

/** Our own charts in charts/, by folder name. */
export type OwnChartName = "redis" | "tf-serving" | "frontend" | "consumers" | "redis-janitor" | "openvpn";

/**
 * Installs one of our charts, into the Kiosk namespace unless told otherwise. The path is relative to the project folder,
 * where `pulumi up` runs, so that state does not record a machine-specific path.
 */
export function ownChart(
  name: string,
  chart: OwnChartName,
  values: pulumi.Input<Record<string, unknown>>,
  opts: pulumi.CustomResourceOptions,
  namespace: string = kioskNamespace,
): k8s.helm.v3.Release {
  return helmRelease(name, { chart: `charts/${chart}`, name: chart, namespace, values }, opts);
}

/** A namespace for a piece of the platform, labelled for Pod Security admission at `level`. */
export function platformNamespace(name: string, namespace: string, level: "privileged" | "baseline" | "restricted", opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
  return new k8s.core.v1.Namespace(
    name,
    {
      metadata: {
        name: namespace,
        labels: {
          "pod-security.kubernetes.io/enforce": level,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    },
    opts,
  );
}
