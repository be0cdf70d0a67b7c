import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { janitorEnv, redisService } from "../kiosk-contract";
import { CloudLayer, dockerHubImage } from "../seam";
import { envList, ownChart, splitImage } from "./kubernetes";

export interface RedisJanitorArgs {
  readonly config: KioskConfig;
  readonly cloud: Pick<CloudLayer, "dockerHubMirror">;
}

/** Puts jobs back on their queue when the consumer pod that held them is gone. */
export class RedisJanitor extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: RedisJanitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:RedisJanitor", name, {}, opts);
    const [repository, tag] = splitImage(args.config.images.janitor);
    this.chart = ownChart(
      name,
      "redis-janitor",
      {
        image: { repository: dockerHubImage(args.cloud, repository), tag },
        // The janitor watches processing-<job type>:* and processing-<job type>-zip:* itself; it takes job types.
        env: envList({ ...janitorEnv, QUEUES: args.config.jobTypes.join(",") }),
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        serviceAccount: { name: "kiosk-redis-janitor" },
        redis: { host: redisService.name, port: redisService.sentinelPort },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
