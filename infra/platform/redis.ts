import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { redisService } from "../kiosk-contract";
import { CloudLayer, dockerHubImage } from "../seam";
import { upstreamImages } from "../upstream-charts";
import { ownChart } from "./kubernetes";

export interface RedisArgs {
  readonly queues: readonly string[];
  readonly storageGi: number;
  readonly storageClassName?: string;
  /** The cloud's Docker Hub mirror, when the stack has one. */
  readonly dockerHubMirror?: CloudLayer["dockerHubMirror"];
}

/**
 * What the exporter publishes from charts/redis's count-jobs.lua: one gauge, redis_script_values, with
 * a `key` per count. Waiting = the queue's list; in flight = processing-<queue>:<consumer> lists.
 */
export const jobCounts = {
  metric: "redis_script_values",
  waiting: (queue: string) => `waiting:${queue}`,
  inFlight: (queue: string) => `in_flight:${queue}`,
  allWaiting: "waiting",
  /** Every job in flight, whatever its queue: what keeps TF-Serving up. */
  allInFlight: "in_flight",
} as const;

/** The series of one count, as KEDA's metrics-api trigger and PromQL select it. */
export function jobCountSeries(key: string): string {
  return `${jobCounts.metric}{key="${key}"}`;
}

/** The values the program installs charts/redis with; the real-server suite and the counting benchmark render the same. */
export function redisChartValues(args: RedisArgs) {
  return {
    image: { ...upstreamImages.valkey, repository: dockerHubImage(args, upstreamImages.valkey.repository) },
    replicas: redisService.replicas,
    masterSet: redisService.sentinelMasterSet,
    quorum: Math.floor(redisService.replicas / 2) + 1,
    // A lone member has no replica to wait for; in a set, a master that lost its replicas stops taking writes.
    minReplicasToWrite: redisService.replicas > 1 ? 1 : 0,
    minReplicasMaxLagSeconds: 5,
    persistence: { size: `${args.storageGi}Gi`, storageClassName: args.storageClassName ?? "" },
    resources: {
      redis: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
      sentinel: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
    },
    exporter: {
      image: { ...upstreamImages.redisExporter, repository: dockerHubImage(args, upstreamImages.redisExporter.repository) },
      queues: [...args.queues],
      resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
    },
  };
}

/**
 * The Kiosk's queue: Valkey (the maintained, BSD-licensed Redis) with Sentinel, from our own chart,
 * and the exporter that publishes queue depth and in-flight jobs for KEDA and Prometheus.
 */
export class Redis extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:Redis", name, {}, opts);
    this.chart = ownChart(name, "redis", redisChartValues(args), { parent: this });
    this.registerOutputs({});
  }
}
