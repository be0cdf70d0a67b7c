import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ConsumerSpec, kioskNamespace, metricsEndpoints, redisService } from "../kiosk-contract";
import { platformNamespaces } from "./namespaces";
import { ChartSource, controlPlaneCallbackPorts, upstreamChart } from "../upstream-charts";
import { platformNamespace } from "./kubernetes";
import { jobCounts, jobCountSeries } from "./redis";
import { gpuUtilisationSum, inClusterPrometheusUrl } from "../observability/metrics";
import { CloudGpuMetricsApi, CloudLayer } from "../seam";
import { consumerCeiling } from "../consumer-sizing";

export interface WorkloadAutoscalingArgs {
  readonly queues: readonly string[];
  readonly consumers: readonly ConsumerSpec[];
  /** TF-Serving's Deployment, its ceiling, and the GPUs it can have (0 when it runs on CPU). */
  readonly tfServing: { readonly deploymentName: string; readonly maxReplicas: number; readonly gpus: number };
  /** Charts whose Deployments the ScaledObjects target. */
  readonly targets: pulumi.Resource[];
  /** The Kiosk's namespace: KEDA's chart puts a RoleBinding there (watchNamespace). */
  readonly watchedNamespace: k8s.core.v1.Namespace;
  /** KEDA's chart; undefined uses the KEDA already running in the cluster (kiosk:existingKeda). */
  readonly kedaChart?: ChartSource;
  /** Where TF-Serving's GPU utilisation can be read; undefined on stacks without GPU metrics. */
  readonly gpuUtilisation?: GpuUtilisationSource;
}

/** A Prometheus-compatible API with the cluster's DCGM metrics, as KEDA's prometheus scaler reads it. */
export interface GpuUtilisationSource {
  readonly serverAddress: pulumi.Input<string>;
  readonly query: pulumi.Input<string>;
  /** KEDA's pod identity for the API (GKE's managed Prometheus needs a Google token), with the chart values that give the operator one. */
  readonly podIdentity?: CloudGpuMetricsApi["kedaPodIdentity"];
}

/**
 * When the exporter cannot be read (KEDA counts a failure per poll), the in-flight trigger counts as 0
 * after this many polls, and the queues alone decide: without a fallback, KEDA never scales a target
 * to zero while a trigger errors, and the HPA does not scale down, so an exporter outage kept every GPU
 * node up until it ended (kedacore/keda@v2.20.2 pkg/scaling/executor/scale_scaledobjects.go RequestScale:
 * with fallback replicas 0 an inactive, erroring ScaledObject is scaled to zero after its cooldown;
 * pkg/fallback/fallback.go doFallback: the failing metric reports fallback replicas × target, 0 here).
 * The price: a job in flight during an outage, with its queue empty, can lose its consumer or
 * TF-Serving; the janitor re-queues it.
 */
export const exporterOutageFallback = { failureThreshold: 3, replicas: 0 } as const;

/** How the Kiosk's workloads follow the queues; one place to tune them. */
export const scalingPolicy = {
  tfServing: {
    // Short: a job waiting in an empty cluster should start a GPU node within seconds.
    pollingInterval: 5,
    // Long: a GPU node takes minutes to come back, so one stays warm ten minutes after the last job.
    cooldownPeriod: 600,
    /** Jobs waiting per replica before another replica (and GPU node) is asked for. */
    queuedJobsPerReplica: 20,
    /** Jobs being processed per replica. */
    inFlightJobsPerReplica: 16,
    /**
     * Summed GPU utilisation (percent) per replica: another replica once the GPUs average above 70 %, the
     * original Kiosk's target (kiosk-console@1.8.1 conf/helmfile.d/0310.tf-serving.yaml, hpa tf_serving_gpu_usage 70).
     */
    gpuUtilisationPerReplica: 70,
    /** An idle GPU reads a few percent; that alone must not keep a GPU node up. */
    gpuUtilisationActivation: 10,
  },
  consumers: {
    pollingInterval: 10,
    cooldownPeriod: 120,
    queuedJobsPerReplica: 2,
    /**
     * Never fewer replicas than jobs in flight; which replicas go is the ReplicaSet controller's choice,
     * and the consumers' job holder (charts/consumers scripts/job-holder.py) makes it pick idle ones.
     */
    inFlightJobsPerReplica: 1,
  },
} as const;

