import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { kioskBucketName } from "../bucket-naming";
import { KioskConfig } from "../config";
import { expiringBucketPrefixes } from "../kiosk-contract";

export interface S3BucketArgs {
  readonly config: KioskConfig;
}

/**
 * The Kiosk's private bucket for uploads and results: every public access path blocked, objects owned
 * by the bucket (no ACLs), encrypted at rest, reachable only over TLS, and expired after the configured
 * days under uploads/ and output/ (which replaces the old bucket-monitor pod).
 */
export class S3Bucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly url: pulumi.Output<string>;
  /** Settings that must be in place before anyone uses the bucket. */
  readonly settings: pulumi.Resource[];

  constructor(name: string, args: S3BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:S3Bucket", name, {}, opts);
    const { config } = args;
    const bucketName = kioskBucketName(config, name, this);
    this.bucket = new aws.s3.Bucket(name, { bucket: bucketName, forceDestroy: config.bucket.forceDestroy, tags: { app: "deepcell-kiosk" } }, { parent: this });
    const child = { parent: this };
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      name,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      child,
    );
    const ownership = new aws.s3.BucketOwnershipControls(name, { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      { bucket: this.bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      child,
    );
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
      name,
      {
        bucket: this.bucket.id,
        rules: [
          ...expiringBucketPrefixes.map((prefix) => ({
            id: `expire-${prefix.replace(/\/$/, "")}`,
            status: "Enabled",
            filter: { prefix },
            expiration: { days: config.bucket.retentionDays },
          })),
          { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
        ],
      },
      child,
    );
    const tlsOnly = new aws.s3.BucketPolicy(
      name,
      {
        bucket: this.bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      // S3 rejects a policy while the public access block is being changed.
      { parent: this, dependsOn: [publicAccessBlock] },
    );
    this.settings = [publicAccessBlock, ownership, encryption, lifecycle, tlsOnly];
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.url = pulumi.interpolate`s3://${this.bucket.bucket}`;
    this.registerOutputs({ name: this.name, url: this.url });
  }
}
