import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface DockerHubMirrorArgs {
  readonly project: string;
  readonly region: string;
  readonly clusterName: string;
}

/**
 * An Artifact Registry remote repository in the cluster's region that caches Docker Hub: nodes pull the
 * Kiosk's images from it over Private Google Access, with the node service account's
 * roles/artifactregistry.reader, instead of from Docker Hub through the NAT address (whose anonymous
 * pulls Docker Hub limits per address). Deleting the repository deletes what it cached.
 */
export class DockerHubMirror extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  /** `<region>-docker.pkg.dev/<project>/<repository>`, which serves `<that>/<namespace>/<image>`. */
  readonly prefix: pulumi.Output<string>;

  constructor(name: string, args: DockerHubMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:DockerHubMirror", name, {}, opts);
    this.repository = new gcp.artifactregistry.Repository(
      name,
      {
        project: args.project,
        location: args.region,
        repositoryId: `${args.clusterName}-docker-hub`,
        description: `Docker Hub cache for the Kiosk ${args.clusterName}`,
        format: "DOCKER",
        mode: "REMOTE_REPOSITORY",
        remoteRepositoryConfig: { description: "Docker Hub", dockerRepository: { publicRepository: "DOCKER_HUB" } },
        labels: { app: "deepcell-kiosk" },
      },
      { parent: this },
    );
    this.prefix = pulumi.interpolate`${args.region}-docker.pkg.dev/${args.project}/${this.repository.repositoryId}`;
    this.registerOutputs({ prefix: this.prefix });
  }
}
