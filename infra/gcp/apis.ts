import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Google APIs the gcp stack calls; a fresh project has them off. */
export const requiredGoogleApis = [
  "compute.googleapis.com",
  "container.googleapis.com",
  "storage.googleapis.com",
  "iam.googleapis.com",
  // GKE's Workload Identity mints tokens for Google service accounts through it.
  "iamcredentials.googleapis.com",
  // Project-level IAM bindings (the node service account's roles) go through it; a fresh project has it off.
  "cloudresourcemanager.googleapis.com",
  // GKE's GPU (DCGM) and other metrics land in Cloud Monitoring.
  "monitoring.googleapis.com",
] as const;

/** Turned on only with kiosk:registryMirror: the Docker Hub cache is an Artifact Registry repository. */
export const registryMirrorApi = "artifactregistry.googleapis.com";

export interface GoogleApisArgs {
  readonly project: string;
  readonly registryMirror: boolean;
  /** APIs only some stacks use (the front door's Certificate Manager and IAP). */
  readonly extraApis?: readonly string[];
}

/** Enables the required APIs; everything else in the gcp stack depends on `enabled`. */
export class GoogleApis extends pulumi.ComponentResource {
  readonly enabled: gcp.projects.Service[];

  constructor(name: string, args: GoogleApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GoogleApis", name, {}, opts);
    this.enabled = [...requiredGoogleApis, ...(args.registryMirror ? [registryMirrorApi] : []), ...(args.extraApis ?? [])].map(
      (api) =>
        new gcp.projects.Service(
          `${name}-${api.split(".")[0]}`,
          // Other things in the project may use these APIs: destroy leaves them on.
          { project: args.project, service: api, disableOnDestroy: false, disableDependentServices: false },
          { parent: this },
        ),
    );
    this.registerOutputs({});
  }
}
