import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig, portalSignIn, portalSourceRanges } from "../config";
import { gatewayClass, gatewayStatusAddress, portalRequestSeconds } from "../platform/front-door";
import { dependencyList, DnsRecord, FrontDoor, PortalAttachment, PortalEndpoint, systemPoolLabel } from "../seam";
import { ChartSource, upstreamChart } from "../upstream-charts";
import { PodIdentityRole } from "./pod-identity";

export const albGatewayClassName = "aws-alb";
/** The GatewayClass controller name of the controller's ALB side (kubernetes-sigs/aws-load-balancer-controller@v3.5.0 docs/guide/gateway/l7gateway.md). */
export const albGatewayControllerName = "gateway.k8s.aws/alb";
const controllerNamespace = "kube-system";
/** Named explicitly: the Pod Identity association and the sign-in Secret's RoleBinding refer to it. */
export const loadBalancerControllerServiceAccount = "aws-load-balancer-controller";
/** The tag the controller puts on everything it creates, which its IAM policy's conditions key on. */
const controllerTag = "elbv2.k8s.aws/cluster";
const signInSecretName = "portal-sign-in";

export interface AlbFrontDoorArgs {
  readonly config: KioskConfig;
  readonly clusterName: pulumi.Input<string>;
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's range: an ALB with IP targets reaches the pods from its own addresses in the public subnets. */
  readonly vpcCidr: string;
  readonly charts: { readonly gatewayCrds: ChartSource; readonly controller: ChartSource };
  /** What the controller needs to run (the system node group, the add-ons); its release goes before them at destroy. */
  readonly dependsOn: pulumi.Resource[];
}

/**
 * The portal's front door on EKS: the AWS Load Balancer Controller turns the portal's Gateway into an
 * internet-facing ALB with IP targets, its LoadBalancerConfiguration admits kiosk:portalAllowedCidrs (the
 * ALB's security group) and holds the ACM certificate, and a ListenerRuleConfiguration signs people in
 * (authenticate-oidc).
 */
export class AlbFrontDoor extends pulumi.ComponentResource implements FrontDoor {
  readonly implementation = "aws-load-balancer-controller" as const;
  readonly gatewayClassName = albGatewayClassName;
  readonly dependencies: pulumi.Resource[];
  readonly trafficFrom: k8s.types.input.networking.v1.NetworkPolicyPeer[];
  /** The domain's certificate; undefined without kiosk:domain. */
  readonly certificate?: aws.acm.Certificate;
  /** The CNAME ACM validates the domain by, for the user to create. */
  readonly dnsValidation?: pulumi.Output<DnsRecord[]>;

