import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import {
  AlertReceivers,
  AwsConfig,
  ClusterAccess,
  clusterAccessLevels,
  BucketAccessMode,
  bucketAccessModes,
  ImageSet,
  imageSets,
  Cloud,
  clouds,
  ExistingObjectStore,
  GcpConfig,
  ImageConfig,
  KioskConfig,
  LocalConfig,
  NodePoolConfig,
  PortalAccess,
  portalAccessModes,
  PortalSignIn,
} from "./config-types";
import { gpuCatalog } from "./gpu-catalog";
import { consumerNodesFor, vcpusOf } from "./consumer-sizing";
import { childQueuesOf, consumerTypes, kioskImages, offeredInPortal, overlayBuild, overlayImages, portalJobTypes } from "./kiosk-contract";
import { clusterAutoscalerImageTags } from "./upstream-charts";

export * from "./config-types";

/** Raised when stack configuration is invalid; lists every problem, each naming its key. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads one raw config value by its full key (`kiosk:cloud`, `gcp:project`); undefined when unset. */
export type RawConfigReader = (fullKey: string) => string | undefined;

const projectNamespace = "kiosk";

const cloudDefaults: Record<Exclude<Cloud, "local">, { consumerMachineType: string; systemMachineType: string }> = {
  gcp: { consumerMachineType: "e2-standard-4", systemMachineType: "e2-standard-2" },
  aws: { consumerMachineType: "m6i.large", systemMachineType: "t3.large" },
};

const machineTypeShape: Record<Exclude<Cloud, "local">, RegExp> = {
  gcp: /^[a-z][a-z0-9]*-[a-z0-9]+(-[a-z0-9]+)*$/,
  aws: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/,
};

/** An http(s) endpoint with no path, such as http://minio.storage.svc:9000. */
const httpEndpointShape = /^https?:\/\/[^\s/]+(:\d+)?\/?$/;
const imageTagShape = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const cidrShape = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const dnsLabelShape = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const hostnameShape = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Collects problems while reading, so that one run reports every bad key at once rather than the
 * first. Each reader names the full key in its message.
 */
class ConfigReader {
  readonly problems: string[] = [];

  constructor(private readonly raw: RawConfigReader) {}

  private full(key: string): string {
    return key.includes(":") ? key : `${projectNamespace}:${key}`;
  }

  problem(key: string, message: string): void {
    this.problems.push(`${this.full(key)} ${message}`);
  }

  optionalString(key: string): string | undefined {
    const value = this.raw(this.full(key));
    return value === undefined || value === "" ? undefined : value;
  }

  string(key: string): string {
    const value = this.optionalString(key);
    if (value === undefined) {
      this.problem(key, "is required but not set (set it with `pulumi config set " + this.full(key) + " <value>`)");
      return "";
    }
    return value;
  }

  /** An optional key with one of `allowed`; unset or empty means `fallback`, which a bad value also yields once reported. */
  oneOfOr<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.optionalString(key) ?? fallback;
    if (allowed.includes(value as T)) return value as T;
    this.problem(key, `= "${value}" is not allowed; allowed values: ${allowed.join(", ")}`);
    return fallback;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    if (value !== "" && !allowed.includes(value as T)) {
      this.problem(key, `= "${value}" is not allowed; allowed values: ${allowed.join(", ")}`);
    }
    return value as T;
  }

  integer(key: string, min: number, max: number): number {
    const text = this.string(key);
    const value = Number(text);
    if (text !== "" && (!Number.isInteger(value) || value < min || value > max)) {
      this.problem(key, `= ${JSON.stringify(text)} must be a whole number from ${min} to ${max}`);
    }
    return value;
  }

  boolean(key: string): boolean {
    const text = this.string(key);
    if (text !== "" && text !== "true" && text !== "false") {
      this.problem(key, `= ${JSON.stringify(text)} must be true or false`);
    }
    return text === "true";
  }

  stringList(key: string): string[] {
    const text = this.optionalString(key);
    if (text === undefined) return [];
    try {
      const value: unknown = JSON.parse(text);
      if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
    } catch {
      // reported below
    }
    this.problem(key, `= ${text} must be a list of strings`);
    return [];
  }
}

/** Reads the stack's configuration through the Pulumi runtime, as `pulumi up` provides it. */
export function loadConfig(): KioskConfig {
  return parseConfig((key) => pulumi.runtime.getConfig(key), pulumi.getProject(), pulumi.getStack());
}

