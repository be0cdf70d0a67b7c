import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { BucketAccessMode } from "../config-types";
import { BucketWorkload, bucketWorkloads, kioskNamespace } from "../kiosk-contract";
import { CloudGpuMetricsApi, WorkloadIdentity } from "../seam";
import { kedaOperatorServiceAccount } from "../upstream-charts";

/**
 * Bucket roles per workload, the least each needs: the portal stores uploads and serves results, the
 * consumers read uploads and write results; TF-Serving only reads.
 */
export const gcsBucketRoles: Readonly<Record<BucketWorkload, string>> = {
  frontend: "roles/storage.objectUser",
  consumer: "roles/storage.objectUser",
  tfServing: "roles/storage.objectViewer",
};

/** A permission a workload is granted on the bucket, with the call in the image's code that needs it. */
export interface BucketPermission {
  readonly permission: string;
  readonly neededBy: string;
}

/**
 * With link-readable objects the published images call more than object reads and writes: exactly these,
 * granted through a custom role per workload (no predefined role has buckets.get and object ACLs without
 * also listing objects). Permissions per call: cloud.google.com/storage/docs/access-control/iam-json and
 * .../json_api/v1/objectAccessControls/insert.
 */
export const linkReadablePermissions: Readonly<Record<BucketWorkload, readonly BucketPermission[]>> = {
  frontend: [
    { permission: "storage.objects.create", neededBy: "kiosk-frontend@0.11.3 server/controllers/upload.controller.js: blob.createWriteStream() (objects insert)" },
    { permission: "storage.objects.setIamPolicy", neededBy: "kiosk-frontend@0.11.3 server/controllers/upload.controller.js: blob.makePublic() (objectAccessControls insert)" },
  ],
  consumer: [
    { permission: "storage.buckets.get", neededBy: "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: client.get_bucket() before every upload and download" },
    { permission: "storage.objects.get", neededBy: "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: blob.download_to_filename()" },
    { permission: "storage.objects.create", neededBy: "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: blob.upload_from_filename()" },
    { permission: "storage.objects.delete", neededBy: "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: upload_from_filename() over an existing output/ name (a re-queued job)" },
    { permission: "storage.objects.setIamPolicy", neededBy: "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: predefined_acl='publicRead'" },
  ],
  tfServing: [
    { permission: "storage.objects.get", neededBy: "TF-Serving reading model files from the Kiosk's bucket" },
    { permission: "storage.objects.list", neededBy: "TF-Serving listing model versions in the Kiosk's bucket" },
  ],
};

/** The role granted to each workload on the bucket for a storage mode (a custom role's permissions for link-readable). */
export function bucketRoleFor(access: BucketAccessMode, workload: BucketWorkload): { readonly predefined: string } | { readonly permissions: readonly string[] } {
  return access === "private" ? { predefined: gcsBucketRoles[workload] } : { permissions: linkReadablePermissions[workload].map((p) => p.permission) };
}

const accountSuffix: Readonly<Record<BucketWorkload, string>> = { frontend: "frontend", consumer: "consumer", tfServing: "tfserving" };

