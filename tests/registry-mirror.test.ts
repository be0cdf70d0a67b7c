/**
 * kiosk:registryMirror: the Docker Hub images of the Kiosk's own charts come through a cache in the
 * cloud, which the stack creates, and the nodes may pull through it.
 */
import { ConfigError } from "../infra/config";
import { evaluateStack, StackGraph } from "../offline/evaluate";
import { mockAwsAccount } from "../offline/mocks/aws";

const releaseType = "kubernetes:helm.sh/v3:Release";

/** Every image repository our charts are given, by release: image, configWriter.image, exporter.image. */
function chartImages(graph: StackGraph): Record<string, string[]> {
  const images: Record<string, string[]> = {};
  for (const release of graph.ofType(releaseType).filter((r) => String(r.inputs.chart).startsWith("charts/"))) {
    const values = release.inputs.values;
    images[release.name] = [values.image, values.configWriter?.image, values.exporter?.image].filter(Boolean).map((i: { repository: string }) => i.repository);
  }
  return images;
}

describe("Docker Hub images through a cache in the cloud (kiosk:registryMirror)", () => {
  it("is off by default: the charts pull from Docker Hub", async () => {
    const graph = await evaluateStack("gcp");
    expect(graph.has("gcp:artifactregistry/repository:Repository")).toBe(false);
    for (const repositories of Object.values(chartImages(graph))) for (const repository of repositories) expect(repository).not.toContain(".");
  });

  it("on gcp: a remote Artifact Registry repository of Docker Hub in the cluster's region, which every one of our charts pulls from", async () => {
    const graph = await evaluateStack("gcp", { "kiosk:registryMirror": "true" });
    const repository = graph.one("gcp:artifactregistry/repository:Repository");
    expect(repository.inputs).toMatchObject({
      project: "deepcell-kiosk",
      location: "us-central1",
      format: "DOCKER",
      mode: "REMOTE_REPOSITORY",
      remoteRepositoryConfig: { dockerRepository: { publicRepository: "DOCKER_HUB" } },
    });
    expect(graph.ofType("gcp:projects/service:Service").map((s) => s.inputs.service)).toContain("artifactregistry.googleapis.com");
    const prefix = `us-central1-docker.pkg.dev/deepcell-kiosk/${repository.inputs.repositoryId}/`;
    const images = chartImages(graph);
    expect(images["kiosk-consumers"]).toEqual([`${prefix}vanvalenlab/kiosk-redis-consumer`]);
    expect(images["kiosk-tf-serving"]).toEqual([`${prefix}vanvalenlab/kiosk-tf-serving`, `${prefix}vanvalenlab/kiosk-tf-serving-config-writer`]);
    expect(images["kiosk-redis"]).toEqual([`${prefix}valkey/valkey`, `${prefix}oliver006/redis_exporter`]);
    for (const repositories of Object.values(images)) for (const r of repositories) expect(r.startsWith(prefix)).toBe(true);
    // The nodes read Artifact Registry with their own service account's role; the workloads wait for the repository.
    expect(graph.ofType("gcp:projects/iAMMember:IAMMember").some((m) => m.inputs.role === "roles/artifactregistry.reader" && m.inputs.member.startsWith("serviceAccount:"))).toBe(true);
    expect(graph.dependsOn(graph.one(releaseType, "kiosk-consumers"), repository)).toBe(true);
  });

  it("on aws: an ECR pull-through cache of Docker Hub signed in with a secret, and the nodes may pull through it", async () => {
    const graph = await evaluateStack("aws", { "kiosk:registryMirror": "true", "kiosk:dockerHubUsername": "kiosk-lab", "kiosk:dockerHubAccessToken": "dckr_pat_example" });
    const rule = graph.one("aws:ecr/pullThroughCacheRule:PullThroughCacheRule");
    const secret = graph.one("aws:secretsmanager/secret:Secret");
    expect(secret.inputs.name).toBe(`ecr-pullthroughcache/${rule.inputs.ecrRepositoryPrefix}`);
    expect(rule.inputs.upstreamRegistryUrl).toBe("registry-1.docker.io");
    expect(rule.inputs.credentialArn).toMatch(/^arn:aws:secretsmanager:us-west-2:\d+:secret:ecr-pullthroughcache\//);
    const version = graph.one("aws:secretsmanager/secretVersion:SecretVersion");
    expect(version.secretInputs.has("secretString")).toBe(true);
    expect(JSON.parse(version.inputs.secretString)).toEqual({ username: "kiosk-lab", accessToken: "dckr_pat_example" });
    const policy = graph.ofType("aws:iam/rolePolicy:RolePolicy").map((p) => JSON.parse(p.inputs.policy)).find((p) => JSON.stringify(p).includes("BatchImportUpstreamImage"));
    expect(policy.Statement).toEqual([
      { Effect: "Allow", Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], Resource: `arn:aws:ecr:us-west-2:${mockAwsAccount}:repository/${rule.inputs.ecrRepositoryPrefix}/*` },
    ]);
    const prefix = `${mockAwsAccount}.dkr.ecr.us-west-2.amazonaws.com/${rule.inputs.ecrRepositoryPrefix}/`;
    const images = chartImages(graph);
    expect(images["kiosk-janitor"]).toEqual([`${prefix}vanvalenlab/kiosk-redis-janitor`]);
    expect(images["kiosk-redis"]).toEqual([`${prefix}valkey/valkey`, `${prefix}oliver006/redis_exporter`]);
    // aws runs our overlays, which live in their own registry, not Docker Hub: they are left as they are.
    expect(images["kiosk-frontend"]).toEqual(["ghcr.io/your-lab/kiosk-frontend"]);
    expect(images["kiosk-consumers"]).toEqual(["ghcr.io/your-lab/kiosk-redis-consumer"]);
  });

  it("asks on aws for the Docker Hub sign-in ECR needs, and refuses the local stack", async () => {
    await expect(evaluateStack("aws", { "kiosk:registryMirror": "true" })).rejects.toThrow(/kiosk:dockerHubUsername is required with kiosk:registryMirror on aws[\s\S]*kiosk:dockerHubAccessToken is required/);
    await expect(evaluateStack("local", { "kiosk:registryMirror": "true" })).rejects.toBeInstanceOf(ConfigError);
  });
});
