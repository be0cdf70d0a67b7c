import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { systemPoolLabel } from "../seam";
import { ChartSource, clusterAutoscalerImageTags, upstreamChart } from "../upstream-charts";
import { PodIdentityRole } from "./pod-identity";

export interface ClusterAutoscalerArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly chart: ChartSource;
}

const namespace = "kube-system";
const serviceAccount = "cluster-autoscaler";

/** What cluster-autoscaler may do in AWS: read everywhere, but resize or shrink only this cluster's groups. */
export function clusterAutoscalerPolicy(clusterName: string, region: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Discover",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "autoscaling:DescribeTags",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
        ],
        Resource: "*",
      },
      { Sid: "ReadNodeGroups", Effect: "Allow", Action: ["eks:DescribeNodegroup"], Resource: `arn:aws:eks:${region}:*:nodegroup/${clusterName}/*/*` },
      {
        Sid: "ScaleOwnGroups",
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
      },
    ],
  });
}

/**
 * The node autoscaler on AWS: cluster-autoscaler from its upstream chart, finding the cluster's managed
 * node groups by the tags EKS puts on their Auto Scaling groups, with AWS access through Pod Identity.
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;
  readonly role: PodIdentityRole;

  constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:ClusterAutoscaler", name, {}, opts);
    this.role = new PodIdentityRole(
      `${name}-role`,
      { clusterName: args.clusterName, namespace, serviceAccount, policy: clusterAutoscalerPolicy(args.clusterName, args.region) },
      { parent: this },
    );
    this.chart = upstreamChart(
      name,
      args.chart,
      "cluster-autoscaler",
      namespace,
      {
        cloudProvider: "aws",
        awsRegion: args.region,
        autoDiscovery: { clusterName: args.clusterName },
        rbac: { serviceAccount: { create: true, name: serviceAccount } },
        image: { tag: clusterAutoscalerImageTags[args.kubernetesVersion] },
        extraArgs: {
          // Pick the group that wastes least; GPU and consumer groups never compete for the same pod anyway.
          expander: "least-waste",
          "balance-similar-node-groups": true,
          "skip-nodes-with-system-pods": false,
          "scan-interval": "10s",
          // An idle GPU node costs the most: give it back five minutes after it empties.
          "scale-down-unneeded-time": "5m",
          "scale-down-delay-after-add": "5m",
          "max-node-provision-time": "15m",
        },
        nodeSelector: { [systemPoolLabel.key]: systemPoolLabel.value },
        resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } },
        // The chart sets no user; the autoscaler needs none but its service account token (readable by any user).
        securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
        containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      },
      { parent: this, dependsOn: [this.role] },
    );
    this.registerOutputs({});
  }
}
