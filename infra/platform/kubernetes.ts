import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
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

/** Where our charts live, whatever the working directory. */
export const ownChartsFolder = path.resolve(__dirname, "../../charts");

/**
 * A digest of every file of one of our charts. A Release notices a local chart's change only through its
 * version or its values (pulumi-kubernetes helm_release.go Check takes the version from Chart.yaml; the
 * old `checksum` input is gone), so each release carries the digest among its values: edit a template,
 * and the next `up` upgrades the release.
 */
export function chartDigest(folder: string): string {
  const hash = crypto.createHash("sha256");
  const files = fs.readdirSync(folder, { recursive: true, encoding: "utf8" }).filter((file) => fs.statSync(path.join(folder, file)).isFile()).sort();
  for (const file of files) hash.update(file).update("\0").update(fs.readFileSync(path.join(folder, file))).update("\0");
  return hash.digest("hex");
}

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
  const digest = chartDigest(path.join(ownChartsFolder, chart));
  const withDigest = pulumi.output(values).apply((v) => ({ ...v, chartDigest: digest }));
  return helmRelease(name, { chart: `charts/${chart}`, name: chart, namespace, values: withDigest }, opts);
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
