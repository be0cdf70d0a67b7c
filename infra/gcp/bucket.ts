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
 * The Kiosk's private bucket for uploads and results. A lifecycle rule deletes both after the
 * configured days, which replaces the old bucket-monitor pod.
 */
export class GcsBucket extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;
  readonly name: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: GcsBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GcsBucket", name, {}, opts);
    const { config, gcp: gcpConfig } = args;
    const bucketName = kioskBucketName(config, name, this);
    this.bucket = new gcp.storage.Bucket(
      name,
      {
        project: gcpConfig.project,
        name: bucketName,
        location: gcpConfig.region.toUpperCase(),
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
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
        labels: { app: "deepcell-kiosk" },
      },
      { parent: this },
    );
    this.name = this.bucket.name;
    this.url = pulumi.interpolate`gs://${this.bucket.name}`;
    this.registerOutputs({ name: this.name, url: this.url });
  }
}
