import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { kioskBucketName } from "../bucket-naming";
import { GcpConfig, KioskConfig } from "../config";
import { expiringBucketPrefixes } from "../kiosk-contract";

export interface GcsBucketArgs {
  readonly config: KioskConfig;
  readonly gcp: GcpConfig;
}

/**
 * The Kiosk's bucket for uploads and results. A lifecycle rule deletes both after the configured days,
 * which replaces the old bucket-monitor pod. With `private` objects it has uniform bucket-level access
 * and public access prevention enforced. With `link-readable` objects (kiosk:bucketAccess) it allows
 * object ACLs, because the published images make each upload and result readable by its URL
 * (kiosk-frontend@0.11.3 server/controllers/upload.controller.js: `blob.makePublic()` before answering;
 * kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: `predefined_acl='publicRead'`); the bucket
 * itself grants nobody public access, so it cannot be listed.
 */
export class GcsBucket extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;
  readonly name: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: GcsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GcsBucket", name, {}, opts);
    const { config, gcp: gcpConfig } = args;
    const bucketName = kioskBucketName(config, name, this);
    const linkReadable = config.bucket.access === "link-readable";
    if (linkReadable) {
      pulumi.log.warn(
        "kiosk:bucketAccess is link-readable: anyone who holds the link of an upload or a result can read it until the lifecycle rule deletes it " +
          `(${config.bucket.retentionDays} days); the bucket cannot be listed. The published Kiosk images need this to hand results to the browser.`,
        this,
      );
    }
    this.bucket = new gcp.storage.Bucket(
      name,
      {
        project: gcpConfig.project,
        name: bucketName,
        location: gcpConfig.region.toUpperCase(),
        storageClass: "STANDARD",
        uniformBucketLevelAccess: !linkReadable,
        publicAccessPrevention: linkReadable ? "inherited" : "enforced",
        versioning: { enabled: false },
        // Uploads are users' images: once the lifecycle rule or a user deletes them, they are gone.
        softDeletePolicy: { retentionDurationSeconds: 0 },
        lifecycleRules: [
          {
            action: { type: "Delete" },
            condition: { age: config.bucket.retentionDays, matchesPrefixes: [...expiringBucketPrefixes] },
          },
        ],
        forceDestroy: config.bucket.forceDestroy,
        // The policy pack admits object ACLs only on a bucket that declares them.
        labels: { app: "deepcell-kiosk", "kiosk-objects": config.bucket.access },
      },
      { parent: this },
    );
    this.name = this.bucket.name;
    this.url = pulumi.interpolate`gs://${this.bucket.name}`;
    this.registerOutputs({ name: this.name, url: this.url });
  }
}
