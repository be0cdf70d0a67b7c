import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { Platform } from "../platform";
import { CloudLayer } from "../seam";

export interface ObservabilityArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
  readonly platform: Platform;
}

/** Monitoring, logging and VPN access, each switched by stack config (placeholder until built). */
export class Observability extends pulumi.ComponentResource {
  constructor(name: string, _args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:observability:Observability", name, {}, opts);
    this.registerOutputs({});
  }
}
