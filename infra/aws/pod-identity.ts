import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Trust policy that lets EKS Pod Identity hand a role's credentials to a pod, and nothing else assume it. */
export const podIdentityTrustPolicy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
});

export interface PodIdentityRoleArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Inline policy document (JSON) granting exactly what the pod needs. */
  readonly policy?: pulumi.Input<string>;
  /** AWS-managed policies, for add-ons whose needs AWS maintains (e.g. the EBS CSI driver). */
  readonly managedPolicyArns?: string[];
  /** False when something else (an EKS add-on) creates the association for this role; default true. */
  readonly associate?: boolean;
}

/**
 * An IAM role for one Kubernetes service account, delivered to its pods by EKS Pod Identity: no
 * access keys, no OIDC provider, and the association names the exact namespace and account.
 */
export class PodIdentityRole extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly association?: aws.eks.PodIdentityAssociation;

  constructor(name: string, args: PodIdentityRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:PodIdentityRole", name, {}, opts);
    this.role = new aws.iam.Role(name, { assumeRolePolicy: podIdentityTrustPolicy, description: `Pod Identity for ${args.namespace}/${args.serviceAccount}` }, { parent: this });
    if (args.policy !== undefined) {
      new aws.iam.RolePolicy(name, { role: this.role.name, policy: args.policy }, { parent: this });
    }
    for (const [index, policyArn] of (args.managedPolicyArns ?? []).entries()) {
      new aws.iam.RolePolicyAttachment(`${name}-${index}`, { role: this.role.name, policyArn }, { parent: this });
    }
    if (args.associate !== false) {
      this.association = new aws.eks.PodIdentityAssociation(
        name,
        { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: this.role.arn },
        { parent: this },
      );
    }
    this.registerOutputs({ roleArn: this.role.arn });
  }
}
