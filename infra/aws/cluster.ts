import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AwsConfig, ClusterAccess, KioskConfig, NodePoolConfig } from "../config";
import { consumerPoolLabel, consumerTaint, gpuPoolLabel, gpuTaint, systemPoolLabel } from "../seam";
import { AwsNetwork } from "./network";
import { PodIdentityRole } from "./pod-identity";

export interface EksClusterArgs {
  readonly config: KioskConfig;
  readonly aws: AwsConfig;
  readonly network: AwsNetwork;
}

/** AWS-managed policies every node needs to join the cluster, run the VPC CNI and pull images. */
export const nodeManagedPolicies = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
] as const;

/** The cluster-autoscaler reads these ASG tags to build a node from nothing when a group is at zero. */
export const nodeTemplateTagPrefix = "k8s.io/cluster-autoscaler/node-template";

interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}
const eksEffect = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" } as const;

interface NodeGroupSpec {
  readonly pool: NodePoolConfig;
  readonly amiType: string;
  readonly volumeGi: number;
  readonly labels: Record<string, string>;
  readonly taints: Taint[];
  /** Extended resources a node offers once running (the GPU), for scale-from-zero templates. */
  readonly resources?: Record<string, string>;
}

/**
 * EKS cluster (via @pulumi/eks) in the private subnets with access entries, KMS-encrypted secrets, the
 * Pod Identity agent, the EBS CSI driver with an encrypted gp3 default StorageClass, and three managed
 * node groups: system (always on), consumers and GPU (both resting at zero).
 */
export class EksCluster extends pulumi.ComponentResource {
  readonly cluster: eks.Cluster;
  readonly name: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;
  /** The role every node group runs as. */
  readonly nodeRole: aws.iam.Role;
  readonly provider: k8s.Provider;
  readonly nodeGroups: Record<"system" | "consumers" | "gpu", aws.eks.NodeGroup>;
  readonly addons: aws.eks.Addon[];
  readonly storageClass: k8s.storage.v1.StorageClass;
  readonly storageClassName = "gp3";

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:EksCluster", name, {}, opts);
    const { config, aws: awsConfig, network } = args;
    const clusterName = config.clusterName;