/** Parses and validates raw configuration into one frozen, typed object, or throws a ConfigError. */
export function parseConfig(raw: RawConfigReader, project: string, stack: string): KioskConfig {
  const read = new ConfigReader(raw);
  const cloud = read.oneOf("cloud", clouds);

  const clusterName = read.string("clusterName");
  if (clusterName && !/^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/.test(clusterName)) {
    read.problem(
      "clusterName",
      `= "${clusterName}" must be 1-40 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
    );
  }
  const kubernetesVersion = read.string("kubernetesVersion");
  if (kubernetesVersion && !/^1\.\d{2}$/.test(kubernetesVersion)) {
    read.problem("kubernetesVersion", `= "${kubernetesVersion}" must be a minor version such as 1.33`);
  }
  if (cloud === "aws" && /^1\.\d{2}$/.test(kubernetesVersion) && !(kubernetesVersion in clusterAutoscalerImageTags)) {
    read.problem(
      "kubernetesVersion",
      `= "${kubernetesVersion}" is not supported on aws (cluster-autoscaler must match it); allowed values: ${Object.keys(clusterAutoscalerImageTags).join(", ")}`,
    );
  }
  const apiAllowedCidrs = read.stringList("apiAllowedCidrs");
  for (const cidr of apiAllowedCidrs) {
    if (!isCidr(cidr)) read.problem("apiAllowedCidrs", `contains "${cidr}", which is not an IPv4 CIDR such as 203.0.113.0/24`);
  }

  const bucketName = read.optionalString("bucketName");
  if (bucketName !== undefined) validateBucketName(read, bucketName);
  const modelsBucket = read.string("modelsBucket");
  if (modelsBucket && !/^(gs|s3):\/\/[a-z0-9][a-z0-9._-]{1,61}[a-z0-9](\/.*)?$/.test(modelsBucket)) {
    read.problem("modelsBucket", `= "${modelsBucket}" must be a bucket URL such as gs://deepcell-models or s3://my-models`);
  }

  const gcp = cloud === "gcp" ? readGcp(read) : undefined;
  const aws = cloud === "aws" ? readAws(read) : undefined;
  const local = cloud === "local" ? readLocal(read) : undefined;

  const gpuType = read.string("gpuType");
  const minGpuNodes = read.integer("minGpuNodes", 0, 100);
  const maxGpuNodes = read.integer("maxGpuNodes", 1, 100);
  if (Number.isInteger(minGpuNodes) && maxGpuNodes >= 1 && maxGpuNodes < minGpuNodes) {
    read.problem("maxGpuNodes", `= ${maxGpuNodes} must be at least kiosk:minGpuNodes (${minGpuNodes})`);
  }
  let gpuMachineType = read.optionalString("gpuMachineType") ?? "";
  if (cloud === "aws" || cloud === "gcp") {
    const offering = gpuCatalog[cloud][gpuType];
    if (!offering) {
      read.problem("gpuType", `= "${gpuType}" is not offered on ${cloud}; allowed values: ${Object.keys(gpuCatalog[cloud]).join(", ")}`);
    } else if (gpuMachineType === "") {
      gpuMachineType = offering.defaultMachineType;
    } else if (!offering.machineTypes.test(gpuMachineType)) {
      read.problem(
        "gpuMachineType",
        `= "${gpuMachineType}" does not carry a ${gpuType} on ${cloud}; allowed machine types match ${offering.machineTypes} (e.g. ${offering.defaultMachineType})`,
      );
    }
  }
  const gpu = {
    type: gpuType,
    machineType: gpuMachineType,
    countPerNode: read.integer("gpusPerNode", 1, 8),
    minNodes: minGpuNodes,
    maxNodes: maxGpuNodes,
    spot: read.boolean("gpuSpot"),
  };

  const jobTypes = read.stringList("jobTypes");
  const consumerMachineType = machineType(read, cloud, "consumerMachineType", "consumerMachineType");
  const consumerPool: NodePoolConfig = {
    machineType: consumerMachineType,
    spot: read.boolean("consumerSpot"),
    minNodes: 0,
    maxNodes: maxConsumerNodes(read, cloud, consumerMachineType, gpu.maxNodes * gpu.countPerNode, jobTypes),
  };
  const systemNodes = read.integer("systemNodes", 1, 20);
  const systemPool: NodePoolConfig = {
    machineType: machineType(read, cloud, "systemMachineType", "systemMachineType"),
    spot: false,
    minNodes: systemNodes,
    maxNodes: Math.max(systemNodes, 3),
  };

  if (jobTypes.length === 0) read.problem("jobTypes", "must name at least one job type, e.g. [segmentation, mesmer]");
  for (const jobType of jobTypes) {
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(jobType) || jobType.endsWith("-zip")) {
      read.problem("jobTypes", `contains "${jobType}"; a job type is lowercase letters, digits and hyphens, and not ending in -zip (the -zip queue is added for each)`);
    }
  }
  for (const jobType of jobTypes) {
    if (!consumerTypes.includes(jobType)) {
      read.problem("jobTypes", `contains "${jobType}", which the consumer image has no consumer for; allowed values: ${consumerTypes.join(", ")}`);
    }
    const children = childQueuesOf[jobType];
    const missing = (children?.queues ?? []).filter((queue) => !jobTypes.includes(queue));
    if (children && missing.length > 0) {
      const queues = `${missing.join(", ")} queue${missing.length > 1 ? "s" : ""}`;
      read.problem("jobTypes", `has ${jobType} without ${missing.join(", ")}: ${jobType} ${children.sends} the ${queues}, which nothing would drain`);
    }
  }
  if (jobTypes.length > 0 && !jobTypes.some(offeredInPortal)) {
    read.problem("jobTypes", `offers nothing in the portal: it has forms for ${portalJobTypes.join(", ")} only`);
  }
  if (new Set(jobTypes).size !== jobTypes.length) read.problem("jobTypes", `lists a job type twice: ${jobTypes.join(", ")}`);

  const images = readImages(read, cloud);
  const domain = read.optionalString("domain");
  if (domain !== undefined && !hostnameShape.test(domain)) {
    read.problem("domain", `= "${domain}" is not a DNS name such as kiosk.example.org`);
  }
  const acmeEmail = read.optionalString("acmeEmail");
  const components = {
    monitoring: read.boolean("monitoring"),
    logging: read.boolean("logging"),
    vpn: read.boolean("vpn"),
    tls: read.boolean("tls"),
  };
  if (components.tls && cloud !== "local") {
    // GKE and EKS issue and renew the certificate themselves (Certificate Manager, ACM) once kiosk:domain is set.
    read.problem("tls", `is for the local stack only: on ${cloud} the portal gets a managed certificate (${cloud === "gcp" ? "Certificate Manager" : "ACM"}) whenever kiosk:domain is set, so leave kiosk:tls false`);
  }
  if (components.tls && domain === undefined) read.problem("domain", "is required when kiosk:tls is true (the certificate is issued for it)");
  if (components.tls && (acmeEmail === undefined || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(acmeEmail))) {
    read.problem("acmeEmail", "must be an e-mail address when kiosk:tls is true (Let's Encrypt registers it)");
  }

  const portalAccess = readPortalAccess(read, { cloud, domain, tls: components.tls, local });

  const retention = read.string("metricsRetention");
  if (retention && !/^\d+(ms|s|m|h|d|w|y)$/.test(retention)) {
    read.problem("metricsRetention", `= "${retention}" must be a Prometheus duration such as 15d or 12h`);
  }

  const exposeInternalUis = read.boolean("exposeInternalUis");
  if (exposeInternalUis && portalAccess.mode === "sign-in" && portalAccess.allowedCidrs.length === 0) {
    // The UIs' own load balancers (Services) take source ranges, but no identity provider sits in front of them.
    read.problem("exposeInternalUis", "with kiosk:portalAccess sign-in would leave Grafana and OpenSearch Dashboards open to the internet: list kiosk:portalAllowedCidrs too (their load balancers admit those ranges only), or reach them through the VPN");
  }

  const config: KioskConfig = {
    project,
    stack,
    cloud,
    clusterName,
    kubernetesVersion,
    apiAllowedCidrs,
    bucket: {
      name: bucketName,
      retentionDays: read.integer("bucketRetentionDays", 1, 3650),
      forceDestroy: read.boolean("forceDestroyBucket"),
      access: readBucketAccess(read, cloud, images.set),
    },
    modelsBucket,
    tfServingModels: readTfServingModels(read, cloud),
    gpu,
    consumerPool,
    systemPool,
    gcp,
    aws,
    local,
    jobTypes,
    images,
    redisStorageGi: read.integer("redisStorageGi", 1, 1000),
    domain,
    acmeEmail,
    portalAccess,
    components,
    upstreamChartsDir: readUpstreamChartsDir(read),
    existingKeda: read.boolean("existingKeda"),
    registryMirror: readRegistryMirror(read, cloud),
    exposeInternalUis,
    monitoring: {
      alertReceivers: readAlertReceivers(read),
      prometheusStorageGi: read.integer("prometheusStorageGi", 1, 10000),
      retention,
      grafanaStorageGi: read.integer("grafanaStorageGi", 1, 1000),
    },
    logging: {
      elasticsearchStorageGi: read.integer("elasticsearchStorageGi", 1, 10000),
      retentionDays: read.integer("logRetentionDays", 1, 3650),
    },
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(config);
}

function readGcp(read: ConfigReader): GcpConfig {
  const region = read.string("gcp:region");
  const regional = read.boolean("gkeRegional");
  const zone = read.optionalString("gcp:zone") ?? "";
  if (!regional && zone === "") read.problem("gcp:zone", "is required for a zonal cluster (or set kiosk:gkeRegional to true)");
  if (zone !== "" && region !== "" && !zone.startsWith(`${region}-`)) {
    read.problem("gcp:zone", `= "${zone}" is not in gcp:region "${region}"`);
  }
  const gpuZones = read.stringList("gpuZones");
  const gpuType = read.optionalString("gpuType") ?? "";
  if (gpuZones.length === 0) {
    read.problem(
      "gpuZones",
      `must list the zones of ${region || "gcp:region"} that offer ${gpuType || "the GPU type"} (see \`gcloud compute accelerator-types list --filter=name=${gpuType}\`)`,
    );
  }
  for (const gpuZone of gpuZones) {
    if (region !== "" && !gpuZone.startsWith(`${region}-`)) read.problem("gpuZones", `contains "${gpuZone}", which is not in gcp:region "${region}"`);
  }
  const multiZoneGpus = read.boolean("gkeMultiZoneGpus");
  // One zone by default: consumers, TF-Serving and the GPUs exchange every image, and traffic between zones is billed.
  const dataZone = gpuZones.includes(zone) ? zone : regional ? gpuZones[0] : undefined;
  if (!multiZoneGpus && dataZone === undefined && gpuZones.length > 0 && zone !== "") {
    read.problem(
      "gpuZones",
      `does not include gcp:zone "${zone}": the consumers, TF-Serving and the GPUs share one zone, so put the cluster in a zone that offers the GPU (one of ${gpuZones.join(", ")}), or set kiosk:gkeMultiZoneGpus to true to spread them across zones`,
    );
  }
  return {
    project: read.string("gcp:project"),
    region,
    zone,
    regional,
    releaseChannel: read.oneOf("gkeReleaseChannel", ["RAPID", "REGULAR", "STABLE"] as const),
    gpuZones,
    multiZoneGpus,
    dataZones: multiZoneGpus ? gpuZones : dataZone ? [dataZone] : [],
  };
}

function readAws(read: ConfigReader): AwsConfig {
  const config: AwsConfig = {
    region: read.string("aws:region"),
    natGateways: read.oneOf("awsNatGateways", ["single", "perAz"] as const),
    availabilityZoneCount: read.integer("awsAvailabilityZones", 2, 3),
    apiPrivateAccess: read.boolean("awsApiPrivateAccess"),
    apiPublicAccess: read.boolean("awsApiPublicAccess"),
    gpuAmiType: read.oneOf("awsGpuAmiType", ["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"] as const),
    clusterAccess: readClusterAccess(read),
    // CloudWatch accepts only these retention periods.
    controlPlaneLogRetentionDays: Number(read.oneOf("awsControlPlaneLogRetentionDays", cloudWatchRetentionDays)),
  };
  if (read.boolean("sharedStack") && config.clusterAccess.length === 0) {
    read.problem(
      "awsClusterAccess",
      "is empty on a shared stack (kiosk:sharedStack is true): only the identity that created the cluster could reach it; list the roles or users that run this stack, e.g. arn:aws:iam::123456789012:role/kiosk-deploy=admin",
    );
  }
  if (!config.apiPrivateAccess && !config.apiPublicAccess) {
    read.problem("awsApiPublicAccess", "and kiosk:awsApiPrivateAccess are both false; the cluster API would be unreachable");
  }
  return config;
}

/**
 * kiosk:tfServingModels. `all` runs the config writer, which works on gcp only: it lists the models bucket
 * with google-cloud-storage's default Client() and get_bucket(), which need Google credentials
 * (kiosk-tf-serving@0.5.0 writers.py), and its S3 writer never receives its keys.
 */
function readTfServingModels(read: ConfigReader, cloud: Cloud): "pinned" | "all" {
  const value = read.oneOf("tfServingModels", ["pinned", "all"] as const);
  if (value === "all" && cloud !== "gcp") {
    read.problem("tfServingModels", `= "all" works on gcp only: the config writer that lists the models bucket needs Google credentials, which ${cloud} pods do not have; use "pinned" (the program writes the model config itself)`);
  }
  return value;
}

function readRegistryMirror(read: ConfigReader, cloud: Cloud): KioskConfig["registryMirror"] {
  const enabled = read.boolean("registryMirror");
  if (!enabled) return { enabled };
  if (cloud === "local") {
    read.problem("registryMirror", "is for the cloud stacks (gcp, aws); a local cluster pulls through whatever mirror its container runtime is configured with");
    return { enabled: false };
  }
  if (cloud !== "aws") return { enabled };
  const username = read.optionalString("dockerHubUsername");
  const accessToken = read.optionalString("dockerHubAccessToken");
  if (username === undefined) read.problem("dockerHubUsername", "is required with kiosk:registryMirror on aws: ECR's pull-through cache signs in to Docker Hub");
  if (accessToken === undefined) read.problem("dockerHubAccessToken", "is required with kiosk:registryMirror on aws (set it with `pulumi config set --secret kiosk:dockerHubAccessToken ...`)");
  return { enabled, dockerHub: { username: username ?? "", accessToken: accessToken ?? "" } };
}

function readAlertReceivers(read: ConfigReader): AlertReceivers {
  const url = (key: string): string | undefined => {
    const value = read.optionalString(key);
    if (value !== undefined && !/^https:\/\/[^\s/]+\/?\S*$/.test(value)) read.problem(key, "must be an https:// URL");
    return value;
  };
  return { webhookUrl: url("alertWebhookUrl"), slackWebhookUrl: url("alertSlackWebhookUrl") };
}

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
const cloudWatchRetentionDays = ["1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"] as const;

const principalArnShape = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

function readClusterAccess(read: ConfigReader): ClusterAccess[] {
  return read.stringList("awsClusterAccess").flatMap((entry) => {
    const at = entry.lastIndexOf("=");
    const principalArn = at > 0 ? entry.slice(0, at) : entry;
    const access = at > 0 ? entry.slice(at + 1) : "";
    if (!principalArnShape.test(principalArn) || !(clusterAccessLevels as readonly string[]).includes(access)) {
      read.problem("awsClusterAccess", `contains "${entry}"; each entry is <IAM role or user ARN>=<${clusterAccessLevels.join("|")}>, e.g. arn:aws:iam::123456789012:role/kiosk-ci-preview=view`);
      return [];
    }
    return [{ principalArn, access: access as ClusterAccess["access"] }];
  });
}

/** kiosk:portalAccess has no default: exposing the portal (and the GPU bill) to the internet is said in words or not at all. */
function readPortalAccess(read: ConfigReader, stack: { cloud: Cloud; domain?: string; tls: boolean; local?: LocalConfig }): PortalAccess {
  const allowedCidrs = read.stringList("portalAllowedCidrs");
  if (read.optionalString("portalAccess") === undefined) {
    read.problem(
      "portalAccess",
      "must be chosen: allowed-cidrs (only clients from kiosk:portalAllowedCidrs reach the portal), sign-in (only people who sign in through an identity provider) or public (anyone on the internet can upload images and start GPU nodes on the stack's bill), e.g. `pulumi config set kiosk:portalAccess allowed-cidrs`",
    );
    return { mode: "public" };
  }
  const mode = read.oneOf("portalAccess", portalAccessModes);
  // oneOf has reported a value outside the modes; nothing below may read it as one.
  if (!portalAccessModes.includes(mode)) return { mode: "public" };
  if (mode === "public") {
    if (allowedCidrs.length > 0) read.problem("portalAllowedCidrs", `lists ${allowedCidrs.join(", ")} but kiosk:portalAccess is public: set kiosk:portalAccess allowed-cidrs to apply them, or remove them`);
    return { mode: "public" };
  }
  if (mode === "allowed-cidrs" && allowedCidrs.length === 0) read.problem("portalAllowedCidrs", "must list at least one IPv4 CIDR (e.g. [\"203.0.113.0/24\"]) when kiosk:portalAccess is allowed-cidrs");
  for (const cidr of allowedCidrs) {
    if (!isCidr(cidr)) read.problem("portalAllowedCidrs", `contains "${cidr}", which is not an IPv4 CIDR such as 203.0.113.0/24`);
    else if (cidr.endsWith("/0")) read.problem("portalAllowedCidrs", `contains ${cidr}, which admits every address: set kiosk:portalAccess public to say so`);
  }
  if (allowedCidrs.length > 0 && stack.tls) {
    // cert-manager's HTTP-01 solver is reached by Let's Encrypt from addresses no lab would list.
    read.problem("portalAllowedCidrs", "cannot be combined with kiosk:tls: Let's Encrypt validates the domain over HTTP from addresses outside kiosk:portalAllowedCidrs");
  }
  if (stack.local?.existingGatewayClass !== undefined) {
    read.problem("portalAccess", `= ${mode} is enforced by the Envoy Gateway this stack installs; with kiosk:localGatewayClass the cluster's own Gateway controller serves the portal, so set kiosk:portalAccess public and restrict it there`);
  }
  if (mode === "allowed-cidrs") return { mode, allowedCidrs };
  return { mode, allowedCidrs, signIn: readPortalSignIn(read, stack) };
}

/** The identity provider's client for kiosk:portalAccess sign-in; what each cloud's sign-in needs differs. */
function readPortalSignIn(read: ConfigReader, stack: { cloud: Cloud; domain?: string; tls: boolean }): PortalSignIn {
  // Every implementation signs in over HTTPS only (IAP, the ALB's authenticate-oidc, a Secure session cookie).
  if (stack.domain === undefined) read.problem("domain", "is required when kiosk:portalAccess is sign-in: the identity provider redirects back to https://<domain>");
  if (stack.cloud === "local" && !stack.tls) read.problem("tls", "must be true when kiosk:portalAccess is sign-in: sign-in needs HTTPS, which the local stack serves with cert-manager's certificate");
  const clientId = read.optionalString("portalSignInClientId");
  if (clientId === undefined) read.problem("portalSignInClientId", stack.cloud === "gcp" ? "is required with kiosk:portalAccess sign-in: the ID of a Google OAuth client (APIs & Services > Credentials) that IAP signs in with" : "is required with kiosk:portalAccess sign-in: the OIDC client ID the identity provider issued for the portal");
  const clientSecret = read.optionalString("portalSignInClientSecret");
  if (clientSecret === undefined) read.problem("portalSignInClientSecret", "is required with kiosk:portalAccess sign-in (set it with `pulumi config set --secret kiosk:portalSignInClientSecret ...`)");
  const url = (key: string, what: string): string | undefined => {
    const value = read.optionalString(key);
    if (value === undefined) read.problem(key, `is required with kiosk:portalAccess sign-in on ${stack.cloud}: ${what}`);
    else if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(value)) read.problem(key, `= "${value}" must be an https:// URL`);
    return value;
  };
  const notOn = (key: string, why: string): void => {
    if (read.optionalString(key) !== undefined || read.stringList(key).length > 0) read.problem(key, `does not apply on ${stack.cloud}: ${why}`);
  };
  const members = read.stringList("portalSignInMembers");
  if (stack.cloud === "gcp") {
    notOn("portalSignInIssuer", "IAP signs in with Google accounts");
    if (members.length === 0) read.problem("portalSignInMembers", "must list who may sign in to the portal through IAP, e.g. [\"group:lab@example.org\", \"domain:example.org\"]");
    for (const member of members) {
      if (!/^(user|group|domain|serviceAccount):\S+$/.test(member)) read.problem("portalSignInMembers", `contains "${member}"; each is user:<e-mail>, group:<e-mail>, domain:<domain> or serviceAccount:<e-mail>`);
    }
  } else if (members.length > 0) {
    read.problem("portalSignInMembers", `does not apply on ${stack.cloud}: whoever the identity provider lets sign in to this client reaches the portal, so restrict the client there`);
  }
  const issuer = stack.cloud === "gcp" ? undefined : url("portalSignInIssuer", "the identity provider's OIDC issuer URL, e.g. https://accounts.google.com");
  let endpoints: PortalSignIn["endpoints"];
  if (stack.cloud === "aws") {
    // The ALB reads no discovery document: it is given each endpoint (AWS ALB listener-authenticate-users, OIDC requirements).
    const authorization = url("portalSignInAuthorizationEndpoint", "the provider's authorization endpoint (authorization_endpoint in <issuer>/.well-known/openid-configuration)");
    const token = url("portalSignInTokenEndpoint", "the provider's token endpoint (token_endpoint in the discovery document)");
    const userInfo = url("portalSignInUserInfoEndpoint", "the provider's user-info endpoint (userinfo_endpoint in the discovery document)");
    endpoints = { authorization: authorization ?? "", token: token ?? "", userInfo: userInfo ?? "" };
  } else {
    for (const key of ["portalSignInAuthorizationEndpoint", "portalSignInTokenEndpoint", "portalSignInUserInfoEndpoint"]) notOn(key, stack.cloud === "gcp" ? "IAP signs in with Google accounts" : "Envoy Gateway reads the endpoints from the issuer's discovery document");
  }
  return { clientId: clientId ?? "", clientSecret: pulumi.secret(clientSecret ?? ""), ...(issuer !== undefined ? { issuer } : {}), ...(endpoints ? { endpoints } : {}), members };
}

