import type { CallMock, OutputMock } from ".";

export const mockAwsAccount = "123456789012";
/** A TEST-NET-2 address (RFC 5737) standing in for the EKS API endpoint. */
export const mockEksEndpoint = "https://198.51.100.30";

const roleArn = (name: string) => `arn:aws:iam::${mockAwsAccount}:role/${name}`;

/** What AWS computes for a resource: ARNs, names, the node group's Auto Scaling group. */
export const awsOutputs: Record<string, OutputMock> = {
  "aws:acm/certificate:Certificate": (args) => ({
    arn: `arn:aws:acm:us-west-2:${mockAwsAccount}:certificate/${args.name}`,
    domainValidationOptions: [{ domainName: args.inputs.domainName, resourceRecordName: `_0123.${args.inputs.domainName}.`, resourceRecordType: "CNAME", resourceRecordValue: "_4567.acm-validations.aws." }],
  }),
  // @pulumi/eks's Cluster is a component implemented in its plugin; its outputs are mocked as a whole.
  "eks:index:Cluster": (args) => ({
    kubeconfigJson: JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "kubernetes", cluster: { server: mockEksEndpoint, "certificate-authority-data": Buffer.from("mock EKS CA").toString("base64") } }],
      contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
      "current-context": "aws",
      users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", args.inputs.name] } } }],
    }),
    clusterSecurityGroupId: "sg-cluster",
    nodeSecurityGroupId: "sg-nodes",
  }),
  "aws:iam/role:Role": (args) => ({ arn: roleArn(args.name), name: args.name }),
  "aws:kms/key:Key": (args) => ({ arn: `arn:aws:kms:us-west-2:${mockAwsAccount}:key/${args.name}` }),
  "aws:s3/bucket:Bucket": (args) => {
    const bucket = args.inputs.bucket ?? args.name;
    return { bucket, arn: `arn:aws:s3:::${bucket}` };
  },
  "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
  "aws:secretsmanager/secret:Secret": (args) => ({ arn: `arn:aws:secretsmanager:us-west-2:${mockAwsAccount}:secret:${args.inputs.name ?? args.name}-AbCdEf` }),
  "aws:eks/nodeGroup:NodeGroup": (args) => {
    const nodeGroupName = mockNodeGroupName(args.inputs);
    return {
      nodeGroupName,
      arn: `arn:aws:eks:us-west-2:${mockAwsAccount}:nodegroup/${args.inputs.clusterName}/${nodeGroupName}/mock`,
      resources: [{ autoscalingGroups: [{ name: `eks-${nodeGroupName}-mock-asg` }] }],
    };
  },
};

/** The name AWS gives a node group: its fixed name, or its prefix and a generated suffix. */
export function mockNodeGroupName(inputs: Record<string, string | undefined>): string {
  return inputs.nodeGroupName ?? `${inputs.nodeGroupNamePrefix}20261201000000000000000001`;
}

export const awsCalls: Record<string, CallMock> = {
  // describe-addon-versions: a recognisable version per add-on and Kubernetes version.
  "aws:eks/getAddonVersion:getAddonVersion": (args) => ({
    addonName: args.inputs.addonName,
    kubernetesVersion: args.inputs.kubernetesVersion,
    version: `v${args.inputs.kubernetesVersion}.0-${args.inputs.addonName}-eksbuild.1`,
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: mockAwsAccount, arn: `arn:aws:iam::${mockAwsAccount}:user/deployer`, userId: "AIDAMOCK" }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
    zoneIds: ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
  }),
};
