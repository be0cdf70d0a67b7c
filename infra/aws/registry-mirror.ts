import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DockerHubPullThroughCacheArgs {
  readonly clusterName: string;
  readonly region: string;
  /** The nodes' role: the kubelet pulls through the cache with it. */
  readonly nodeRole: aws.iam.Role;
  readonly dockerHub: { readonly username: string; readonly accessToken: string };
}

/** ECR's name for Docker Hub as an upstream of a pull-through cache rule. */
export const dockerHubUpstream = "registry-1.docker.io";

/**
 * An ECR pull-through cache for Docker Hub: nodes pull `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<image>`
 * and ECR fetches it from Docker Hub once, signed in with the given credentials (ECR requires them for
 * Docker Hub; they are kept in Secrets Manager under the `ecr-pullthroughcache/` prefix ECR reads).
 * The nodes get the two permissions a pull through the cache needs beyond pulling
 * (docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html: ecr:BatchImportUpstreamImage,
 * and ecr:CreateRepository for an image not cached yet), on the cache's repositories only.
 */
export class DockerHubPullThroughCache extends pulumi.ComponentResource {
  readonly prefix: pulumi.Output<string>;
  readonly resources: pulumi.Resource[];

  constructor(name: string, args: DockerHubPullThroughCacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:DockerHubPullThroughCache", name, {}, opts);
    const repositoryPrefix = `${args.clusterName}-docker-hub`;
    const credentials = new aws.secretsmanager.Secret(
      `${name}-credentials`,
      { name: `ecr-pullthroughcache/${repositoryPrefix}`, description: `Docker Hub sign-in for the ECR pull-through cache of the Kiosk ${args.clusterName}`, recoveryWindowInDays: 0 },
      { parent: this },
    );
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-credentials`,
      { secretId: credentials.id, secretString: pulumi.secret(JSON.stringify({ username: args.dockerHub.username, accessToken: args.dockerHub.accessToken })) },
      { parent: this },
    );
    const rule = new aws.ecr.PullThroughCacheRule(
      name,
      { ecrRepositoryPrefix: repositoryPrefix, upstreamRegistryUrl: dockerHubUpstream, credentialArn: credentials.arn },
      { parent: this, dependsOn: [version] },
    );
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const pullPolicy = new aws.iam.RolePolicy(
      `${name}-nodes`,
      {
        role: args.nodeRole.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
              Resource: pulumi.interpolate`arn:aws:ecr:${args.region}:${account}:repository/${repositoryPrefix}/*`,
            },
          ],
        }),
      },
      { parent: this },
    );
    this.resources = [rule, pullPolicy];
    this.prefix = pulumi.interpolate`${account}.dkr.ecr.${args.region}.amazonaws.com/${rule.ecrRepositoryPrefix}`;
    this.registerOutputs({ prefix: this.prefix });
  }
}