function readLocal(read: ConfigReader): LocalConfig {
  const kubeContext = read.optionalString("localKubeContext");
  if (kubeContext === undefined) {
    // An empty context would follow whatever `kubectl config use-context` chose last, so one switch retargets the stack.
    read.problem("localKubeContext", "must name the kubeconfig context of the local cluster, e.g. kind-kiosk (see `kubectl config get-contexts`)");
  }
  if (read.optionalString("localIngressClass") !== undefined) {
    read.problem("localIngressClass", "is replaced by kiosk:localGatewayClass: the portal is served through the Gateway API (an HTTPRoute on a Gateway), no longer an Ingress");
  }
  const existingGatewayClass = read.optionalString("localGatewayClass");
  if (existingGatewayClass !== undefined && !dnsLabelShape.test(existingGatewayClass)) {
    read.problem("localGatewayClass", `= "${existingGatewayClass}" is not a GatewayClass name (lowercase letters, digits and hyphens)`);
  }
  const s3PublicEndpoint = read.optionalString("localS3PublicEndpoint");
  if (s3PublicEndpoint !== undefined && !httpEndpointShape.test(s3PublicEndpoint)) {
    read.problem("localS3PublicEndpoint", `= "${s3PublicEndpoint}" must be the URL a browser reaches the store at, such as http://localhost:9000`);
  }
  return {
    kubeContext: kubeContext ?? "",
    storageClass: read.optionalString("localStorageClass"),
    existingGatewayClass,
    existingObjectStore: readExistingObjectStore(read),
    s3PublicEndpoint: s3PublicEndpoint?.replace(/\/$/, ""),
  };
}