const sentinelAddress = `${redisService.name}.${kioskNamespace}.svc.cluster.local:${redisService.sentinelPort}`;
const exporterUrl = `http://redis-exporter.${kioskNamespace}.svc.cluster.local:${metricsEndpoints.redisExporter.port}${metricsEndpoints.redisExporter.path}`;

/** Active as soon as `queue` holds a job; wants one replica per `perReplica` jobs. */
export function queueDepthTrigger(queue: string, perReplica: number) {
  return {
    type: "redis-sentinel",
    name: `queued-${queue}`,
    metadata: {
      addresses: sentinelAddress,
      sentinelMaster: redisService.sentinelMasterSet,
      listName: queue,
      listLength: String(perReplica),
      activationListLength: "0",
    },
  };
}

/** Active while the exporter's count `countKey` is above zero; wants one replica per `perReplica` of it. */
function exporterCountTrigger(name: string, countKey: string, perReplica: number) {
  return {
    type: "metrics-api",
    name,
    metadata: {
      url: exporterUrl,
      format: "prometheus",
      valueLocation: jobCountSeries(countKey),
      targetValue: String(perReplica),
      activationTargetValue: "0",
    },
  };
}

/** Jobs a consumer has taken and not finished, as the exporter counts them under `countKey`. */
export function inFlightTrigger(name: string, countKey: string, perReplica: number) {
  return exporterCountTrigger(`in-flight-${name}`, countKey, perReplica);
}

/**
 * Where GPU utilisation can be read: the in-cluster Prometheus where the platform runs dcgm-exporter (only
 * with kiosk:monitoring, which installs both), or the cloud's own metrics API (GKE); none without a GPU pool.
 */
export function gpuUtilisationSourceFor(cloud: Pick<CloudLayer, "gpuPlacement">, stack: { readonly monitoring: boolean; readonly existingKeda: boolean }): GpuUtilisationSource | undefined {
  const gpu = cloud.gpuPlacement;
  if (!gpu) return undefined;
  if (gpu.gpuMetrics === "dcgm-exporter") return stack.monitoring ? { serverAddress: inClusterPrometheusUrl, query: gpuUtilisationSum() } : undefined;
  const api = gpu.cloudGpuMetricsApi;
  if (!api) return undefined;
  if (stack.existingKeda) {
    // The identity is given through KEDA's chart values, which a KEDA installed by someone else does not get.
    pulumi.log.warn("TF-Serving scales on its queues only: kiosk:existingKeda is set, and the cloud's GPU metrics need KEDA's operator to run with the identity this stack creates for it (chart value podIdentity).");
    return undefined;
  }
  return { serverAddress: api.url, query: pulumi.output(api.matchers).apply(gpuUtilisationSum), podIdentity: api.kedaPodIdentity };
}

/** Name of the TriggerAuthentication through which KEDA reads a cloud's GPU metrics with its own identity. */
export const gpuMetricsTriggerAuthentication = "gpu-metrics";

/**
 * Wants one replica per `perReplica` percent of summed GPU utilisation (KEDA's default AverageValue
 * target: desired = ceil(sum / perReplica)). An empty answer (no GPU yet) reads 0: kedacore/keda@v2.20.2
 * pkg/scalers/prometheus_scaler.go ignoreNullValues defaults to true.
 */
export function gpuUtilisationTrigger(source: GpuUtilisationSource, perReplica: number, activation: number) {
  return {
    type: "prometheus",
    name: "gpu-utilisation",
    metadata: {
      serverAddress: source.serverAddress,
      query: source.query,
      threshold: String(perReplica),
      activationThreshold: String(activation),
    },
    ...(source.podIdentity ? { authenticationRef: { name: gpuMetricsTriggerAuthentication } } : {}),
  };
}

/** Total jobs waiting in every queue, read from the exporter: the backlog, not the deepest single queue. */
export function backlogTrigger(perReplica: number) {
  return exporterCountTrigger("backlog", jobCounts.allWaiting, perReplica);
}

