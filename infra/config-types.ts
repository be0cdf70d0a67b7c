export const clouds = ["aws", "gcp", "local"] as const;

/**
 * How the bucket's objects are read. `link-readable`: the published Kiosk images make each upload and
 * result readable by anyone holding its URL (object ACLs), which is the only way they hand results to the
 * browser; the bucket itself stays unlisted. `private`: nothing is readable without credentials, which
 * needs images that link results with signed URLs (our overlays).
 */
export const bucketAccessModes = ["link-readable", "private"] as const;
export type BucketAccessMode = (typeof bucketAccessModes)[number];
export type Cloud = (typeof clouds)[number];
/** The clouds that build their own cluster (as opposed to `local`, which uses one that exists). */
export type CloudProvider = Exclude<Cloud, "local">;

export interface NodePoolConfig {
  /** Machine/instance type. */
  readonly machineType: string;
  readonly spot: boolean;
  readonly minNodes: number;
  readonly maxNodes: number;
}

export interface GpuPoolConfig extends NodePoolConfig {
  /** GPU model in GKE's vocabulary, e.g. nvidia-tesla-t4. */
  readonly type: string;
  readonly countPerNode: number;
}

export interface GcpConfig {
  readonly project: string;
  readonly region: string;
  /** Zone of a zonal control plane, and of the CPU pools when zonal. */
  readonly zone: string;
  readonly regional: boolean;
  readonly releaseChannel: "RAPID" | "REGULAR" | "STABLE";
  /** Zones of the region that offer the GPU type. */
  readonly gpuZones: readonly string[];
  /** Whether the GPU and consumer pools span every GPU zone (kiosk:gkeMultiZoneGpus) instead of one. */
  readonly multiZoneGpus: boolean;
  /**
   * Zones of the data path (consumers, TF-Serving, GPUs), which always share them: one zone by default,
   * so that no image crosses zones; every GPU zone with kiosk:gkeMultiZoneGpus.
   */
  readonly dataZones: readonly string[];
}

export interface AwsConfig {
  readonly region: string;
  readonly natGateways: "single" | "perAz";
  readonly availabilityZoneCount: number;
  readonly apiPrivateAccess: boolean;
  readonly apiPublicAccess: boolean;
  readonly gpuAmiType: "AL2023_x86_64_NVIDIA" | "BOTTLEROCKET_x86_64_NVIDIA";
  /** IAM principals other than the cluster's creator, with what they may do (EKS access entries). */
  readonly clusterAccess: readonly ClusterAccess[];
  /** Days EKS keeps the control plane's logs in CloudWatch. */
  readonly controlPlaneLogRetentionDays: number;
}

export const clusterAccessLevels = ["admin", "view"] as const;

export interface ClusterAccess {
  /** An IAM role or user ARN (arn:aws:iam::<account>:role/<name> or :user/<name>). */
  readonly principalArn: string;
  readonly access: (typeof clusterAccessLevels)[number];
}

export interface LocalConfig {
  /** kubeconfig context of the cluster, pinned (never the current one). */
  readonly kubeContext: string;
  /** StorageClass for volumes; undefined means the cluster default. */
  readonly storageClass?: string;
  /** A GatewayClass already served in the cluster; undefined installs Envoy Gateway. */
  readonly existingGatewayClass?: string;
  /** An S3-compatible store already running; undefined runs MinIO in the cluster. */
  readonly existingObjectStore?: ExistingObjectStore;
  /** The store's address as the user's browser reaches it, for the overlays' signed links; undefined signs for the in-cluster address. */
  readonly s3PublicEndpoint?: string;
}

export interface ExistingObjectStore {
  readonly endpoint: string;
  readonly accessKeyId: string;
  /** Kept as a Pulumi secret from the moment it is read. */
  readonly secretAccessKey: import("@pulumi/pulumi").Output<string>;
}

export const imageSets = ["published", "overlay"] as const;
/** published: vanvalenlab's images as they are; overlay: ours (images/), which replace their storage layer. */
export type ImageSet = (typeof imageSets)[number];

export interface ImageConfig {
  /** Which frontend and consumer images run (the others are always the published ones). */
  readonly set: ImageSet;
  /** With overlays: how long a result or upload link stays valid, in seconds. */
  readonly signedLinkSeconds: number;
  readonly frontend: string;
  readonly consumer: string;
  readonly tfServing: string;
  readonly tfServingConfigWriter: string;
  readonly janitor: string;
}

export const portalAccessModes = ["allowed-cidrs", "sign-in", "public"] as const;

/**
 * Sign-in in front of the portal through an identity provider: IAP on gcp (Google accounts, granted to
 * kiosk:portalSignInMembers), the ALB's authenticate-oidc on aws, Envoy Gateway's OIDC filter on local.
 */
