import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AwsConfig } from "../config";

export interface AwsNetworkArgs {
  readonly clusterName: string;
  readonly aws: AwsConfig;
}

/** Address plan: large private subnets, because the VPC CNI gives every pod a VPC address. */
export const vpcCidr = "10.0.0.0/16";
const privateSubnetCidrs = ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"];
const publicSubnetCidrs = ["10.0.96.0/22", "10.0.100.0/22", "10.0.104.0/22"];

/**
 * VPC with a public and a private subnet in each availability zone. Nodes live in the private
 * subnets and leave through NAT: one shared gateway by default (resting cost), or one per zone.
 * Subnets carry the tags the cloud controller uses to place load balancers.
 */
export class AwsNetwork extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly publicSubnets: aws.ec2.Subnet[] = [];
  readonly privateSubnets: aws.ec2.Subnet[] = [];
  readonly natGateways: aws.ec2.NatGateway[] = [];
  readonly privateRouteTables: aws.ec2.RouteTable[] = [];

  constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:AwsNetwork", name, {}, opts);
    const { clusterName, aws: awsConfig } = args;
    const clusterTag = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };
    const zones = aws.getAvailabilityZonesOutput({ state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, { parent: this });

    this.vpc = new aws.ec2.Vpc(
      name,
      { cidrBlock: vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: `${clusterName}-kiosk` } },
      { parent: this },
    );
    const internetGateway = new aws.ec2.InternetGateway(name, { vpcId: this.vpc.id, tags: { Name: `${clusterName}-kiosk` } }, { parent: this });
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }], tags: { Name: `${clusterName}-public` } },
      { parent: this },
    );

    for (let index = 0; index < awsConfig.availabilityZoneCount; index++) {
      const availabilityZone = zones.names.apply((names) => {
        if (names.length <= index) {
          throw new Error(`kiosk:awsAvailabilityZones = ${awsConfig.availabilityZoneCount}, but ${awsConfig.region} offers only ${names.length} zones`);
        }
        return names[index];
      });
      const publicSubnet = new aws.ec2.Subnet(
        `${name}-public-${index}`,
        {
          vpcId: this.vpc.id,
          availabilityZone,
          cidrBlock: publicSubnetCidrs[index],
          // Only load balancers and NAT gateways live here; nothing gets a public address by default.
          mapPublicIpOnLaunch: false,
          tags: { ...clusterTag, "kubernetes.io/role/elb": "1", Name: `${clusterName}-public-${index}` },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${index}`, { subnetId: publicSubnet.id, routeTableId: publicRoutes.id }, { parent: this });
      this.publicSubnets.push(publicSubnet);

      if (index === 0 || awsConfig.natGateways === "perAz") {
        const address = new aws.ec2.Eip(`${name}-nat-${index}`, { domain: "vpc", tags: { Name: `${clusterName}-nat-${index}` } }, { parent: this });
        this.natGateways.push(
          new aws.ec2.NatGateway(
            `${name}-${index}`,
            { subnetId: publicSubnet.id, allocationId: address.id, tags: { Name: `${clusterName}-nat-${index}` } },
            { parent: this, dependsOn: [internetGateway] },
          ),
        );
      }
      const nat = this.natGateways[awsConfig.natGateways === "perAz" ? index : 0];
      const privateSubnet = new aws.ec2.Subnet(
        `${name}-private-${index}`,
        {
          vpcId: this.vpc.id,
          availabilityZone,
          cidrBlock: privateSubnetCidrs[index],
          mapPublicIpOnLaunch: false,
          tags: { ...clusterTag, "kubernetes.io/role/internal-elb": "1", Name: `${clusterName}-private-${index}` },
        },
        { parent: this },
      );
      const privateRoutes = new aws.ec2.RouteTable(
        `${name}-private-${index}`,
        { vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { Name: `${clusterName}-private-${index}` } },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${index}`, { subnetId: privateSubnet.id, routeTableId: privateRoutes.id }, { parent: this });
      this.privateRouteTables.push(privateRoutes);
      this.privateSubnets.push(privateSubnet);
    }
    // S3 traffic (uploads, results, models) stays off the NAT gateway and its per-GB charge.
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      { vpcId: this.vpc.id, serviceName: `com.amazonaws.${awsConfig.region}.s3`, vpcEndpointType: "Gateway", routeTableIds: this.privateRouteTables.map((table) => table.id) },
      { parent: this },
    );
    this.registerOutputs({ vpcId: this.vpc.id });
  }
}
