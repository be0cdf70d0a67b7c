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
