import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { kioskNamespace, queuesOf } from "../kiosk-contract";
import { CloudLayer } from "../seam";
import { gpuUtilisationSourceFor, WorkloadAutoscaling } from "./autoscaling";
import { Consumers } from "./consumers";
import { Frontend } from "./frontend";
import { PortalFrontDoor } from "./front-door";
import { RedisJanitor } from "./janitor";
import { KioskNamespace } from "./namespace";
import { Redis } from "./redis";
import { TfServing } from "./tf-serving";
import { pinnedChart, upstreamCharts } from "../upstream-charts";

export interface PlatformArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/**
 * The Kiosk's services on whatever Kubernetes the cloud layer hands over. Everything here waits for
 * the cloud layer's readiness (node pools, add-ons, identity), so that `pulumi destroy` removes the
 * workloads, their load balancer and their volumes before the nodes and the cluster go.
 */
export class Platform extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly namespace: k8s.core.v1.Namespace;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:Platform", name, {}, { ...opts, providers: [args.cloud.kubernetesProvider] });
    const { config, cloud } = args;
    const afterCloud = { parent: this, dependsOn: cloud.readiness };

    const kioskNs = new KioskNamespace(`${name}-namespace`, { extraEgress: cloud.extraEgress ?? [], portalTrafficFrom: cloud.frontDoor.trafficFrom }, afterCloud);
    this.namespace = kioskNs.namespace;
    const inNamespace = { parent: this, dependsOn: [...cloud.readiness, kioskNs.namespace] };

    for (const secret of cloud.kioskSecrets ?? []) {
      new k8s.core.v1.Secret(`${name}-${secret.name}`, { metadata: { name: secret.name, namespace: kioskNamespace }, stringData: secret.stringData }, inNamespace);
    }

    const redis = new Redis(`${name}-redis`, { queues: queuesOf(config.jobTypes), storageGi: config.redisStorageGi, storageClassName: cloud.storageClassName, dockerHubMirror: cloud.dockerHubMirror }, inNamespace);
    const tfServing = new TfServing(`${name}-tf-serving`, { config, cloud }, inNamespace);
    const consumers = new Consumers(`${name}-consumers`, { config, cloud }, inNamespace);
    new Frontend(`${name}-frontend`, { config, cloud }, inNamespace);
    const frontDoor = new PortalFrontDoor(`${name}-front-door`, { config, cloud, namespace: kioskNs.namespace }, inNamespace);
    new RedisJanitor(`${name}-janitor`, { config, cloud }, inNamespace);
    new WorkloadAutoscaling(
      `${name}-autoscaling`,
      {
        queues: queuesOf(config.jobTypes),
        consumers: consumers.consumers,
        tfServing: { deploymentName: tfServing.deploymentName, maxReplicas: tfServing.maxReplicas, gpus: tfServing.gpusPerPod * tfServing.maxReplicas },
        targets: [tfServing.chart, consumers.chart, redis.chart],
        watchedNamespace: kioskNs.namespace,
        kedaChart: config.existingKeda ? undefined : pinnedChart(config, upstreamCharts.keda),
        gpuUtilisation: gpuUtilisationSourceFor(cloud, { monitoring: config.components.monitoring, existingKeda: config.existingKeda }),
      },
      afterCloud,
    );

    this.url = frontDoor.url;
    this.registerOutputs({ url: this.url });
  }
}