  constructor(name: string, args: AlbFrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:AlbFrontDoor", name, {}, opts);
    const { config } = args;
    this.trafficFrom = [{ ipBlock: { cidr: args.vpcCidr } }];
    const role = new PodIdentityRole(
      `${name}-controller`,
      { clusterName: args.clusterName, namespace: controllerNamespace, serviceAccount: loadBalancerControllerServiceAccount, policy: loadBalancerControllerPolicy() },
      { parent: this },
    );
    // The controller turns its ALB Gateway support off at start-up when any of the Gateway API's CRDs is
    // missing (v3.5.0 pkg/gateway/crddetect/gateway_feature_flags.go), and EKS has none: they go first.
    const crds = upstreamChart(
      `${name}-gateway-crds`,
      args.charts.gatewayCrds,
      "gateway-crds",
      controllerNamespace,
      { crds: { gatewayAPI: { enabled: true, channel: "standard" }, envoyGateway: { enabled: false } } },
      { parent: this, dependsOn: args.dependsOn },
    );
    const controller = upstreamChart(
      `${name}-controller`,
      args.charts.controller,
      "aws-load-balancer-controller",
      controllerNamespace,
      {
        clusterName: args.clusterName,
        // From the stack, not the instance metadata service, which pods may not reach.
        region: args.region,
        vpcId: args.vpcId,
        serviceAccount: { create: true, name: loadBalancerControllerServiceAccount },
        // Only the portal's Gateway: the VPN's and the exposed UIs' Services stay with EKS's own NLB support.
        enableServiceMutatorWebhook: false,
        createIngressClassResource: false,
        // Otherwise every render makes a new webhook CA, and every `pulumi up` a diff.
        keepTLSSecret: true,
        nodeSelector: { [systemPoolLabel.key]: systemPoolLabel.value },
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        // The chart's own leaves capabilities and seccomp unset, which the restricted Pod Security level refuses.
        podSecurityContext: { fsGroup: 65534, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        securityContext: { readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
      },
      { parent: this, dependsOn: [...args.dependsOn, crds, role] },
    );
    this.dependencies = [controller, gatewayClass(`${name}-gateway-class`, albGatewayClassName, albGatewayControllerName, { parent: this, dependsOn: [controller] })];
    if (config.domain !== undefined) {
      // DNS validation: the user creates the CNAME the stack outputs; the controller retries the HTTPS listener until ACM has issued it.
      this.certificate = new aws.acm.Certificate(`${name}-portal`, { domainName: config.domain, validationMethod: "DNS", tags: { Name: `${config.clusterName}-portal` } }, { parent: this });
      this.dependencies.push(this.certificate);
      this.dnsValidation = this.certificate.domainValidationOptions.apply((options) =>
        (options ?? []).map((o) => ({ name: o.resourceRecordName ?? "", type: o.resourceRecordType ?? "", value: o.resourceRecordValue ?? "" })),
      );
    }
    this.registerOutputs({});
  }

  portal(portal: PortalEndpoint, opts: pulumi.CustomResourceOptions): PortalAttachment {
    const after = (extra: pulumi.Resource[] = []) => ({ ...opts, dependsOn: [...dependencyList(opts.dependsOn), ...this.dependencies, ...extra] });
    const lbc = (resourceName: string, kind: string, metadataName: string, spec: Record<string, unknown>, extra: pulumi.Resource[] = []) =>
      new k8s.apiextensions.CustomResource(resourceName, { apiVersion: "gateway.k8s.aws/v1", kind, metadata: { name: metadataName, namespace: portal.namespace }, spec }, after(extra));
    const sourceRanges = portalSourceRanges(portal.access);
    const resources: pulumi.Resource[] = [];
    // kubernetes-sigs/aws-load-balancer-controller@v3.5.0 apis/gateway/v1/loadbalancerconfig_types.go.
    resources.push(
      lbc(`${portal.gatewayName}-load-balancer`, "LoadBalancerConfiguration", portal.gatewayName, {
        scheme: "internet-facing",
        ...(sourceRanges ? { sourceRanges } : {}),
        ...(this.certificate ? { listenerConfigurations: [{ protocolPort: "HTTPS:443", defaultCertificate: this.certificate.arn }] } : {}),
        // The idle timeout (default 60 s, at most 4000): the frontend answers an upload only once it has stored it in the bucket.
        loadBalancerAttributes: [{ key: "idle_timeout.timeout_seconds", value: String(portalRequestSeconds) }],
      }),
    );
    // IP targets: the ALB sends to the pods themselves, so the frontend's Service stays ClusterIP (apis/gateway/v1/targetgroupconfig_types.go).
    resources.push(
      lbc(`${portal.routeName}-target-group`, "TargetGroupConfiguration", portal.service.name, {
        targetReference: { name: portal.service.name },
        defaultConfiguration: { targetType: "ip", healthCheckConfig: { healthCheckPath: "/", healthCheckProtocol: "HTTP" } },
      }),
    );
    const routeFilters: Record<string, unknown>[] = [];
    const signIn = portalSignIn(portal.access);
    if (signIn?.endpoints) {
      // The controller reads the client from keys clientID and clientSecret (pkg/gateway/routeutils/route_rule_action.go),
      // and reads no Secret it is not granted (the chart's clusterSecretsPermissions.allowAllSecrets is false).
      const secret = new k8s.core.v1.Secret(`${portal.routeName}-sign-in`, { metadata: { name: signInSecretName, namespace: portal.namespace }, type: "Opaque", stringData: { clientID: signIn.clientId, clientSecret: signIn.clientSecret } }, opts);
      const role = new k8s.rbac.v1.Role(
        `${portal.routeName}-sign-in-reader`,
        { metadata: { name: "aws-load-balancer-controller-sign-in", namespace: portal.namespace }, rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [signInSecretName], verbs: ["get", "list", "watch"] }] },
        opts,
      );
      const binding = new k8s.rbac.v1.RoleBinding(
        `${portal.routeName}-sign-in-reader`,
        {
          metadata: { name: "aws-load-balancer-controller-sign-in", namespace: portal.namespace },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "aws-load-balancer-controller-sign-in" },
          subjects: [{ kind: "ServiceAccount", name: loadBalancerControllerServiceAccount, namespace: controllerNamespace }],
        },
        { ...opts, dependsOn: [...dependencyList(opts.dependsOn), role] },
      );
      const rule = lbc(
        `${portal.routeName}-sign-in`,
        "ListenerRuleConfiguration",
        `${portal.routeName}-sign-in`,
        {
          actions: [
            {
              type: "authenticate-oidc",
              authenticateOIDCConfig: {
                issuer: signIn.issuer,
                authorizationEndpoint: signIn.endpoints.authorization,
                tokenEndpoint: signIn.endpoints.token,
                userInfoEndpoint: signIn.endpoints.userInfo,
                secret: { name: signInSecretName },
                onUnauthenticatedRequest: "authenticate",
              },
            },
          ],
        },
        [secret, binding],
      );
      resources.push(secret, role, binding, rule);
      routeFilters.push({ type: "ExtensionRef", extensionRef: { group: "gateway.k8s.aws", kind: "ListenerRuleConfiguration", name: `${portal.routeName}-sign-in` } });
    }
    const domain = portal.domain;
    return {
      // `pulumi up` waits until the controller has made the ALB and written its name to the Gateway's status,
      // so that `url` is known after the first up (pulumi/pulumi-kubernetes@v4.25.0 provider/pkg/metadata/overrides.go
      // ReadyCondition; provider/pkg/jsonpath/jsonpath.go Parse: a path given no value waits for it to be present).
      gatewayAnnotations: { "pulumi.com/waitFor": "jsonpath={.status.addresses[0].value}" },
      gatewayInfrastructure: { parametersRef: { group: "gateway.k8s.aws", kind: "LoadBalancerConfiguration", name: portal.gatewayName } },
      ...(this.certificate ? { https: {} } : {}),
      routeFilters,
      resources,
      // The ALB's DNS name, which the controller writes to the Gateway's status once the ALB exists.
      url: (gateway) => (domain !== undefined ? pulumi.output(`https://${domain}`) : gatewayStatusAddress(gateway).apply((address) => (address ? `http://${address}` : ""))),
    };
  }
}

