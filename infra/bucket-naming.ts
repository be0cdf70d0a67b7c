import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KioskConfig } from "./config";

/**
 * Name of the Kiosk's bucket when config names none: readable (stack first) and made globally unique
 * by a random suffix, within the 63 characters both GCS and S3 allow.
 */
export function derivedBucketName(config: KioskConfig, uniqueSuffix: string): string {
  const stack = config.stack.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  const stem = `kiosk-${stack || "stack"}`.slice(0, 63 - uniqueSuffix.length - 1).replace(/-+$/, "");
  return `${stem}-${uniqueSuffix}`;
}

/** The configured bucket name, or a derived one with a random suffix kept in state (created under `parent`). */
export function kioskBucketName(config: KioskConfig, name: string, parent: pulumi.Resource): pulumi.Output<string> {
  if (config.bucket.name !== undefined) return pulumi.output(config.bucket.name);
  return new random.RandomId(`${name}-suffix`, { byteLength: 4 }, { parent }).hex.apply((hex) => derivedBucketName(config, hex));
}
