import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Cloud, PortalAccess } from "./config-types";
import { BucketWorkload } from "./kiosk-contract";

/**
 * The seam between the cloud layer (cluster, node pools, bucket, identity: different on every cloud)
 * and the platform layer (the Kiosk's services: the same on any Kubernetes). The platform reads only
 * this; it never asks which cloud it is on, except through what is given here.
 */
export interface CloudLayer {
  readonly cloud: Cloud;
  /** Provider for everything the platform creates in the cluster. */
  readonly kubernetesProvider: k8s.Provider;
  /** kubeconfig for the cluster (a Pulumi secret). */
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;

  readonly bucket: BucketAccess;
  /** Where GPU workloads (TF-Serving) run; undefined when the cluster has no GPU pool and TF-Serving runs on CPU. */
  readonly gpuPlacement?: GpuPlacement;
  /** Where the consumers run. */
  readonly consumerPlacement: Placement;
  /**
   * The cloud's location, per workload, as its image reads it: AWS_REGION (S3 clients), GCLOUD_PROJECT_ID
   * (only the frontend's GCS client reads it). Nothing else: GKE_COMPUTE_ZONE is read by none of the images.
   */
  readonly cloudEnv: Readonly<Record<BucketWorkload, Readonly<Record<string, pulumi.Input<string>>>>>;
  /** The portal's front door: the cloud's Gateway API implementation. */
  readonly frontDoor: FrontDoor;
  /** How a Service of type LoadBalancer is exposed on this cloud (the VPN's, exposed internal UIs'). */
  readonly loadBalancerService: LoadBalancerServiceSpecifics;
  /** StorageClass for persistent volumes; undefined means the cluster's default. */
  readonly storageClassName?: string;
  /**
   * Resources that must exist before workloads are scheduled (node pools, add-ons, identity bindings);
   * the platform depends on them so that `pulumi destroy` removes workloads, and their load balancers
   * and volumes, before the nodes and the cluster go.
   */
  readonly readiness: pulumi.Resource[];
  /**
   * Secrets the platform creates in the Kiosk namespace because the identity env refers to them
   * (only the local object store has credentials; clouds grant access by identity).
   */
  readonly kioskSecrets?: readonly KioskSecret[];
  /** Namespaces outside the Kiosk's that its pods must reach, and on which ports (e.g. the local object store). */
  readonly extraEgress?: readonly ExtraEgress[];
  /**
   * What our image overlays read beyond the published images' variables, for this cloud's store
   * (the overlays' storage modules in images/: the local store's path-style addressing and browser-facing address).
   */
  readonly overlayStorageEnv?: Readonly<Record<string, pulumi.Input<string>>>;
  /** A registry that serves Docker Hub's images (`<mirror>/vanvalenlab/kiosk-frontend`), when the stack has one (kiosk:registryMirror). */
  readonly dockerHubMirror?: pulumi.Output<string>;
}

/** Where a Docker Hub image is pulled from: the cloud's mirror when there is one (official images live under library/), else Docker Hub. */
export function dockerHubImage(cloud: Pick<CloudLayer, "dockerHubMirror">, repository: string): pulumi.Input<string> {
  // A first segment with a dot or a port, or localhost, names another registry (e.g. our overlays' ghcr.io/...).
  const first = repository.split("/")[0];
  const otherRegistry = repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!cloud.dockerHubMirror || otherRegistry) return repository;
  const path = repository.includes("/") ? repository : `library/${repository}`;
  return pulumi.interpolate`${cloud.dockerHubMirror}/${path}`;
}

/** A destination of the Kiosk's pods beyond the defaults: a namespace, or (no namespace) any address. */
export interface ExtraEgress {
  readonly namespace?: string;
  readonly ports: readonly number[];
}