/**
 * KEDA, and the ScaledObjects that replace the original Kiosk's custom autoscaler: TF-Serving from
 * zero when any queue has work, and not back to zero while a job is queued or in flight; each
 * consumer on its own queue and its own jobs in flight.
 */
export class WorkloadAutoscaling extends pulumi.ComponentResource {
  /** KEDA's release; undefined when the stack uses a KEDA already in the cluster. */
  readonly chart?: k8s.helm.v3.Release;
  readonly scaledObjects: k8s.apiextensions.CustomResource[] = [];

  constructor(name: string, args: WorkloadAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:WorkloadAutoscaling", name, {}, opts);
    if (args.kedaChart) {
      const namespace = platformNamespace(`${name}-keda`, platformNamespaces.keda, "restricted", { parent: this });
      this.chart = upstreamChart(
        `${name}-keda`,
        args.kedaChart,
        "keda",
        platformNamespaces.keda,
        {
          // KEDA acts on the Kiosk's namespace only.
          watchNamespace: kioskNamespace,
          service: { portHttpsTarget: controlPlaneCallbackPorts.kedaMetricsApi },
          webhooks: { port: controlPlaneCallbackPorts.kedaAdmissionWebhooks },
          ...(args.gpuUtilisation?.podIdentity ? { podIdentity: args.gpuUtilisation.podIdentity.chartValues } : {}),
          resources: {
            operator: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
            metricServer: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
            webhooks: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
          },
        },
        { parent: this, dependsOn: [namespace, args.watchedNamespace] },
      );
    }
    const scaledObjectDependencies = [...(this.chart ? [this.chart] : []), ...args.targets];

    const scaledObject = (objectName: string, spec: Record<string, unknown>) => {
      this.scaledObjects.push(
        new k8s.apiextensions.CustomResource(
          `${name}-${objectName}`,
          { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: objectName, namespace: kioskNamespace }, spec },
          { parent: this, dependsOn: scaledObjectDependencies },
        ),
      );
    };

    if (args.gpuUtilisation?.podIdentity) {
      new k8s.apiextensions.CustomResource(
        `${name}-${gpuMetricsTriggerAuthentication}`,
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "TriggerAuthentication",
          metadata: { name: gpuMetricsTriggerAuthentication, namespace: kioskNamespace },
          spec: { podIdentity: { provider: args.gpuUtilisation.podIdentity.provider } },
        },
        { parent: this, dependsOn: scaledObjectDependencies },
      );
    }

    const tf = scalingPolicy.tfServing;
    scaledObject(args.tfServing.deploymentName, {
      scaleTargetRef: { name: args.tfServing.deploymentName },
      pollingInterval: tf.pollingInterval,
      cooldownPeriod: tf.cooldownPeriod,
      minReplicaCount: 0,
      maxReplicaCount: args.tfServing.maxReplicas,
      fallback: exporterOutageFallback,
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }] } } } },
      triggers: [
        ...args.queues.map((queue) => queueDepthTrigger(queue, tf.queuedJobsPerReplica)),
        backlogTrigger(tf.queuedJobsPerReplica),
        inFlightTrigger("all", jobCounts.allInFlight, tf.inFlightJobsPerReplica),
        ...(args.gpuUtilisation ? [gpuUtilisationTrigger(args.gpuUtilisation, tf.gpuUtilisationPerReplica, tf.gpuUtilisationActivation)] : []),
      ],
    });

    const c = scalingPolicy.consumers;
    for (const consumer of args.consumers) {
      // One GPU per TF-Serving replica: its ceiling is the GPU count.
      const ceiling = consumerCeiling(consumer.jobType, consumer.env.CONSUMER_TYPE === "zip" ? "zip" : "job", args.tfServing.gpus);
      scaledObject(consumer.name, {
        scaleTargetRef: { name: consumer.name },
        pollingInterval: c.pollingInterval,
        cooldownPeriod: c.cooldownPeriod,
        minReplicaCount: 0,
        maxReplicaCount: ceiling,
        fallback: exporterOutageFallback,
        triggers: [
          queueDepthTrigger(consumer.queue, c.queuedJobsPerReplica),
          inFlightTrigger(consumer.queue, jobCounts.inFlight(consumer.queue), c.inFlightJobsPerReplica),
        ],
      });
    }
    this.registerOutputs({});
  }
}