/**
 * What the controller may do in the account: read the network and the load balancers, and create, change
 * and delete only the load balancers, target groups and security groups it tagged with elbv2.k8s.aws/cluster.
 * The actions are the ones the controller's own policy lists (kubernetes-sigs/aws-load-balancer-controller@v3.5.0
 * docs/install/iam_policy.json), less Cognito, WAF Classic and Shield protections, which the portal does not use.
 */
export function loadBalancerControllerPolicy(): string {
  const tagged = { Null: { [`aws:ResourceTag/${controllerTag}`]: "false" } };
  const taggedOnCreate = { Null: { [`aws:RequestTag/${controllerTag}`]: "false" } };
  const loadBalancersAndTargetGroups = ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*", "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*"];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ServiceLinkedRole", Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } } },
      {
        Sid: "Read",
        Effect: "Allow",
        Resource: "*",
        Action: [
          ...["DescribeAccountAttributes", "DescribeAddresses", "DescribeAvailabilityZones", "DescribeInternetGateways", "DescribeVpcs", "DescribeVpcPeeringConnections", "DescribeSubnets", "DescribeSecurityGroups", "DescribeInstances", "DescribeNetworkInterfaces", "DescribeTags", "GetCoipPoolUsage", "DescribeCoipPools", "GetSecurityGroupsForVpc", "DescribeIpamPools", "DescribeRouteTables"].map((a) => `ec2:${a}`),
          ...["DescribeLoadBalancers", "DescribeLoadBalancerAttributes", "DescribeListeners", "DescribeListenerCertificates", "DescribeSSLPolicies", "DescribeRules", "DescribeTargetGroups", "DescribeTargetGroupAttributes", "DescribeTargetHealth", "DescribeTags", "DescribeTrustStores", "DescribeListenerAttributes", "DescribeCapacityReservation"].map((a) => `elasticloadbalancing:${a}`),
          "acm:ListCertificates",
          "acm:DescribeCertificate",
          "wafv2:GetWebACL",
          "wafv2:GetWebACLForResource",
          "shield:GetSubscriptionState",
        ],
      },
      // Rules on the nodes' security groups, which the controller did not create, so that the ALB reaches the pods.
      { Sid: "BackendRules", Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], Resource: "*" },
      { Sid: "CreateSecurityGroup", Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: "*" },
      { Sid: "TagNewSecurityGroup", Effect: "Allow", Action: "ec2:CreateTags", Resource: "arn:aws:ec2:*:*:security-group/*", Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, ...taggedOnCreate } },
      { Sid: "TagOwnSecurityGroups", Effect: "Allow", Action: ["ec2:CreateTags", "ec2:DeleteTags"], Resource: "arn:aws:ec2:*:*:security-group/*", Condition: { Null: { [`aws:RequestTag/${controllerTag}`]: "true", [`aws:ResourceTag/${controllerTag}`]: "false" } } },
      { Sid: "OwnSecurityGroups", Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"], Resource: "*", Condition: tagged },
      { Sid: "CreateLoadBalancers", Effect: "Allow", Action: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"], Resource: "*", Condition: taggedOnCreate },
      { Sid: "TagNewLoadBalancers", Effect: "Allow", Action: "elasticloadbalancing:AddTags", Resource: loadBalancersAndTargetGroups, Condition: { StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] }, ...taggedOnCreate } },
      { Sid: "TagOwnLoadBalancers", Effect: "Allow", Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"], Resource: loadBalancersAndTargetGroups, Condition: { Null: { [`aws:RequestTag/${controllerTag}`]: "true", [`aws:ResourceTag/${controllerTag}`]: "false" } } },
      {
        Sid: "TagListenersAndRules",
        Effect: "Allow",
        Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        Resource: ["arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*", "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*"],
      },
      {
        Sid: "OwnLoadBalancers",
        Effect: "Allow",
        Resource: "*",
        Condition: tagged,
        Action: ["ModifyLoadBalancerAttributes", "SetIpAddressType", "SetSecurityGroups", "SetSubnets", "DeleteLoadBalancer", "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup", "ModifyListenerAttributes", "ModifyCapacityReservation", "ModifyIpPools"].map((a) => `elasticloadbalancing:${a}`),
      },
      {
        Sid: "ListenersAndRules",
        Effect: "Allow",
        Resource: "*",
        Action: ["CreateListener", "DeleteListener", "CreateRule", "DeleteRule", "ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates", "ModifyRule", "SetRulePriorities"].map((a) => `elasticloadbalancing:${a}`),
      },
      { Sid: "Targets", Effect: "Allow", Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], Resource: "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*" },
    ],
  });
}