export interface GkeWorkloadIdentitiesArgs {
  readonly project: string;
  readonly clusterName: string;
  /** `<project>.svc.id.goog`, which exists once the cluster has Workload Identity on. */
  readonly workloadPool: string;
  readonly bucketName: pulumi.Input<string>;
  readonly bucketAccess: BucketAccessMode;
  /** The cluster, whose creation creates the workload pool. */
  readonly cluster: pulumi.Resource;
  /** The workloads that sign their own links (our overlays, with private objects). */
  readonly signers: readonly BucketWorkload[];
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
      const grant = bucketRoleFor(args.bucketAccess, workload);
      const role =
        "predefined" in grant
          ? pulumi.output(grant.predefined)
          : new gcp.projects.IAMCustomRole(
              `${name}-${accountSuffix[workload]}-role`,
              {
                project: args.project,
                // Custom role IDs allow letters, digits, dots and underscores; unique per cluster like the accounts.
                roleId: `kiosk_${args.clusterName.replace(/-/g, "_")}_${accountSuffix[workload]}`.slice(0, 64),
                title: `Kiosk ${args.clusterName} ${workload} bucket access`,
                description: "What the published Kiosk image calls on its bucket with link-readable objects (kiosk:bucketAccess)",
                permissions: [...grant.permissions],
              },
              { parent: this },
            ).name;
      this.bindings.push(
        new gcp.storage.BucketIAMMember(`${name}-${accountSuffix[workload]}-bucket`, { bucket: args.bucketName, role, member: account.member }, { parent: this }),
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
      if (args.signers.includes(workload)) {
        // A Workload Identity token has no private key: a V4 signed URL is signed by IAM's signBlob for the
        // account itself (iam.serviceAccounts.signBlob), which this role on its own account grants, and only there.
        this.bindings.push(
          new gcp.serviceaccount.IAMMember(
            `${name}-${accountSuffix[workload]}-signs-links`,
            { serviceAccountId: account.name, role: "roles/iam.serviceAccountTokenCreator", member: account.member },
            { parent: this },
          ),
        );
      }
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

export interface KedaGpuMetricsReaderArgs {
  readonly project: string;
  readonly clusterName: string;
  readonly workloadPool: string;
  readonly cluster: pulumi.Resource;
}

/**
 * KEDA's operator reads GKE's DCGM metrics (GPU utilisation) from Managed Service for Prometheus, with a
 * Google service account of its own that may only read monitoring data (roles/monitoring.viewer), bound
 * to the operator's Kubernetes service account through Workload Identity. kedacore/keda@v2.20.2
 * pkg/scalers/prometheus_scaler.go takes a Google token for the prometheus scaler when its
 * TriggerAuthentication names pod identity "gcp" (pkg/scalers/gcp/gcp_common.go: google.DefaultTokenSource).
 */
export class KedaGpuMetricsReader extends pulumi.ComponentResource {
  readonly account: gcp.serviceaccount.Account;
  readonly bindings: pulumi.Resource[];
  readonly api: CloudGpuMetricsApi;

  constructor(name: string, args: KedaGpuMetricsReaderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:KedaGpuMetricsReader", name, {}, opts);
    const suffix = "keda";
    this.account = new gcp.serviceaccount.Account(
      name,
      { project: args.project, accountId: `${args.clusterName.slice(0, 30 - suffix.length - 1)}-${suffix}`, displayName: `Kiosk ${args.clusterName} KEDA metrics reader` },
      { parent: this },
    );
    this.bindings = [
      new gcp.projects.IAMMember(`${name}-monitoring-viewer`, { project: args.project, role: "roles/monitoring.viewer", member: this.account.member }, { parent: this }),
      new gcp.serviceaccount.IAMMember(
        `${name}-workload-identity`,
        {
          serviceAccountId: this.account.name,
          role: "roles/iam.workloadIdentityUser",
          member: `serviceAccount:${args.workloadPool}[${kedaOperatorServiceAccount.namespace}/${kedaOperatorServiceAccount.name}]`,
        },
        { parent: this, dependsOn: [args.cluster] },
      ),
    ];
    this.api = {
      // Managed Service for Prometheus' query API (cloud.google.com/stackdriver/docs/managed-prometheus/query-api-ui).
      url: `https://monitoring.googleapis.com/v1/projects/${args.project}/location/global/prometheus`,
      // The API holds the whole project: GMP labels every series with the cluster it came from.
      matchers: `cluster="${args.clusterName}"`,
      kedaPodIdentity: { provider: "gcp", chartValues: { gcp: { enabled: true, gcpIAMServiceAccount: this.account.email } } },
    };
    this.registerOutputs({});
  }
}
