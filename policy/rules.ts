/**
 * The Kiosk's policies as plain checks over a resource's type and inputs, so that they can be tested
 * against the real stacks under mocks and against hand-made bad resources. Each returns the violations
 * it finds (empty when the resource complies).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Props = Record<string, any>;
export type Check = (type: string, props: Props) => string[];

/** Image repositories that cannot run as non-root, with the reason; any other container must. */
export const imagesAllowedToRunAsRoot: Readonly<Record<string, string>> = {
  "vanvalenlab/kiosk-frontend": "the published image has no non-root user",
  "vanvalenlab/kiosk-redis-consumer": "the published image has no non-root user",
  "vanvalenlab/kiosk-redis-janitor": "the published image has no non-root user",
  "vanvalenlab/kiosk-tf-serving": "the published image has no non-root user",
  "vanvalenlab/kiosk-tf-serving-config-writer": "the published image has no non-root user",
  "openvpn/openvpn-as": "Access Server starts as root to create its tun device, then drops privileges",
};

/** Namespaces of internal UIs; a LoadBalancer there would publish them. */
/** Our overlays (images/), in whichever registry they were pushed to: built FROM the published images, whose user they keep. */
export const overlaysAllowedToRunAsRoot: Readonly<Record<string, string>> = {
  "kiosk-frontend": "our overlay keeps the published image's root user",
  "kiosk-redis-consumer": "our overlay keeps the published image's root user",
};

function rootReason(repository: string): string | undefined {
  const name = repository.split("/").pop() ?? "";
  return imagesAllowedToRunAsRoot[repository] ?? (repository.includes("/") ? overlaysAllowedToRunAsRoot[name] : undefined);
}

export const internalUiNamespaces = ["monitoring", "logging"] as const;

const publicMembers = /^(allUsers|allAuthenticatedUsers)$/;

export const noPublicBucket: Check = (type, props) => {
  const problems: string[] = [];
  if (type === "gcp:storage/bucket:Bucket") {
    // kiosk:bucketAccess link-readable: the published images make single objects readable by link through
    // object ACLs, which needs ACLs on and prevention inherited. The bucket must say so in its labels.
    const linkReadable = props.labels?.["kiosk-objects"] === "link-readable";
    if (!linkReadable && props.publicAccessPrevention !== "enforced") problems.push(`GCS bucket must set publicAccessPrevention "enforced" (has ${JSON.stringify(props.publicAccessPrevention)})`);
    if (!linkReadable && props.uniformBucketLevelAccess !== true) problems.push("GCS bucket must use uniform bucket-level access (no object ACLs)");
    if (linkReadable && props.publicAccessPrevention !== "inherited") problems.push(`a link-readable GCS bucket sets publicAccessPrevention "inherited" explicitly (has ${JSON.stringify(props.publicAccessPrevention)})`);
  }
  if (type.startsWith("gcp:storage/bucketIAM")) {
    const members: string[] = props.members ?? [props.member];
    for (const member of members) if (publicMembers.test(String(member))) problems.push(`GCS bucket IAM grants ${props.role} to ${member}`);
  }
  if (type === "gcp:storage/bucketACL:BucketACL" || type === "gcp:storage/defaultObjectACL:DefaultObjectACL") {
    problems.push("GCS ACLs are not allowed; grant access with IAM on a bucket with uniform bucket-level access");
  }
  if (type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") {
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
      if (props[flag] !== true) problems.push(`S3 public access block must set ${flag} to true`);
    }
  }
  if (type === "aws:s3/bucketAcl:BucketAcl" && /public/i.test(String(props.acl ?? ""))) problems.push(`S3 bucket ACL ${props.acl} is public`);
  return problems;
};

/** A resource as the stack-level check sees it: what it is and which resources its `bucket` input comes from. */
export interface StackResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly bucketInputFrom: readonly string[];
}

