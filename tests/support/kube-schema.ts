import { execFileSync } from "child_process";
import * as path from "path";

export interface SchemaProblem {
  /** apiVersion/kind namespace/name of the object. */
  readonly object: string;
  readonly problem: string;
}

/**
 * Validates Kubernetes objects against the real API schemas (core and the CRDs we create: KEDA,
 * Prometheus Operator, cert-manager). An object whose kind has no known schema is a problem too,
 * so that nothing passes unchecked.
 */
export function validateAgainstKubernetesSchemas(objects: readonly object[]): SchemaProblem[] {
  const output = execFileSync(process.execPath, [path.join(__dirname, "validate-k8s.mjs")], {
    input: JSON.stringify(objects),
    cwd: path.resolve(__dirname, "../.."),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output.toString("utf8"));
}
