import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { CloudLayer } from "../seam";

export interface PlatformArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/** The Kiosk's services on any Kubernetes (placeholder until the services are built). */
export class Platform extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:Platform", name, {}, opts);
    this.url = pulumi.output(args.config.domain ? `http://${args.config.domain}` : "");
    this.registerOutputs({ url: this.url });
  }
}