/** kiosk:localS3Endpoint with its two credentials: all three, or none (MinIO in the cluster). */
function readExistingObjectStore(read: ConfigReader): ExistingObjectStore | undefined {
  const endpoint = read.optionalString("localS3Endpoint");
  const accessKeyId = read.optionalString("localS3AccessKeyId");
  const secretAccessKey = read.optionalString("localS3SecretAccessKey");
  if (endpoint === undefined && accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (endpoint === undefined || !httpEndpointShape.test(endpoint)) {
    read.problem("localS3Endpoint", `= ${JSON.stringify(endpoint ?? "")} must be the URL of an S3-compatible store, such as http://minio.storage.svc:9000, when kiosk:localS3AccessKeyId or kiosk:localS3SecretAccessKey is set`);
  }
  if (accessKeyId === undefined) read.problem("localS3AccessKeyId", "is required with kiosk:localS3Endpoint");
  if (secretAccessKey === undefined) read.problem("localS3SecretAccessKey", "is required with kiosk:localS3Endpoint (set it with `pulumi config set --secret kiosk:localS3SecretAccessKey ...`)");
  return { endpoint: (endpoint ?? "").replace(/\/$/, ""), accessKeyId: accessKeyId ?? "", secretAccessKey: pulumi.secret(secretAccessKey ?? "") };
}

/** Link-readable objects are what the published images need on GCS; the overlays and other clouds keep objects private. */
function readBucketAccess(read: ConfigReader, cloud: Cloud, imageSet: ImageSet): BucketAccessMode {
  const value = read.oneOfOr("bucketAccess", bucketAccessModes, cloud === "gcp" && imageSet === "published" ? "link-readable" : "private");
  if (value === "link-readable" && cloud !== "gcp") {
    read.problem("bucketAccess", `= "link-readable" is available on gcp only; on ${cloud} objects are private (allowed value: private)`);
    return "private";
  }
  if (value === "private" && cloud === "gcp" && imageSet === "published") {
    read.problem("bucketAccess", `= "private" cannot work with the published images, which make every upload public (kiosk-frontend@0.11.3 upload.controller.js makePublic); set kiosk:imageSet to overlay, or kiosk:bucketAccess to link-readable`);
  }
  if (value === "link-readable" && imageSet === "overlay") {
    read.problem("bucketAccess", `= "link-readable" is not needed with the overlays, which hand out signed links; use private`);
  }
  return value;
}

function readUpstreamChartsDir(read: ConfigReader): string | undefined {
  const dir = read.optionalString("upstreamChartsDir");
  if (dir === undefined) return undefined;
  const resolved = path.resolve(dir);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
    read.problem("upstreamChartsDir", `= "${dir}" is not a directory; it holds one unpacked folder per upstream chart (helm pull CHART --version V --untar -d ${dir})`);
  }
  return resolved;
}