    const secretsKey = new aws.kms.Key(
      `${name}-secrets`,
      { description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`, enableKeyRotation: true, deletionWindowInDays: 7 },
      { parent: this },
    );
    // EKS writes the control plane's logs to this group; made here, before the cluster, it has a retention
    // and goes with `pulumi destroy` (EKS would otherwise create it itself, keep it forever, and leave it).
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(
      `${name}-control-plane-logs`,
      { name: `/aws/eks/${clusterName}/cluster`, retentionInDays: awsConfig.controlPlaneLogRetentionDays, tags: { app: "deepcell-kiosk" } },
      { parent: this },
    );
    this.cluster = new eks.Cluster(
      name,
      {
        name: clusterName,
        version: config.kubernetesVersion,
        vpcId: network.vpc.id,
        publicSubnetIds: network.publicSubnets.map((s) => s.id),
        privateSubnetIds: network.privateSubnets.map((s) => s.id),
        endpointPrivateAccess: awsConfig.apiPrivateAccess,
        endpointPublicAccess: awsConfig.apiPublicAccess,
        publicAccessCidrs: awsConfig.apiPublicAccess ? [...config.apiAllowedCidrs] : undefined,
        // Access entries, not the aws-auth ConfigMap: the creator is admin (EKS's bootstrap entry), and
        // everyone else who runs the stack (colleagues, CI's roles) is listed in kiosk:awsClusterAccess.
        authenticationMode: eks.AuthenticationMode.Api,
        accessEntries: accessEntriesFor(awsConfig.clusterAccess),
        encryptionConfigKeyArn: secretsKey.arn,
        // Node groups are ours (below); pods get AWS access through Pod Identity, not an OIDC provider.
        skipDefaultNodeGroup: true,
        createOidcProvider: false,
        // Managed node groups use the cluster security group EKS makes; pulumi-eks's own would go unused.
        skipDefaultSecurityGroups: true,
        // The platform's NetworkPolicies are enforced by the VPC CNI's network policy agent. The add-on's
        // version follows kubernetesVersion, like CoreDNS's and kube-proxy's below.
        vpcCniOptions: { enableNetworkPolicy: true, addonVersion: addonVersionFor("vpc-cni", config.kubernetesVersion) },
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
        tags: { app: "deepcell-kiosk" },
      },
      // The EKS cluster inside the component has a fixed name (kiosk:clusterName): a change that replaces it
      // must delete the old cluster first, or the new one fails with "already exists".
      { parent: this, dependsOn: [controlPlaneLogs], transforms: [deleteBeforeReplacing(eksClusterType)] },
    );
    // The name is known from config, but only means something once the cluster exists.
    this.name = this.cluster.urn.apply(() => clusterName);
    this.kubeconfig = pulumi.secret(this.cluster.kubeconfigJson);
    this.provider = new k8s.Provider(`${name}-eks`, { kubeconfig: this.kubeconfig }, { parent: this });

    const nodeRole = (this.nodeRole = new aws.iam.Role(
      `${name}-nodes`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        description: `Nodes of EKS cluster ${clusterName}`,
      },
      { parent: this },
    ));
    const nodePolicies = nodeManagedPolicies.map(
      (policyArn, index) => new aws.iam.RolePolicyAttachment(`${name}-nodes-${index}`, { role: nodeRole.name, policyArn }, { parent: this }),
    );

    const nodeGroup = (groupName: "system" | "consumers" | "gpu", spec: NodeGroupSpec): aws.eks.NodeGroup => {
      // Bottlerocket keeps container images on its second volume; AL2023 on the root volume.
      const dataDevice = spec.amiType.startsWith("BOTTLEROCKET") ? "/dev/xvdb" : "/dev/xvda";
      const template = new aws.ec2.LaunchTemplate(
        `${name}-${groupName}`,
        {
          description: `Nodes of ${clusterName}/${groupName}`,
          // IMDSv2 with one hop: pods cannot borrow the node's role; they get their own through Pod Identity.
          metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
          blockDeviceMappings: [
            { deviceName: dataDevice, ebs: { volumeSize: spec.volumeGi, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
          ],
          tagSpecifications: [{ resourceType: "instance", tags: { Name: `${clusterName}-${groupName}`, app: "deepcell-kiosk" } }],
        },
        { parent: this },
      );
      return new aws.eks.NodeGroup(
        `${name}-${groupName}`,
        {
          clusterName,
          // A generated suffix: instance, capacity and AMI type changes replace the group, and the new one
          // is created before the old one goes, which a fixed name would make fail with "already exists".
          nodeGroupNamePrefix: `${groupName}-`,
          // Nodes follow the control plane: raising kiosk:kubernetesVersion upgrades them after it.
          version: config.kubernetesVersion,
          nodeRoleArn: nodeRole.arn,
          subnetIds: network.privateSubnets.map((s) => s.id),
          instanceTypes: [spec.pool.machineType],
          capacityType: spec.pool.spot ? "SPOT" : "ON_DEMAND",
          amiType: spec.amiType,
          scalingConfig: { minSize: spec.pool.minNodes, maxSize: spec.pool.maxNodes, desiredSize: spec.pool.minNodes },
          labels: spec.labels,
          taints: spec.taints.map((t) => ({ key: t.key, value: t.value, effect: eksEffect[t.effect] })),
          launchTemplate: { id: template.id, version: pulumi.interpolate`${template.latestVersion}` },
          updateConfig: { maxUnavailable: 1 },
          tags: { app: "deepcell-kiosk" },
        },
        // The autoscaler owns the desired size once the group exists.
        { parent: this, dependsOn: [this.cluster, ...nodePolicies], ignoreChanges: ["scalingConfig.desiredSize"] },
      );
    };

    const gpuLabels: Record<string, string> = {
      [gpuPoolLabel.key]: gpuPoolLabel.value,
      // The NVIDIA device plugin chart schedules on nodes with this label.
      "nvidia.com/gpu.present": "true",
      // cluster-autoscaler recognises GPU nodes on AWS by this label.
      "k8s.amazonaws.com/accelerator": config.gpu.type,
    };
    const gpuSpec: NodeGroupSpec = {
      pool: config.gpu,
      amiType: awsConfig.gpuAmiType,
      // TF-Serving's image is several GB.
      volumeGi: 100,
      labels: gpuLabels,
      taints: [gpuTaint],
      resources: { "nvidia.com/gpu": String(config.gpu.countPerNode) },
    };
    const consumerSpec: NodeGroupSpec = {
      pool: config.consumerPool,
      amiType: "AL2023_x86_64_STANDARD",
      volumeGi: 50,
      labels: { [consumerPoolLabel.key]: consumerPoolLabel.value },
      taints: [consumerTaint],
    };
    this.nodeGroups = {
      system: nodeGroup("system", {
        pool: config.systemPool,
        amiType: "AL2023_x86_64_STANDARD",
        volumeGi: 50,
        labels: { [systemPoolLabel.key]: systemPoolLabel.value },
        taints: [],
      }),
      consumers: nodeGroup("consumers", consumerSpec),
      gpu: nodeGroup("gpu", gpuSpec),
    };
    this.tagForScaleFromZero(`${name}-consumers`, this.nodeGroups.consumers, consumerSpec);
    this.tagForScaleFromZero(`${name}-gpu`, this.nodeGroups.gpu, gpuSpec);

    // Add-ons run on nodes, and an upgrade reaches them after the control plane and the nodes.
    const afterNodes = { parent: this, dependsOn: Object.values(this.nodeGroups) };
    // `resourceName` keeps the Pulumi names the add-ons had before (renaming one would replace it).
    const addon = (addonName: string, resourceName = addonName, extra: Partial<aws.eks.AddonArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
      new aws.eks.Addon(
        `${name}-${resourceName}`,
        {
          clusterName,
          addonName,
          addonVersion: addonVersionFor(addonName, config.kubernetesVersion),
          // Adopts what EKS installed itself at creation (CoreDNS, kube-proxy run self-managed until then).
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          ...extra,
        },
        { ...afterNodes, dependsOn: [...afterNodes.dependsOn, ...dependsOn] },
      );
    const coreDns = addon("coredns");
    const kubeProxy = addon("kube-proxy");
    const podIdentityAgent = addon("eks-pod-identity-agent", "pod-identity-agent");
    const ebsCsiRole = new PodIdentityRole(
      `${name}-ebs-csi`,
      {
        clusterName,
        namespace: "kube-system",
        serviceAccount: "ebs-csi-controller-sa",
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
        // The add-on creates its own association from podIdentityAssociations below.
        associate: false,
      },
      { parent: this },
    );
    const ebsCsi = addon("aws-ebs-csi-driver", "ebs-csi", { podIdentityAssociations: [{ roleArn: ebsCsiRole.role.arn, serviceAccount: "ebs-csi-controller-sa" }] }, [podIdentityAgent]);
    this.addons = [coreDns, kubeProxy, podIdentityAgent, ebsCsi];
    this.storageClass = new k8s.storage.v1.StorageClass(
      `${name}-gp3`,
      {
        metadata: { name: this.storageClassName, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        // Volumes follow their pod's zone, and go with their claim.
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
        allowVolumeExpansion: true,
      },
      { parent: this, provider: this.provider, dependsOn: [ebsCsi] },
    );
    this.registerOutputs({ clusterName: this.name });
  }

  /**
   * A managed node group at zero has no node to copy; cluster-autoscaler learns what a new node would
   * look like (labels, taints, GPUs) from these tags on the group's Auto Scaling group.
   */
  private tagForScaleFromZero(resourcePrefix: string, group: aws.eks.NodeGroup, spec: NodeGroupSpec): void {
    const autoscalingGroupName = group.resources.apply((resources) => resources[0].autoscalingGroups[0].name);
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(spec.labels)) tags[`${nodeTemplateTagPrefix}/label/${key}`] = value;
    for (const taint of spec.taints) tags[`${nodeTemplateTagPrefix}/taint/${taint.key}`] = `${taint.value}:${taint.effect}`;
    for (const [resource, amount] of Object.entries(spec.resources ?? {})) tags[`${nodeTemplateTagPrefix}/resources/${resource}`] = amount;
    for (const [key, value] of Object.entries(tags)) {
      new aws.autoscaling.Tag(
        `${resourcePrefix}-${key.slice(nodeTemplateTagPrefix.length + 1).replace(/[^A-Za-z0-9-]+/g, "-")}`,
        { autoscalingGroupName, tag: { key, value, propagateAtLaunch: false } },
        { parent: this },
      );
    }
  }
}

/** The EKS access policy each access level is given, cluster-wide. */
export const accessPolicyArns: Readonly<Record<ClusterAccess["access"], string>> = {
  admin: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
  view: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
};

/** kiosk:awsClusterAccess as pulumi-eks access entries, keyed by a name derived from the principal. */
export function accessEntriesFor(access: readonly ClusterAccess[]): Record<string, eks.types.input.AccessEntryArgs> {
  return Object.fromEntries(
    access.map((entry) => [
      // <account>-<role|user>-<path and name>: unique per principal.
      entry.principalArn.split(":").slice(4).join("-").replace(/[^A-Za-z0-9-]/g, "-"),
      { principalArn: entry.principalArn, accessPolicies: { [entry.access]: { policyArn: accessPolicyArns[entry.access], accessScope: { type: "cluster" } } } },
    ]),
  );
}

/** The newest version of an EKS add-on for a Kubernetes version (describe-addon-versions). */
export function addonVersionFor(addonName: string, kubernetesVersion: string): pulumi.Output<string> {
  return aws.eks.getAddonVersionOutput({ addonName, kubernetesVersion, mostRecent: true }).version;
}

/** The type of the EKS cluster that @pulumi/eks's Cluster component creates. */
export const eksClusterType = "aws:eks/cluster:Cluster";

/** A transform that makes resources of `type` (inside a component too) replace delete-first. */
export function deleteBeforeReplacing(type: string): pulumi.ResourceTransform {
  return (args) => (args.type === type ? { props: args.props, opts: { ...args.opts, deleteBeforeReplace: true } } : undefined);
}
