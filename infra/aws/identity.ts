import * as pulumi from "@pulumi/pulumi";
import { BucketWorkload, bucketWorkloads, kioskNamespace } from "../kiosk-contract";
import { WorkloadIdentity } from "../seam";
import { PodIdentityRole } from "./pod-identity";

/**
 * S3 actions per workload, the least each needs: the portal stores uploads and serves results, the
 * consumers read uploads and write results; TF-Serving only reads.
 */
export const s3ObjectActions: Readonly<Record<BucketWorkload, readonly string[]>> = {
  frontend: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
  consumer: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
  tfServing: ["s3:GetObject"],
};

/** A policy granting `actions` on the objects of one bucket, and listing that bucket only. */
export function bucketPolicy(bucketArn: pulumi.Input<string>, actions: readonly string[]): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Objects", Effect: "Allow", Action: [...actions], Resource: pulumi.interpolate`${bucketArn}/*` },
      { Sid: "List", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
    ],
  });
}

export interface EksPodIdentitiesArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly bucketArn: pulumi.Input<string>;
}

/** An IAM role per bucket workload, scoped to the Kiosk's bucket and given to its service account by Pod Identity. */
export class EksPodIdentities extends pulumi.ComponentResource {
  readonly roles: Readonly<Record<BucketWorkload, PodIdentityRole>>;

  constructor(name: string, args: EksPodIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:EksPodIdentities", name, {}, opts);
    const roles = {} as Record<BucketWorkload, PodIdentityRole>;
    for (const workload of Object.keys(bucketWorkloads) as BucketWorkload[]) {
      roles[workload] = new PodIdentityRole(
        `${name}-${bucketWorkloads[workload]}`,
        {
          clusterName: args.clusterName,
          namespace: kioskNamespace,
          serviceAccount: bucketWorkloads[workload],
          policy: bucketPolicy(args.bucketArn, s3ObjectActions[workload]),
        },
        { parent: this },
      );
    }
    this.roles = roles;
    this.registerOutputs({});
  }

  get associations(): pulumi.Resource[] {
    return Object.values(this.roles).flatMap((role) => (role.association ? [role.association] : []));
  }

  /** Pod Identity needs nothing on the service account: the association names it. */
  identityFor(workload: BucketWorkload): WorkloadIdentity {
    return { serviceAccountName: bucketWorkloads[workload], serviceAccountAnnotations: {}, env: [] };
  }
}