/**
 * kiosk:maxConsumerNodes, or with 0 (the default) enough consumer nodes for the busiest job type's
 * consumers at their ceiling, which follows the GPU count (infra/consumer-sizing.ts).
 */
function maxConsumerNodes(read: ConfigReader, cloud: Cloud, consumerMachineType: string, gpus: number, jobTypes: readonly string[]): number {
  const configured = read.integer("maxConsumerNodes", 0, 1000);
  if (configured !== 0 || cloud === "local" || !Number.isInteger(gpus)) return configured;
  const vcpus = vcpusOf(cloud, consumerMachineType);
  if (vcpus === undefined) {
    read.problem("maxConsumerNodes", `cannot be derived: the vCPUs of kiosk:consumerMachineType "${consumerMachineType}" are not known from its name; set kiosk:maxConsumerNodes to a number of nodes`);
    return 1;
  }
  return consumerNodesFor(jobTypes, jobTypes.filter(offeredInPortal), gpus, vcpus);
}

function machineType(read: ConfigReader, cloud: Cloud, key: string, defaultKey: "consumerMachineType" | "systemMachineType"): string {
  if (cloud !== "aws" && cloud !== "gcp") return "";
  const value = read.optionalString(key) ?? cloudDefaults[cloud][defaultKey];
  if (!machineTypeShape[cloud].test(value)) {
    read.problem(key, `= "${value}" is not a ${cloud} machine type (e.g. ${cloudDefaults[cloud][defaultKey]})`);
  }
  return value;
}