export interface PortalSignIn {
  /** The OAuth client: a Google OAuth client on gcp (IAP), the identity provider's client elsewhere. */
  readonly clientId: string;
  /** Kept as a Pulumi secret from the moment it is read. */
  readonly clientSecret: import("@pulumi/pulumi").Output<string>;
  /** OIDC issuer (aws, local); IAP signs in with Google's own. */
  readonly issuer?: string;
  /** The provider's endpoints, which the ALB does not discover itself (aws only). */
  readonly endpoints?: { readonly authorization: string; readonly token: string; readonly userInfo: string };
  /** IAP principals granted the portal (gcp only): user:, group:, domain: or serviceAccount: members. */
  readonly members: readonly string[];
}

/**
 * Who can reach the portal, chosen explicitly (kiosk:portalAccess): anyone who reaches it can upload
 * images and start GPU nodes on the lab's bill. `allowed-cidrs`: only clients from kiosk:portalAllowedCidrs.
 * `sign-in`: only people who sign in (and, if listed, only from kiosk:portalAllowedCidrs).
 * `public`: anyone on the internet (`pulumi up` warns).
 */
export type PortalAccess =
  | { readonly mode: "public" }
  | { readonly mode: "allowed-cidrs"; readonly allowedCidrs: readonly string[] }
  | { readonly mode: "sign-in"; readonly signIn: PortalSignIn; readonly allowedCidrs: readonly string[] };

/** The source ranges that may reach the portal and the UIs exposed like it; undefined when any address may. */
export function portalSourceRanges(access: PortalAccess): readonly string[] | undefined {
  return access.mode !== "public" && access.allowedCidrs.length > 0 ? access.allowedCidrs : undefined;
}

/** The sign-in in front of the portal, when kiosk:portalAccess is sign-in. */
export function portalSignIn(access: PortalAccess): PortalSignIn | undefined {
  return access.mode === "sign-in" ? access.signIn : undefined;
}

export interface ComponentToggles {
  readonly monitoring: boolean;
  readonly logging: boolean;
  readonly vpn: boolean;
  readonly tls: boolean;
}

export interface KioskConfig {
  readonly project: string;
  readonly stack: string;
  readonly cloud: Cloud;
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly apiAllowedCidrs: readonly string[];

  readonly bucket: {
    /** Explicit bucket name; undefined lets the cloud layer derive a unique one. */
    readonly name?: string;
    readonly retentionDays: number;
    readonly forceDestroy: boolean;
    /** Who may read an object (kiosk:bucketAccess). */
    readonly access: BucketAccessMode;
  };
  /** Where TF-Serving's config writer finds the exported models (gs://... or s3://...). */
  readonly modelsBucket: string;
  /** Which models TF-Serving loads: the consumers' pinned versions, or everything the writer finds. */
  readonly tfServingModels: "pinned" | "all";

  readonly gpu: GpuPoolConfig;
  readonly consumerPool: NodePoolConfig;
  readonly systemPool: NodePoolConfig;

  readonly gcp?: GcpConfig;
  readonly aws?: AwsConfig;
  readonly local?: LocalConfig;

  readonly jobTypes: readonly string[];
  /** Full image references (repository:tag) of the Kiosk's own images. */
  readonly images: ImageConfig;
  readonly redisStorageGi: number;
  readonly domain?: string;
  readonly acmeEmail?: string;
  readonly portalAccess: PortalAccess;

  readonly components: ComponentToggles;
  /** A directory of unpacked upstream charts at their pinned versions; undefined fetches them from their repositories. */
  readonly upstreamChartsDir?: string;
  /** Whether KEDA already runs in the cluster (its CRDs and operator), so the stack does not install it. */
  readonly existingKeda: boolean;
  /** Docker Hub images through a cache in the cloud (kiosk:registryMirror); the credentials ECR needs for Docker Hub on aws. */
  readonly registryMirror: { readonly enabled: boolean; readonly dockerHub?: { readonly username: string; readonly accessToken: string } };
  readonly exposeInternalUis: boolean;
  readonly monitoring: {
    /** Where Alertmanager sends alerts; none set means alerts are only visible in Alertmanager and Grafana. */
    readonly alertReceivers: AlertReceivers;
    readonly prometheusStorageGi: number;
    readonly retention: string;
    readonly grafanaStorageGi: number;
  };
  readonly logging: {
    readonly elasticsearchStorageGi: number;
    readonly retentionDays: number;
  };
}

/** Alert destinations; URLs carry credentials, so the program keeps them as Pulumi secrets. */
export interface AlertReceivers {
  readonly webhookUrl?: string;
  readonly slackWebhookUrl?: string;
}
