import { ConfigError, parseConfig } from "../infra/config";
import { ConfigOverrides, evaluateStack, registeredByLastEvaluation, stackConfig } from "../offline/evaluate";

function parse(stack: string, overrides: ConfigOverrides = {}) {
  const raw = stackConfig(stack, overrides);
  return parseConfig((key) => raw[key], "kiosk", stack);
}

function problemsOf(stack: string, overrides: ConfigOverrides): string[] {
  try {
    parse(stack, overrides);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error(`config ${JSON.stringify(overrides)} was accepted`);
}

describe("stack configuration", () => {
  it.each(["aws", "gcp", "local"])("reads the %s stack file into a typed, frozen object", (stack) => {
    const config = parse(stack);
    expect(config.cloud).toBe(stack);
    expect(config.jobTypes).toEqual(["segmentation", "mesmer", "caliban", "polaris", "spot"]);
    expect(config.gpu.minNodes).toBe(0);
    expect(config.bucket.retentionDays).toBe(3);
    // gcp runs the published images; aws and local our overlays (images/<name>/overlay.env: 0.11.3, revision 1).
    expect(config.images.frontend).toBe(stack === "gcp" ? "vanvalenlab/kiosk-frontend:0.11.3" : "ghcr.io/your-lab/kiosk-frontend:0.11.3-kiosk.1");
    expect(config.images.consumer).toBe(stack === "gcp" ? "vanvalenlab/kiosk-redis-consumer:0.17.2" : "ghcr.io/your-lab/kiosk-redis-consumer:0.17.2-kiosk.1");
    expect(config.images.janitor).toBe("vanvalenlab/kiosk-redis-janitor:0.9.0");
    expect(config.bucket.access).toBe(stack === "gcp" ? "link-readable" : "private");
    expect(config.components).toEqual({ monitoring: stack !== "local", logging: false, vpn: false, tls: false });
    // The committed cloud stacks admit only a documentation range (nobody) until the lab names its own.
    expect(config.portalAccess).toEqual(stack === "local" ? { mode: "public" } : { mode: "allowed-cidrs", allowedCidrs: ["192.0.2.0/24"] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.gpu)).toBe(true);
    expect(() => (config.jobTypes as string[]).push("x")).toThrow();
  });

  it("reads the cloud specifics only for the cloud in use", () => {
    const gcp = parse("gcp");
    expect(gcp.gcp).toEqual({
      project: "deepcell-kiosk",
      region: "us-central1",
      zone: "us-central1-a",
      regional: false,
      releaseChannel: "REGULAR",
      gpuZones: ["us-central1-a", "us-central1-b"],
      multiZoneGpus: false,
      dataZones: ["us-central1-a"],
    });
    expect(gcp.aws).toBeUndefined();
    const aws = parse("aws");
    expect(aws.aws).toMatchObject({ region: "us-west-2", natGateways: "single", availabilityZoneCount: 2, gpuAmiType: "AL2023_x86_64_NVIDIA" });
    expect(aws.gpu).toMatchObject({ type: "nvidia-tesla-t4", machineType: "g4dn.xlarge" });
    expect(parse("local").local).toEqual({ kubeContext: "kind-kiosk", storageClass: undefined });
  });

  it("fills cloud-specific machine types when the stack leaves them empty", () => {
    const config = parse("aws", { "kiosk:gpuType": "nvidia-a10g", "kiosk:gpuMachineType": undefined, "kiosk:systemMachineType": undefined });
    expect(config.gpu.machineType).toBe("g5.xlarge");
    expect(config.systemPool.machineType).toBe("t3.large");
  });

  const badCases: [string, string, ConfigOverrides, RegExp][] = [
    ["an unknown cloud", "gcp", { "kiosk:cloud": "azure" }, /kiosk:cloud = "azure" is not allowed; allowed values: aws, gcp, local/],
    ["max GPUs below min GPUs", "gcp", { "kiosk:minGpuNodes": 3, "kiosk:maxGpuNodes": 2 }, /kiosk:maxGpuNodes = 2 must be at least kiosk:minGpuNodes \(3\)/],
    ["a negative min GPU count", "aws", { "kiosk:minGpuNodes": -1 }, /kiosk:minGpuNodes = "-1" must be a whole number from 0 to 100/],
    ["a GPU type the cloud does not offer", "aws", { "kiosk:gpuType": "nvidia-tesla-p100" }, /kiosk:gpuType = "nvidia-tesla-p100" is not offered on aws; allowed values: nvidia-tesla-t4, nvidia-a10g/],
    ["a GPU type unknown on gcp", "gcp", { "kiosk:gpuType": "nvidia-a10g" }, /kiosk:gpuType = "nvidia-a10g" is not offered on gcp; allowed values: .*nvidia-l4/],
    ["a machine type without that GPU", "aws", { "kiosk:gpuMachineType": "g5.xlarge" }, /kiosk:gpuMachineType = "g5.xlarge" does not carry a nvidia-tesla-t4 on aws/],
    ["an L4 on an N1 machine", "gcp", { "kiosk:gpuType": "nvidia-l4" }, /kiosk:gpuMachineType = "n1-standard-4" does not carry a nvidia-l4 on gcp.*g2-standard-4/],
    ["a cluster name that is too long", "gcp", { "kiosk:clusterName": "a".repeat(41) }, /kiosk:clusterName = "a{41}" must be 1-40 characters/],
    ["a cluster name with capitals", "aws", { "kiosk:clusterName": "DeepCell" }, /kiosk:clusterName = "DeepCell"/],
    ["a bucket name with underscores", "gcp", { "kiosk:bucketName": "my_bucket" }, /kiosk:bucketName = "my_bucket" contains an underscore/],
    ["a bucket name that is too short", "aws", { "kiosk:bucketName": "ab" }, /kiosk:bucketName = "ab" must be 3-63/],
    ["GPU zones missing on gcp", "gcp", { "kiosk:gpuZones": [] }, /kiosk:gpuZones must list the zones of us-central1 that offer nvidia-tesla-t4/],
    ["a GPU zone outside the region", "gcp", { "kiosk:gpuZones": ["europe-west4-a"] }, /kiosk:gpuZones contains "europe-west4-a", which is not in gcp:region "us-central1"/],
    ["a zone outside the region", "gcp", { "gcp:zone": "europe-west4-a" }, /gcp:zone = "europe-west4-a" is not in gcp:region "us-central1"/],
    ["no GCP project", "gcp", { "gcp:project": undefined }, /gcp:project is required but not set/],
    ["no AWS region", "aws", { "aws:region": undefined }, /aws:region is required but not set/],
    ["an unknown NAT layout", "aws", { "kiosk:awsNatGateways": "none" }, /kiosk:awsNatGateways = "none" is not allowed; allowed values: single, perAz/],
    ["an unknown GPU AMI", "aws", { "kiosk:awsGpuAmiType": "AL2_x86_64_GPU" }, /kiosk:awsGpuAmiType = "AL2_x86_64_GPU" is not allowed; allowed values: AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA/],
    ["an unreachable API", "aws", { "kiosk:awsApiPublicAccess": false, "kiosk:awsApiPrivateAccess": false }, /kiosk:awsApiPublicAccess and kiosk:awsApiPrivateAccess are both false/],
    ["an unknown release channel", "gcp", { "kiosk:gkeReleaseChannel": "EXTENDED" }, /kiosk:gkeReleaseChannel = "EXTENDED" is not allowed; allowed values: RAPID, REGULAR, STABLE/],
    ["a bad CIDR", "aws", { "kiosk:apiAllowedCidrs": ["10.0.0.0/33"] }, /kiosk:apiAllowedCidrs contains "10.0.0.0\/33"/],
    ["TLS without a domain", "local", { "kiosk:tls": true, "kiosk:acmeEmail": "ops@example.org" }, /kiosk:domain is required when kiosk:tls is true/],
    ["TLS without an ACME e-mail", "local", { "kiosk:tls": true, "kiosk:domain": "kiosk.example.org" }, /kiosk:acmeEmail must be an e-mail address when kiosk:tls is true/],
    ["an image tag 'latest'", "local", { "kiosk:frontendImageTag": "latest" }, /kiosk:frontendImageTag = "latest" must be a fixed image tag/],
    ["a job type ending in -zip", "local", { "kiosk:jobTypes": ["segmentation", "mesmer-zip"] }, /kiosk:jobTypes contains "mesmer-zip"/],
    ["a job type listed twice", "local", { "kiosk:jobTypes": ["mesmer", "mesmer"] }, /kiosk:jobTypes lists a job type twice/],
    ["no job types", "local", { "kiosk:jobTypes": [] }, /kiosk:jobTypes must name at least one job type/],
    ["a non-boolean toggle", "local", { "kiosk:monitoring": "yes" }, /kiosk:monitoring = "yes" must be true or false/],
    ["a bad retention", "gcp", { "kiosk:metricsRetention": "two weeks" }, /kiosk:metricsRetention = "two weeks" must be a Prometheus duration/],
    ["a models bucket that is not a URL", "gcp", { "kiosk:modelsBucket": "deepcell-models" }, /kiosk:modelsBucket = "deepcell-models" must be a bucket URL/],
    ["a bucket retention of zero days", "gcp", { "kiosk:bucketRetentionDays": 0 }, /kiosk:bucketRetentionDays = "0" must be a whole number from 1 to 3650/],
    ["caliban without the segmentation queue it feeds", "gcp", { "kiosk:jobTypes": ["caliban", "mesmer"] }, /kiosk:jobTypes has caliban without segmentation: caliban segments every frame through the segmentation queue/],
    ["a local stack that would follow kubectl's current context", "local", { "kiosk:localKubeContext": "" }, /kiosk:localKubeContext must name the kubeconfig context of the local cluster/],
    ["an existing S3 store without its credentials", "local", { "kiosk:localS3Endpoint": "http://minio.lab.example.org:9000" }, /kiosk:localS3AccessKeyId is required with kiosk:localS3Endpoint[\s\S]*kiosk:localS3SecretAccessKey is required/],
    ["S3 credentials without an endpoint", "local", { "kiosk:localS3AccessKeyId": "kiosk", "kiosk:localS3SecretAccessKey": "s3cret" }, /kiosk:localS3Endpoint = "" must be the URL of an S3-compatible store/],
    ["an S3 endpoint that is not a URL", "local", { "kiosk:localS3Endpoint": "minio:9000", "kiosk:localS3AccessKeyId": "kiosk", "kiosk:localS3SecretAccessKey": "s3cret" }, /kiosk:localS3Endpoint = "minio:9000" must be the URL/],
    ["a stack that does not say who can reach the portal", "gcp", { "kiosk:portalAccess": undefined, "kiosk:portalAllowedCidrs": undefined }, /kiosk:portalAccess must be chosen: allowed-cidrs \(only clients from kiosk:portalAllowedCidrs reach the portal\), sign-in \(only people who sign in through an identity provider\) or public \(anyone on the internet can upload images and start GPU nodes/],
    ["a portal access that is neither choice", "aws", { "kiosk:portalAccess": "lab-only" }, /kiosk:portalAccess = "lab-only" is not allowed; allowed values: allowed-cidrs, sign-in, public$/],
    ["allowed-cidrs without a CIDR", "aws", { "kiosk:portalAllowedCidrs": [] }, /kiosk:portalAllowedCidrs must list at least one IPv4 CIDR .* when kiosk:portalAccess is allowed-cidrs/],
    ["allowed-cidrs that admit everyone", "gcp", { "kiosk:portalAllowedCidrs": ["0.0.0.0/0"] }, /kiosk:portalAllowedCidrs contains 0\.0\.0\.0\/0, which admits every address: set kiosk:portalAccess public to say so/],
    ["an allowed range that is not a CIDR", "gcp", { "kiosk:portalAllowedCidrs": ["10.0.0.1"] }, /kiosk:portalAllowedCidrs contains "10\.0\.0\.1", which is not an IPv4 CIDR/],
    ["public with allowed ranges that would not apply", "gcp", { "kiosk:portalAccess": "public" }, /kiosk:portalAllowedCidrs lists 192\.0\.2\.0\/24 but kiosk:portalAccess is public/],
    ["allowed-cidrs with a Let's Encrypt certificate", "local", { "kiosk:portalAccess": "allowed-cidrs", "kiosk:portalAllowedCidrs": ["10.0.0.0/8"], "kiosk:tls": true, "kiosk:domain": "kiosk.example.org", "kiosk:acmeEmail": "ops@example.org" }, /kiosk:portalAllowedCidrs cannot be combined with kiosk:tls: Let's Encrypt validates the domain over HTTP/],
    ["cert-manager on a cloud that has managed certificates", "gcp", { "kiosk:tls": true, "kiosk:domain": "kiosk.example.org", "kiosk:acmeEmail": "ops@example.org" }, /kiosk:tls is for the local stack only: on gcp the portal gets a managed certificate \(Certificate Manager\) whenever kiosk:domain is set/],
    ["allowed-cidrs through a controller the stack does not run", "local", { "kiosk:portalAccess": "allowed-cidrs", "kiosk:portalAllowedCidrs": ["10.0.0.0/8"], "kiosk:localGatewayClass": "lab-gateway" }, /kiosk:portalAccess = allowed-cidrs is enforced by the Envoy Gateway this stack installs; with kiosk:localGatewayClass/],
    ["the retired IngressClass key", "local", { "kiosk:localIngressClass": "nginx" }, /kiosk:localIngressClass is replaced by kiosk:localGatewayClass/],
    ["sign-in without a domain or a client", "aws", { "kiosk:portalAccess": "sign-in" }, /kiosk:domain is required when kiosk:portalAccess is sign-in[\s\S]*kiosk:portalSignInClientId is required[\s\S]*kiosk:portalSignInClientSecret is required[\s\S]*kiosk:portalSignInIssuer is required[\s\S]*kiosk:portalSignInAuthorizationEndpoint is required/],
    ["IAP sign-in without members", "gcp", { "kiosk:portalAccess": "sign-in", "kiosk:domain": "kiosk.example.org", "kiosk:portalSignInClientId": "id.apps.googleusercontent.com", "kiosk:portalSignInClientSecret": "s" }, /kiosk:portalSignInMembers must list who may sign in to the portal through IAP/],
    ["an IAP member that is not a principal", "gcp", { "kiosk:portalAccess": "sign-in", "kiosk:domain": "kiosk.example.org", "kiosk:portalSignInClientId": "id", "kiosk:portalSignInClientSecret": "s", "kiosk:portalSignInMembers": ["lab@example.org"] }, /kiosk:portalSignInMembers contains "lab@example.org"; each is user:<e-mail>/],
    ["sign-in on local without HTTPS", "local", { "kiosk:portalAccess": "sign-in", "kiosk:domain": "kiosk.lab.example.org", "kiosk:portalSignInClientId": "id", "kiosk:portalSignInClientSecret": "s", "kiosk:portalSignInIssuer": "https://id.example.org" }, /kiosk:tls must be true when kiosk:portalAccess is sign-in/],
    ["an issuer that is not https", "local", { "kiosk:portalAccess": "sign-in", "kiosk:portalSignInIssuer": "http://id.example.org" }, /kiosk:portalSignInIssuer = "http:\/\/id\.example\.org" must be an https:\/\/ URL/],
    ["exposed internal UIs behind sign-in alone", "gcp", { "kiosk:portalAccess": "sign-in", "kiosk:portalAllowedCidrs": undefined, "kiosk:exposeInternalUis": true, "kiosk:domain": "kiosk.example.org", "kiosk:portalSignInClientId": "id", "kiosk:portalSignInClientSecret": "s", "kiosk:portalSignInMembers": ["domain:example.org"] }, /kiosk:exposeInternalUis with kiosk:portalAccess sign-in would leave Grafana and OpenSearch Dashboards open to the internet/],
    ["a GatewayClass name with capitals", "local", { "kiosk:localGatewayClass": "Envoy" }, /kiosk:localGatewayClass = "Envoy" is not a GatewayClass name/],
    ["a charts directory that does not exist", "local", { "kiosk:upstreamChartsDir": "/nonexistent/charts" }, /kiosk:upstreamChartsDir = "\/nonexistent\/charts" is not a directory; it holds one unpacked folder per upstream chart/],
    ["polaris without the queues it sends its parts to", "gcp", { "kiosk:jobTypes": ["polaris", "mesmer"] }, /kiosk:jobTypes has polaris without spot, segmentation: polaris sends its parts to the spot, segmentation queues, which nothing would drain/],
    ["a job type the consumer image has no consumer for", "local", { "kiosk:jobTypes": ["segmentation", "tracking2"] }, /kiosk:jobTypes contains "tracking2", which the consumer image has no consumer for; allowed values: segmentation, mesmer, caliban, polaris, spot/],
    ["only job types the portal has no form for", "local", { "kiosk:jobTypes": ["spot"] }, /kiosk:jobTypes offers nothing in the portal: it has forms for mesmer, polaris, segmentation, caliban only/],
    ["link-readable objects off gcp", "aws", { "kiosk:bucketAccess": "link-readable" }, /kiosk:bucketAccess = "link-readable" is available on gcp only; on aws objects are private/],
    ["an unknown bucket access mode", "gcp", { "kiosk:bucketAccess": "public" }, /kiosk:bucketAccess = "public" is not allowed; allowed values: link-readable, private/],
    ["an alert webhook that is not https", "gcp", { "kiosk:alertWebhookUrl": "http://alerts.example.org/hook" }, /kiosk:alertWebhookUrl must be an https:\/\/ URL/],
    ["the published images on S3", "aws", { "kiosk:imageSet": "published" }, /kiosk:imageSet = "published" cannot work on aws: the published frontend hands the consumer an upload's URL as its object key/],
    ["the published images with private objects on gcp", "gcp", { "kiosk:bucketAccess": "private" }, /kiosk:bucketAccess = "private" cannot work with the published images, which make every upload public/],
    ["overlays without a registry", "gcp", { "kiosk:imageSet": "overlay" }, /kiosk:overlayRegistry is required with kiosk:imageSet overlay/],
    ["overlays with link-readable objects", "gcp", { "kiosk:imageSet": "overlay", "kiosk:overlayRegistry": "ghcr.io/lab", "kiosk:bucketAccess": "link-readable" }, /kiosk:bucketAccess = "link-readable" is not needed with the overlays/],
    ["an overlay of an upstream tag it was not built from", "aws", { "kiosk:frontendImageTag": "0.11.2" }, /kiosk:frontendImageTag = "0.11.2" has no overlay: images\/kiosk-frontend is built from 0.11.3/],
    ["a signed link longer than seven days", "aws", { "kiosk:signedLinkSeconds": 604801 }, /kiosk:signedLinkSeconds = "604801" must be a whole number from 1 to 604800/],
    ["a consumer pool that cannot be sized from an unreadable machine type", "aws", { "kiosk:consumerMachineType": "m6i.weird" }, /kiosk:maxConsumerNodes cannot be derived: the vCPUs of kiosk:consumerMachineType "m6i.weird" are not known/],
  ];

  it.each(badCases)("rejects %s, naming the key", (_title, stack, overrides, message) => {
    const problems = problemsOf(stack, overrides);
    expect(problems.join("\n")).toMatch(message);
  });

  it("keeps gcp's objects private by default when it runs the overlays, and gives them the signed links' lifetime", () => {
    const config = parse("gcp", { "kiosk:imageSet": "overlay", "kiosk:overlayRegistry": "ghcr.io/lab", "kiosk:signedLinkSeconds": 3600 });
    expect(config.bucket.access).toBe("private");
    expect(config.images).toMatchObject({ set: "overlay", signedLinkSeconds: 3600, frontend: "ghcr.io/lab/kiosk-frontend:0.11.3-kiosk.1", tfServing: "vanvalenlab/kiosk-tf-serving:0.6.0" });
  });

  it("sizes the consumer pool from the GPU count unless kiosk:maxConsumerNodes says otherwise", () => {
    // 1 GPU, segmentation only: 150 × 0.3 + 100 × 0.2 = 65 vCPU on e2-standard-8 (7.2 for pods): ceil(9.03) = 10.
    const one = { "kiosk:maxGpuNodes": 1, "kiosk:jobTypes": JSON.stringify(["segmentation"]), "kiosk:consumerMachineType": "e2-standard-8" };
    expect(parse("gcp", one).consumerPool.maxNodes).toBe(10);
    // 8 GPUs (2 nodes × 4): ceil(520 / 7.2) = 73.
    expect(parse("gcp", { ...one, "kiosk:maxGpuNodes": 2, "kiosk:gpusPerNode": 4, "kiosk:gpuMachineType": "n1-standard-16" }).consumerPool.maxNodes).toBe(73);
    // aws c6i.4xlarge = 16 vCPUs: ceil(65 / 14.4) = 5.
    expect(parse("aws", { "kiosk:maxGpuNodes": 1, "kiosk:jobTypes": JSON.stringify(["segmentation"]), "kiosk:consumerMachineType": "c6i.4xlarge" }).consumerPool.maxNodes).toBe(5);
    expect(parse("gcp", { ...one, "kiosk:maxConsumerNodes": 3 }).consumerPool.maxNodes).toBe(3);
  });

  it("reports every bad key at once", () => {
    const problems = problemsOf("gcp", { "kiosk:clusterName": "Bad_Name", "kiosk:bucketName": "bad_bucket", "kiosk:maxGpuNodes": 0 });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(" ")[0]).sort()).toEqual(["kiosk:bucketName", "kiosk:clusterName", "kiosk:maxGpuNodes"]);
  });

  it("stops the program before any resource is registered", async () => {
    const failure = evaluateStack("gcp", { "kiosk:maxGpuNodes": 0, "kiosk:minGpuNodes": 1 });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(/kiosk:maxGpuNodes/);
    expect(registeredByLastEvaluation()).toBe(0);
  });
});
