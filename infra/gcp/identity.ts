import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { BucketWorkload, bucketWorkloads, kioskNamespace } from "../kiosk-contract";
import { WorkloadIdentity } from "../seam";

/**
 * Bucket roles per workload, the least each needs: the portal stores uploads and serves results, the
 * consumers read uploads and write results; TF-Serving only reads.
 */
export const gcsBucketRoles: Readonly<Record<BucketWorkload, string>> = {
  frontend: "roles/storage.objectUser",
  consumer: "roles/storage.objectUser",
  tfServing: "roles/storage.objectViewer",
};

const accountSuffix: Readonly<Record<BucketWorkload, string>> = { frontend: "frontend", consumer: "consumer", tfServing: "tfserving" };

export interface GkeWorkloadIdentitiesArgs {
  readonly project: string;
  readonly clusterName: string;
  /** `<project>.svc.id.goog`, which exists once the cluster has Workload Identity on. */
  readonly workloadPool: string;
  readonly bucketName: pulumi.Input<string>;
  /** The cluster, whose creation creates the workload pool. */
  readonly cluster: pulumi.Resource;
}

/**
 * A Google service account per bucket workload, granted on the Kiosk's bucket only, and bound to the
 * workload's Kubernetes service account through Workload Identity: pods get short-lived tokens, and no
 * key exists anywhere.
 */
export class GkeWorkloadIdentities extends pulumi.ComponentResource {
  readonly accounts: Readonly<Record<BucketWorkload, gcp.serviceaccount.Account>>;
  readonly bindings: pulumi.Resource[] = [];

  constructor(name: string, args: GkeWorkloadIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GkeWorkloadIdentities", name, {}, opts);
    const workloads = Object.keys(bucketWorkloads) as BucketWorkload[];
    const accounts = {} as Record<BucketWorkload, gcp.serviceaccount.Account>;
    for (const workload of workloads) {
      const account = new gcp.serviceaccount.Account(
        `${name}-${accountSuffix[workload]}`,
        {
          project: args.project,
          // Prefixed with the cluster so that two Kiosks can share a project; 30 characters at most.
          accountId: `${args.clusterName.slice(0, 30 - accountSuffix[workload].length - 1)}-${accountSuffix[workload]}`,
          displayName: `Kiosk ${args.clusterName} ${workload}`,
        },
        { parent: this },
      );
      accounts[workload] = account;
      this.bindings.push(
        new gcp.storage.BucketIAMMember(
          `${name}-${accountSuffix[workload]}-bucket`,
          { bucket: args.bucketName, role: gcsBucketRoles[workload], member: account.member },
          { parent: this },
        ),
        new gcp.serviceaccount.IAMMember(
          `${name}-${accountSuffix[workload]}-workload-identity`,
          {
            serviceAccountId: account.name,
            role: "roles/iam.workloadIdentityUser",
            member: `serviceAccount:${args.workloadPool}[${kioskNamespace}/${bucketWorkloads[workload]}]`,
          },
          { parent: this, dependsOn: [args.cluster] },
        ),
      );
    }
    this.accounts = accounts;
    this.registerOutputs({});
  }

  identityFor(workload: BucketWorkload): WorkloadIdentity {
    return {
      serviceAccountName: bucketWorkloads[workload],
      serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": this.accounts[workload].email },
      env: [],
    };
  }
}