/**
 * The image set: overlays by default where the published images cannot store at all (S3: the frontend
 * hands the consumer a URL as the object key, both pass static keys), the published images on gcp.
 */
function readImages(read: ConfigReader, cloud: Cloud): ImageConfig {
  const set = read.oneOfOr("imageSet", imageSets, cloud === "gcp" ? "published" : "overlay");
  if (set === "published" && cloud !== "gcp") {
    read.problem("imageSet", `= "published" cannot work on ${cloud}: the published frontend hands the consumer an upload's URL as its object key and both sign in with static keys; use overlay (README: image overlays)`);
  }
  const registry = read.optionalString("overlayRegistry");
  if (set === "overlay" && registry === undefined) {
    read.problem("overlayRegistry", "is required with kiosk:imageSet overlay: the registry you pushed the overlays to (README: image overlays), e.g. ghcr.io/<your-org>");
  } else if (registry !== undefined && !/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(registry)) {
    read.problem("overlayRegistry", `= "${registry}" is not a registry path such as ghcr.io/my-lab`);
  }
  const signedLinkSeconds = read.integer("signedLinkSeconds", 1, 7 * 24 * 3600);
  const image = (key: string, repository: string, overlay?: keyof typeof overlayImages): string => {
    const tag = read.string(key);
    if (tag && (!imageTagShape.test(tag) || tag === "latest")) {
      read.problem(key, `= "${tag}" must be a fixed image tag such as 0.11.3 (not latest)`);
    }
    if (set !== "overlay" || !overlay) return `${repository}:${tag}`;
    const built = overlayBuild(overlay);
    if (tag !== built.upstreamTag) read.problem(key, `= "${tag}" has no overlay: images/${overlayImages[overlay]} is built from ${built.upstreamTag}`);
    return `${registry ?? ""}/${overlayImages[overlay]}:${built.tag}`;
  };
  return {
    set,
    signedLinkSeconds,
    frontend: image("frontendImageTag", kioskImages.frontend, "frontend"),
    consumer: image("consumerImageTag", kioskImages.consumer, "consumer"),
    tfServing: image("tfServingImageTag", kioskImages.tfServing),
    tfServingConfigWriter: image("tfServingConfigWriterImageTag", kioskImages.tfServingConfigWriter),
    janitor: image("janitorImageTag", kioskImages.janitor),
  };
}

function validateBucketName(read: ConfigReader, name: string): void {
  if (name.includes("_")) {
    read.problem("bucketName", `= "${name}" contains an underscore; bucket names allow only lowercase letters, digits, hyphens and dots`);
  } else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
    read.problem("bucketName", `= "${name}" must be 3-63 lowercase letters, digits, hyphens or dots, starting and ending with a letter or digit`);
  } else if (name.startsWith("goog") || name.startsWith("xn--")) {
    read.problem("bucketName", `= "${name}" must not start with "goog" or "xn--"`);
  }
}

function isCidr(text: string): boolean {
  const match = cidrShape.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) && Number(match[5]) <= 32;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
