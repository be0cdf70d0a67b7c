import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { ownChart, platformNamespace } from "../platform/kubernetes";
import { platformNamespaces } from "../platform/namespaces";
import { CloudLayer, dockerHubImage } from "../seam";
import { upstreamImages } from "../upstream-charts";

export interface VpnArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/**
 * OpenVPN Access Server (our chart around OpenVPN Inc.'s maintained image), so that Grafana and
 * OpenSearch Dashboards stay private and are reached through the VPN. Only the VPN port is exposed.
 */
export class Vpn extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: VpnArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:observability:Vpn", name, {}, opts);
    const { cloud } = args;
    const namespace = platformNamespaces.vpn;
    // Creating the tun device and routing need NET_ADMIN, which only the privileged level admits.
    const ns = platformNamespace(`${name}-namespace`, namespace, "privileged", { parent: this });
    this.chart = ownChart(
      name,
      "openvpn",
      {
        image: { repository: dockerHubImage(cloud, upstreamImages.openvpnAccessServer.repository), tag: upstreamImages.openvpnAccessServer.tag },
        service: { type: cloud.loadBalancerService.serviceType, port: 1194, annotations: cloud.loadBalancerService.annotations },
        storage: { sizeGi: 1, storageClassName: cloud.storageClassName ?? "" },
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
      },
      { parent: this, dependsOn: [ns] },
      namespace,
    );
    this.registerOutputs({});
  }
}