/** Every S3 bucket must have its own public access block (a stack-level check). */
export function bucketsWithoutPublicAccessBlock(resources: readonly StackResource[]): string[] {
  const blocked = new Set(resources.filter((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").flatMap((r) => r.bucketInputFrom));
  return resources.filter((r) => r.type === "aws:s3/bucket:Bucket" && !blocked.has(r.urn)).map((r) => `S3 bucket ${r.name} has no public access block`);
}

const staticKeyTypes: Record<string, string> = {
  "aws:iam/accessKey:AccessKey": "IAM access key",
  "gcp:serviceaccount/key:Key": "Google service account key",
  "gcp:storage/hmacKey:HmacKey": "GCS HMAC key",
};
const keyEnvNames = /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|GOOGLE_APPLICATION_CREDENTIALS_JSON)$/;

export const noStaticCloudKeys: Check = (type, props) => {
  if (staticKeyTypes[type]) return [`${staticKeyTypes[type]}s are not allowed: workloads get cloud access through Workload Identity or Pod Identity`];
  const problems: string[] = [];
  for (const { container } of containersOf(type, props)) {
    for (const env of container.env ?? []) {
      if (keyEnvNames.test(env.name) && env.value !== undefined) problems.push(`container ${container.name} sets ${env.name} to a literal value`);
    }
  }
  return problems;
};

export const containersAreBounded: Check = (type, props) => {
  const problems: string[] = [];
  for (const { container, podSecurityContext } of containersOf(type, props)) {
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    if (requests.cpu === undefined || requests.memory === undefined) problems.push(`container ${container.name} must request cpu and memory`);
    if (limits.memory === undefined) problems.push(`container ${container.name} must limit memory`);
    if (container.securityContext?.privileged === true) problems.push(`container ${container.name} must not be privileged`);
    if (container.securityContext?.allowPrivilegeEscalation !== false) problems.push(`container ${container.name} must set allowPrivilegeEscalation: false`);
    const nonRoot = container.securityContext?.runAsNonRoot ?? podSecurityContext?.runAsNonRoot;
    if (nonRoot !== true && rootReason(repositoryOf(String(container.image ?? ""))) === undefined) {
      problems.push(`container ${container.name} (${container.image}) must run as non-root (runAsNonRoot: true)`);
    }
  }
  return problems;
};

export const gpuPoolsRestAtZero: Check = (type, props) => {
  if (type === "gcp:container/nodePool:NodePool" && (props.nodeConfig?.guestAccelerators ?? []).length > 0) {
    const min = props.autoscaling?.totalMinNodeCount ?? props.autoscaling?.minNodeCount;
    if (min !== 0) return [`GPU node pool ${props.name} must scale down to 0 nodes (minimum is ${min})`];
  }
  if (type === "aws:eks/nodeGroup:NodeGroup" && /NVIDIA|GPU/.test(String(props.amiType ?? ""))) {
    if (props.scalingConfig?.minSize !== 0) return [`GPU node group ${props.nodeGroupName} must scale down to 0 nodes (minimum is ${props.scalingConfig?.minSize})`];
  }
  return [];
};

export const noPublicInternalUis: Check = (type, props) => {
  if (type === "kubernetes:core/v1:Service") {
    const namespace = props.metadata?.namespace;
    if (internalUiNamespaces.includes(namespace) && props.spec?.type === "LoadBalancer") {
      return [`Service ${namespace}/${props.metadata?.name} is an internal UI and must not get a public LoadBalancer (use the VPN or kubectl port-forward)`];
    }
  }
  // A Gateway API route is as public as the Gateway it hangs on; internal UIs get none.
  if (type.startsWith("kubernetes:gateway.networking.k8s.io/") && /:(HTTPRoute|GRPCRoute)$/.test(type)) {
    const namespace = props.metadata?.namespace;
    const backends: Props[] = (props.spec?.rules ?? []).flatMap((rule: Props) => rule.backendRefs ?? []);
    const internal = [namespace, ...backends.map((backend) => backend.namespace)].filter((ns) => internalUiNamespaces.includes(ns));
    if (internal.length > 0) return [`route ${namespace}/${props.metadata?.name} exposes an internal UI in ${internal[0]} through a Gateway (use the VPN or kubectl port-forward)`];
  }
  if (type === "kubernetes:helm.sh/v3:Release") {
    const values = props.values ?? {};
    const exposed: string[] = [];
    if (props.chart === "kube-prometheus-stack") {
      for (const ui of ["grafana", "prometheus", "alertmanager"]) if (values[ui]?.service?.type === "LoadBalancer") exposed.push(ui);
    }
    if ((props.chart === "opensearch-dashboards" || props.chart === "opensearch") && values.service?.type === "LoadBalancer") exposed.push(props.chart);
    return exposed.map((ui) => `${ui} is an internal UI and must not get a public LoadBalancer (use the VPN or kubectl port-forward)`);
  }
  return [];
};

export const imagesArePinned: Check = (type, props) => {
  const problems: string[] = [];
  for (const { container } of containersOf(type, props)) {
    const image = String(container.image ?? "");
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    if (!image.includes("@sha256:") && (tag === undefined || tag === "latest")) problems.push(`container ${container.name} image ${image} must be pinned by a tag other than latest, or by digest`);
  }
  if (type === "kubernetes:helm.sh/v3:Release" && !String(props.chart ?? "").startsWith("charts/") && !/^v?\d+\.\d+\.\d+/.test(String(props.version ?? ""))) {
    problems.push(`chart ${props.chart} must be pinned to an exact version`);
  }
  return problems;
};

/** Where each workload kind keeps its pod spec. */
export const podSpecPaths: Record<string, (props: Props) => Props | undefined> = {
  Pod: (p) => p.spec,
  Deployment: (p) => p.spec?.template?.spec,
  StatefulSet: (p) => p.spec?.template?.spec,
  DaemonSet: (p) => p.spec?.template?.spec,
  ReplicaSet: (p) => p.spec?.template?.spec,
  Job: (p) => p.spec?.template?.spec,
  CronJob: (p) => p.spec?.jobTemplate?.spec?.template?.spec,
};

/** Containers (init containers included) of a Kubernetes workload resource, with their pod's security context. */
export function containersOf(type: string, props: Props): { container: Props; podSecurityContext?: Props }[] {
  if (!type.startsWith("kubernetes:")) return [];
  const kind = type.split(":").pop() ?? "";
  const podSpec = podSpecPaths[kind]?.(props);
  if (!podSpec) return [];
  return [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])].map((container: Props) => ({ container, podSecurityContext: podSpec.securityContext }));
}

function repositoryOf(image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}
