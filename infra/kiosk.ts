import * as pulumi from "@pulumi/pulumi";
import { AwsCloud } from "./aws";
import { KioskConfig } from "./config";
import { GcpCloud } from "./gcp";
import { LocalCloud } from "./local";
import { Observability } from "./observability";
import { Platform } from "./platform";
import { CloudLayer, DnsRecord } from "./seam";

/** What `pulumi stack output` shows; it replaces the old console menu. */
export interface KioskOutputs {
  /** The portal's address ("View"). */
  readonly url: pulumi.Output<string>;
  /** kubeconfig for kubectl ("Shell"), a secret. */
  readonly kubeconfig: pulumi.Output<string>;
  readonly bucket: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  /** Grafana's admin password (a secret), when monitoring is on: `pulumi stack output --show-secrets grafanaAdminPassword`. */
  readonly grafanaAdminPassword?: pulumi.Output<string>;
  /** With kiosk:domain on a cloud: the DNS record(s) to create so that the managed certificate is issued. */
  readonly portalDnsValidation?: pulumi.Output<DnsRecord[]>;
}

export function createCloudLayer(config: KioskConfig): CloudLayer {
  switch (config.cloud) {
    case "gcp":
      return new GcpCloud("kiosk", { config });
    case "aws":
      return new AwsCloud("kiosk", { config });
    case "local":
      return new LocalCloud("kiosk", { config });
  }
}

/** The whole Kiosk: the cloud layer chosen by config, then the platform on whatever cluster it gives. */
export function deployKiosk(config: KioskConfig): KioskOutputs {
  const cloud = createCloudLayer(config);
  const platform = new Platform("kiosk", { config, cloud });
  const observability = new Observability("kiosk", { config, cloud, platform });
  return {
    url: platform.url,
    kubeconfig: pulumi.secret(cloud.kubeconfig),
    bucket: cloud.bucket.url,
    clusterName: cloud.clusterName,
    ...(cloud.frontDoor.dnsValidation ? { portalDnsValidation: cloud.frontDoor.dnsValidation } : {}),
    ...(observability.grafanaAdminPassword ? { grafanaAdminPassword: observability.grafanaAdminPassword } : {}),
  };
}
