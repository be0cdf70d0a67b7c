import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { Platform } from "../platform";
import { CloudLayer } from "../seam";
import { Logging } from "./logging";
import { Monitoring } from "./monitoring";
import { Vpn } from "./vpn";

export interface ObservabilityArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
  readonly platform: Platform;
}

/** Monitoring, logging and VPN access, each switched by its stack toggle (`kiosk:monitoring`, `kiosk:logging`, `kiosk:vpn`). */
export class Observability extends pulumi.ComponentResource {
  /** Grafana's admin password (a secret), when monitoring is on. */
  readonly grafanaAdminPassword?: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config, cloud } = args;
    // Same cluster, same ordering as the platform: installed after the cloud layer is ready, removed before it.
    super("kiosk:observability:Observability", name, {}, { ...opts, providers: [cloud.kubernetesProvider] });
    const child = { parent: this, dependsOn: [...cloud.readiness, args.platform.namespace] };
    if (config.components.monitoring) {
      this.grafanaAdminPassword = new Monitoring(`${name}-monitoring`, { config, cloud }, child).grafanaAdminPassword;
    }
    if (config.components.logging) new Logging(`${name}-logging`, { config, cloud }, child);
    if (config.components.vpn) new Vpn(`${name}-vpn`, { config, cloud }, child);
    this.registerOutputs({});
  }
}
