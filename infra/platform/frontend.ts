import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { frontendEnv, frontendMemoryLimit, frontendService, offeredInPortal, overlayEnv } from "../kiosk-contract";
import { CloudLayer, dockerHubImage } from "../seam";
import { envList, ownChart, splitImage } from "./kubernetes";

export interface FrontendArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/** The web portal where biologists upload images and download results, behind the front door (PortalFrontDoor). */
export class Frontend extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: FrontendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:Frontend", name, {}, opts);
    const { config, cloud } = args;
    const identity = cloud.bucket.identityFor("frontend");
    const [repository, tag] = splitImage(config.images.frontend);
    this.chart = ownChart(
      name,
      "frontend",
      {
        image: { repository: dockerHubImage(cloud, repository), tag },
        port: frontendService.port,
        env: [
          ...envList({ ...frontendEnv, JOB_TYPES: config.jobTypes.filter(offeredInPortal).join(","), STORAGE_BUCKET: cloud.bucket.url, ...cloud.cloudEnv.frontend, ...overlayEnv(config.images, cloud.overlayStorageEnv) }),
          ...identity.env,
        ],
        // Off AWS the frontend holds each upload in memory (multer's memoryStorage,
        // vanvalenlab/kiosk-frontend@0.11.3:server/config/multer.js): room for the largest accepted upload and more.
        resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: frontendMemoryLimit } },
        autoscaling: { minReplicas: 1, maxReplicas: 4, cpuUtilization: 80 },
        serviceAccount: { name: identity.serviceAccountName, annotations: identity.serviceAccountAnnotations },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
