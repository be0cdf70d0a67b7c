import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

export interface GkeNetworkArgs {
  readonly project: string;
  readonly region: string;
}

/** Address ranges of the VPC-native cluster: nodes, pods and services, none overlapping. */
export const gkeAddressRanges = {
  nodes: "10.10.0.0/20",
  pods: "10.16.0.0/14",
  services: "10.20.0.0/20",
  controlPlane: "172.16.0.0/28",
} as const;

/**
 * The VPC of a private cluster: nodes have no public address, so Cloud NAT gives them a way out to
 * pull images from Docker Hub, and Private Google Access reaches Google APIs (GCS) without NAT.
 */
export class GkeNetwork extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly subnetwork: gcp.compute.Subnetwork;
  readonly podsRangeName = "pods";
  readonly servicesRangeName = "services";
  readonly nat: gcp.compute.RouterNat;

  constructor(name: string, args: GkeNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GkeNetwork", name, {}, opts);
    const { project, region } = args;
    this.network = new gcp.compute.Network(name, { project, autoCreateSubnetworks: false }, { parent: this });
    this.subnetwork = new gcp.compute.Subnetwork(
      name,
      {
        project,
        region,
        network: this.network.id,
        ipCidrRange: gkeAddressRanges.nodes,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
          { rangeName: this.podsRangeName, ipCidrRange: gkeAddressRanges.pods },
          { rangeName: this.servicesRangeName, ipCidrRange: gkeAddressRanges.services },
        ],
      },
      { parent: this },
    );
    const router = new gcp.compute.Router(name, { project, region, network: this.network.id }, { parent: this });
    this.nat = new gcp.compute.RouterNat(
      name,
      {
        project,
        region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      { parent: this },
    );
    this.registerOutputs({ network: this.network.id });
  }
}