export interface KioskSecret {
  readonly name: string;
  readonly stringData: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface BucketAccess {
  readonly name: pulumi.Output<string>;
  /** `gs://name` or `s3://name`, as the Kiosk's STORAGE_BUCKET expects. */
  readonly url: pulumi.Output<string>;
  /** How a workload's pods reach the bucket without static keys. */
  identityFor(workload: BucketWorkload): WorkloadIdentity;
}

/** What a pod of a bucket workload needs to be granted bucket access by the cloud's identity system. */
export interface WorkloadIdentity {
  /** Kubernetes service account name the cloud layer granted (in the Kiosk namespace). */
  readonly serviceAccountName: string;
  /** Annotations on that service account (e.g. GKE's iam.gke.io/gcp-service-account). */
  readonly serviceAccountAnnotations: Readonly<Record<string, pulumi.Input<string>>>;
  /** Extra container environment (e.g. a local object store's endpoint and its credentials by secret reference). */
  readonly env: readonly k8s.types.input.core.v1.EnvVar[];
}

export interface Placement {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly k8s.types.input.core.v1.Toleration[];
}

export interface GpuPlacement extends Placement {
  /** Extended resource name the device plugin advertises, requested by GPU containers. */
  readonly resourceName: "nvidia.com/gpu";
  readonly gpusPerPod: number;
  /** True when GPU nodes may be in several zones: consumers then prefer a TF-Serving pod in their own zone. */
  readonly spansZones: boolean;
  /** Whether the platform runs NVIDIA's dcgm-exporter for GPU metrics, or the cloud reports them itself (GKE). */
  readonly gpuMetrics: "dcgm-exporter" | "cloud";
  /** With gpuMetrics "cloud": the cloud's Prometheus-compatible API that KEDA reads GPU utilisation from. */
  readonly cloudGpuMetricsApi?: CloudGpuMetricsApi;
}

/** A cloud's Prometheus query API holding the cluster's DCGM metrics, and how KEDA's operator may read it. */
export interface CloudGpuMetricsApi {
  /** Base URL; KEDA appends /api/v1/query. */
  readonly url: pulumi.Input<string>;
  /** Label matchers that keep the query to this cluster's GPUs (the API may hold a whole project). */
  readonly matchers: pulumi.Input<string>;
  /** KEDA's pod identity provider for a TriggerAuthentication, and the chart's podIdentity values that give it one. */
  readonly kedaPodIdentity: { readonly provider: "gcp"; readonly chartValues: pulumi.Input<Record<string, unknown>> };
}

export interface LoadBalancerServiceSpecifics {
  /** Annotations for a LoadBalancer Service (e.g. an AWS NLB). */
  readonly annotations: Readonly<Record<string, string>>;
  /** LoadBalancer in clouds, NodePort on a local cluster. */
  readonly serviceType: "LoadBalancer" | "NodePort";
}

/** The Gateway API implementations that serve the portal, one per cloud (and a GatewayClass the local cluster already has). */
export type FrontDoorImplementation = "gke-gateway" | "aws-load-balancer-controller" | "envoy-gateway" | "existing-gateway-class";

/**
 * The portal's way in, as the cloud provides it: a GatewayClass whose controller turns the platform's
 * Gateway and HTTPRoute into a load balancer, and the implementation's own objects for what the Gateway
 * API leaves to implementations (source ranges, sign-in, certificates, timeouts).
 */
export interface FrontDoor {
  readonly implementation: FrontDoorImplementation;
  readonly gatewayClassName: string;
  /**
   * The controller and the cloud objects the Gateway needs. The Gateway depends on them, so `pulumi destroy`
   * deletes it (and its controller deletes the load balancer it made) while the controller still runs, and
   * before the cluster and the network go.
   */
  readonly dependencies: readonly pulumi.Resource[];
  /** Where the portal's requests come from as the frontend's pods see them (its NetworkPolicy's peers). */
  readonly trafficFrom: readonly k8s.types.input.networking.v1.NetworkPolicyPeer[];
  /** With kiosk:domain: the DNS records that prove the domain to the cloud's certificate authority, for the user to create. */
  readonly dnsValidation?: pulumi.Output<DnsRecord[]>;
  /** Creates the implementation's objects for the portal and says what its Gateway and route need. */
  portal(portal: PortalEndpoint, opts: pulumi.CustomResourceOptions): PortalAttachment;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: string;
  readonly value: string;
}

/** What the platform serves through the front door. */
export interface PortalEndpoint {
  readonly namespace: string;
  readonly gatewayName: string;
  readonly routeName: string;
  readonly service: { readonly name: string; readonly port: number };
  readonly access: PortalAccess;
  readonly domain?: string;
}

/** The implementation's part of the portal's Gateway and HTTPRoute. */
export interface PortalAttachment {
  readonly gatewayAnnotations?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Gateway spec.addresses (e.g. GKE's reserved global address). */
  readonly gatewayAddresses?: readonly Record<string, pulumi.Input<string>>[];
  /** Gateway spec.infrastructure (e.g. a parametersRef to the implementation's load balancer settings). */
  readonly gatewayInfrastructure?: Record<string, unknown>;
  /**
   * The HTTPS listener, when the portal has a certificate: its `tls` block, or none where the certificate
   * is attached outside the listener (GKE's certificate map, the ALB's listener configuration).
   * Undefined: plain HTTP only.
   */
  readonly https?: { readonly tls?: Record<string, unknown> };
  /** The port browsers are redirected to for HTTPS when it is not 443 (a NodePort). */
  readonly httpsRedirectPort?: number;
  /** Filters on the portal's route rule (e.g. the ALB's ListenerRuleConfiguration for sign-in). */
  readonly routeFilters: readonly Record<string, unknown>[];
  /** HTTPRoute timeouts, where the implementation honours them; elsewhere its policy resource sets them. */
  readonly routeTimeouts?: { readonly request: string };
  /** The objects made; the Gateway depends on them. */
  readonly resources: readonly pulumi.Resource[];
  /** Where the portal is reachable, from the Gateway once it is made. */
  url(gateway: pulumi.Resource): pulumi.Output<string>;
}

/** The taint every GPU node carries, so that only GPU workloads land there. */
export const gpuTaint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;
/** The label and taint of the consumer pool (as in the original Kiosk). */
export const consumerPoolLabel = { key: "consumer", value: "yes" } as const;
export const consumerTaint = { key: "consumer", value: "yes", effect: "NoSchedule" } as const;
/** Label of the always-on system pool, where cluster add-ons such as the node autoscaler run. */
export const systemPoolLabel = { key: "kiosk.deepcell.org/pool", value: "system" } as const;
/** Label of the GPU pool that the platform selects on, whatever the cloud names its own labels. */
export const gpuPoolLabel = { key: "kiosk.deepcell.org/pool", value: "gpu" } as const;

export function tolerationFor(taint: { key: string; value: string; effect: string }): k8s.types.input.core.v1.Toleration {
  return { key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect };
}

/** Placement on the GPU pool, as every cloud with one labels and taints it. */
export function gpuPoolPlacement(gpusPerPod: number, spansZones: boolean, gpuMetrics: GpuPlacement["gpuMetrics"], cloudGpuMetricsApi?: CloudGpuMetricsApi): GpuPlacement {
  return {
    spansZones,
    gpuMetrics,
    ...(cloudGpuMetricsApi ? { cloudGpuMetricsApi } : {}),
    nodeSelector: { [gpuPoolLabel.key]: gpuPoolLabel.value },
    tolerations: [tolerationFor(gpuTaint)],
    resourceName: "nvidia.com/gpu",
    gpusPerPod,
  };
}

/** Placement on the consumer pool, as every cloud with one labels and taints it. */
export const consumerPoolPlacement: Placement = {
  nodeSelector: { [consumerPoolLabel.key]: consumerPoolLabel.value },
  tolerations: [tolerationFor(consumerTaint)],
};

/** A resource option's dependsOn as a list, to add to. */
export function dependencyList(dependsOn: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (dependsOn === undefined) return [];
  return Array.isArray(dependsOn) ? [...dependsOn] : [dependsOn as pulumi.Input<pulumi.Resource>];
}
