import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { consumerEnv, consumersOf, ConsumerSpec, overlayEnv, redisService, tfServingService } from "../kiosk-contract";
import { consumerResources } from "../consumer-sizing";
import { CloudLayer, dockerHubImage } from "../seam";
import { envList, ownChart, splitImage } from "./kubernetes";

export interface ConsumersArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/**
 * How often a consumer pod's job holder looks at its processing list. A pod that has just taken a job
 * is marked within this time; until then a scale-down may still pick it.
 */
export const jobHolderIntervalSeconds = 2;

/** One consumer Deployment per queue and per -zip queue, all from one chart, on the consumer pool. */
export class Consumers extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;
  readonly consumers: readonly ConsumerSpec[];

  constructor(name: string, args: ConsumersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:Consumers", name, {}, opts);
    const { config, cloud } = args;
    this.consumers = config.jobTypes.flatMap(consumersOf);
    const identity = cloud.bucket.identityFor("consumer");
    const [repository, tag] = splitImage(config.images.consumer);
    this.chart = ownChart(
      name,
      "consumers",
      {
        image: { repository: dockerHubImage(cloud, repository), tag },
        initialReplicas: 0,
        env: [...envList({ ...consumerEnv, STORAGE_BUCKET: cloud.bucket.url, ...cloud.cloudEnv.consumer, ...overlayEnv(config.images, cloud.overlayStorageEnv) }), ...identity.env],
        nodeSelector: cloud.consumerPlacement.nodeSelector,
        tolerations: cloud.consumerPlacement.tolerations,
        serviceAccount: { name: identity.serviceAccountName, annotations: identity.serviceAccountAnnotations },
        redis: { host: redisService.name, port: redisService.sentinelPort, masterSet: redisService.sentinelMasterSet },
        jobHolder: { enabled: true, intervalSeconds: jobHolderIntervalSeconds },
        tfServing: { host: tfServingService.name, port: tfServingService.grpcPort },
        consumers: this.consumers.map((consumer) => ({
          name: consumer.name,
          queue: consumer.queue,
          waitForTfServing: consumer.env.CONSUMER_TYPE !== "zip",
          env: envList(consumer.env),
          resources: consumer.env.CONSUMER_TYPE === "zip" ? consumerResources.zip : consumerResources.job,
        })),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
