import { loadBalancerControllerPolicy } from "../infra/aws/front-door";
import { ConfigError } from "../infra/config";
import { evaluateStack, RegisteredResource, StackGraph } from "../offline/evaluate";
import { deleteBeforeReplacing, eksClusterType } from "../infra/aws/cluster";
import { mockNodeGroupName } from "../offline/mocks/aws";

const nodeGroup = (graph: StackGraph, name: string): RegisteredResource => graph.one("aws:eks/nodeGroup:NodeGroup", `kiosk-eks-${name}`);
const templateOf = (graph: StackGraph, group: RegisteredResource): RegisteredResource =>
  graph.ofType("aws:ec2/launchTemplate:LaunchTemplate").find((t) => group.inputs.launchTemplate.id === `${t.name}-id`)!;
const asgTags = (graph: StackGraph, group: RegisteredResource): Record<string, string> => {
  const asg = `eks-${mockNodeGroupName(group.inputs)}-mock-asg`;
  return Object.fromEntries(
    graph.ofType("aws:autoscaling/tag:Tag").filter((t) => t.inputs.autoscalingGroupName === asg).map((t) => [t.inputs.tag.key, t.inputs.tag.value]),
  );
};
const policyOf = (resource: RegisteredResource) => JSON.parse(resource.inputs.policy);
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe("the aws stack's cloud layer", () => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack("aws");
  });

  describe("the VPC", () => {
    it("has a public and a private subnet in each of two zones, tagged for load balancers", () => {
      const subnets = graph.ofType("aws:ec2/subnet:Subnet");
      const publics = subnets.filter((s) => s.inputs.tags["kubernetes.io/role/elb"] === "1");
      const privates = subnets.filter((s) => s.inputs.tags["kubernetes.io/role/internal-elb"] === "1");
      expect(publics).toHaveLength(2);
      expect(privates).toHaveLength(2);
      expect(new Set(privates.map((s) => s.inputs.availabilityZone))).toEqual(new Set(["us-west-2a", "us-west-2b"]));
      for (const subnet of subnets) {
        expect(subnet.inputs.tags["kubernetes.io/cluster/deepcell"]).toBe("shared");
        expect(subnet.inputs.mapPublicIpOnLaunch).toBe(false);
      }
    });

    it("shares one NAT gateway by default, and has one per zone when asked", async () => {
      expect(graph.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(1);
      const perAz = await evaluateStack("aws", { "kiosk:awsNatGateways": "perAz", "kiosk:awsAvailabilityZones": 3 });
      expect(perAz.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(3);
      expect(perAz.ofType("aws:ec2/subnet:Subnet")).toHaveLength(6);
      const routes = perAz.ofType("aws:ec2/routeTable:RouteTable").filter((t) => t.inputs.routes[0].natGatewayId);
      expect(new Set(routes.map((t) => t.inputs.routes[0].natGatewayId)).size).toBe(3);
    });

    it("keeps S3 traffic off the NAT gateway", () => {
      const endpoint = graph.one("aws:ec2/vpcEndpoint:VpcEndpoint");
      expect(endpoint.inputs).toMatchObject({ serviceName: "com.amazonaws.us-west-2.s3", vpcEndpointType: "Gateway" });
      expect(endpoint.inputs.routeTableIds).toHaveLength(2);
    });
  });

  describe("the EKS cluster", () => {
    let cluster: RegisteredResource;
    beforeAll(() => {
      cluster = graph.one("eks:index:Cluster");
    });

    it("runs the configured Kubernetes version with access entries and KMS-encrypted secrets", () => {
      expect(cluster.inputs).toMatchObject({ name: "deepcell", version: "1.35", authenticationMode: "API", skipDefaultNodeGroup: true, createOidcProvider: false });
      const key = graph.one("aws:kms/key:Key");
      expect(key.inputs.enableKeyRotation).toBe(true);
      expect(cluster.inputs.encryptionConfigKeyArn).toBe(`arn:aws:kms:us-west-2:123456789012:key/${key.name}`);
    });

    it("opens the API privately and publicly only to apiAllowedCidrs, as configured", async () => {
      expect(cluster.inputs).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] });
      const restricted = await evaluateStack("aws", { "kiosk:apiAllowedCidrs": ["203.0.113.0/24"] });
      expect(restricted.one("eks:index:Cluster").inputs.publicAccessCidrs).toEqual(["203.0.113.0/24"]);
      const privateOnly = await evaluateStack("aws", { "kiosk:awsApiPublicAccess": false });
      expect(privateOnly.one("eks:index:Cluster").inputs).toMatchObject({ endpointPublicAccess: false, endpointPrivateAccess: true });
      expect(privateOnly.one("eks:index:Cluster").inputs.publicAccessCidrs).toBeUndefined();
    });

    it("puts nodes in the private subnets, enforces NetworkPolicies, and makes no security group that nothing uses", () => {
      expect(cluster.inputs.nodeAssociatePublicIpAddress).toBeUndefined();
      expect(cluster.inputs.skipDefaultSecurityGroups).toBe(true);
      expect(cluster.inputs.privateSubnetIds).toHaveLength(2);
      expect(cluster.inputs.vpcCniOptions).toMatchObject({ enableNetworkPolicy: true });
    });

    it("gives the people and pipelines in kiosk:awsClusterAccess their access entries, and none to anyone else", async () => {
      expect(cluster.inputs.accessEntries).toEqual({});
      const shared = await evaluateStack("aws", {
        "kiosk:awsClusterAccess": ["arn:aws:iam::123456789012:role/kiosk-ci-preview=view", "arn:aws:iam::123456789012:role/ops/kiosk-deploy=admin"],
      });
      expect(shared.one("eks:index:Cluster").inputs.accessEntries).toEqual({
        "123456789012-role-kiosk-ci-preview": {
          principalArn: "arn:aws:iam::123456789012:role/kiosk-ci-preview",
          accessPolicies: { view: { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", accessScope: { type: "cluster" } } },
        },
        "123456789012-role-ops-kiosk-deploy": {
          principalArn: "arn:aws:iam::123456789012:role/ops/kiosk-deploy",
          accessPolicies: { admin: { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } } },
        },
      });
    });

    it("replaces the EKS cluster, whose name is fixed, delete-first: a transform reaches inside @pulumi/eks's component", () => {
      expect(cluster.transformCount).toBe(1);
      const transform = deleteBeforeReplacing(eksClusterType);
      const opts = { parent: undefined };
      expect(transform({ type: eksClusterType, name: "kiosk-eks-eksCluster", custom: true, props: { name: "deepcell" }, opts })).toEqual({ props: { name: "deepcell" }, opts: { parent: undefined, deleteBeforeReplace: true } });
      expect(transform({ type: "aws:iam/role:Role", name: "r", custom: true, props: {}, opts })).toBeUndefined();
    });

    it("creates the control plane's log group itself, before the cluster, with a retention, so that destroy removes it", async () => {
      const logs = graph.one("aws:cloudwatch/logGroup:LogGroup", "kiosk-eks-control-plane-logs");
      expect(logs.inputs).toMatchObject({ name: "/aws/eks/deepcell/cluster", retentionInDays: 30 });
      expect(graph.dependsOn(cluster, logs)).toBe(true);
      const week = await evaluateStack("aws", { "kiosk:awsControlPlaneLogRetentionDays": 7 });
      expect(week.one("aws:cloudwatch/logGroup:LogGroup", "kiosk-eks-control-plane-logs").inputs.retentionInDays).toBe(7);
    });

    it("upgrades the control plane, then the node groups, then every managed add-on, from one change of kiosk:kubernetesVersion", async () => {
      const upgraded = await evaluateStack("aws", { "kiosk:kubernetesVersion": "1.36" });
      for (const [g, version] of [[graph, "1.35"], [upgraded, "1.36"]] as const) {
        const c = g.one("eks:index:Cluster");
        expect(c.inputs.version).toBe(version);
        expect(c.inputs.vpcCniOptions.addonVersion).toBe(`v${version}.0-vpc-cni-eksbuild.1`);
        const groups = g.ofType("aws:eks/nodeGroup:NodeGroup");
        for (const group of groups) {
          expect(group.inputs.version).toBe(version);
          expect(g.dependsOn(group, c)).toBe(true);
        }
        const addons = g.ofType("aws:eks/addon:Addon");
        expect(addons.map((a) => a.inputs.addonName).sort()).toEqual(["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy"]);
        // The add-ons that existed before keep their Pulumi names, so no existing stack replaces them.
        expect(addons.map((a) => a.name).sort()).toEqual(["kiosk-eks-coredns", "kiosk-eks-ebs-csi", "kiosk-eks-kube-proxy", "kiosk-eks-pod-identity-agent"]);
        for (const addon of addons) {
          expect(addon.inputs.addonVersion).toBe(`v${version}.0-${addon.inputs.addonName}-eksbuild.1`);
          for (const group of groups) expect(g.dependsOn(addon, group)).toBe(true);
        }
      }
    });

    it("installs the Pod Identity agent and the EBS CSI driver, the driver with its own Pod Identity role", () => {
      const addons = graph.ofType("aws:eks/addon:Addon");
      expect(addons.map((a) => a.inputs.addonName)).toEqual(expect.arrayContaining(["aws-ebs-csi-driver", "eks-pod-identity-agent"]));
      const ebs = addons.find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!;
      expect(ebs.inputs.podIdentityAssociations).toEqual([{ roleArn: expect.stringMatching(/ebs-csi$/), serviceAccount: "ebs-csi-controller-sa" }]);
      const ebsRole = graph.one("aws:iam/role:Role", "kiosk-eks-ebs-csi");
      expect(JSON.parse(ebsRole.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
    });

    it("makes an encrypted gp3 StorageClass the default, used for the platform's volumes", () => {
      const storageClass = graph.one("kubernetes:storage.k8s.io/v1:StorageClass");
      expect(storageClass.inputs).toMatchObject({
        metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        volumeBindingMode: "WaitForFirstConsumer",
        reclaimPolicy: "Delete",
      });
      const redis = graph.ofType("kubernetes:helm.sh/v3:Release").find((c) => c.inputs.chart === "charts/redis")!;
      expect(JSON.stringify(redis.inputs.values)).toContain('"storageClassName":"gp3"');
    });
  });

  describe("node groups", () => {
    it("has a system, a consumer and a GPU group in the private subnets", () => {
      const groups = graph.ofType("aws:eks/nodeGroup:NodeGroup");
      // Generated names: a replacement (new instance, capacity or AMI type) creates the new group before deleting the old.
      expect(groups.map((g) => g.inputs.nodeGroupNamePrefix).sort()).toEqual(["consumers-", "gpu-", "system-"]);
      for (const group of groups) expect(group.inputs.nodeGroupName).toBeUndefined();
      for (const group of groups) {
        expect(group.inputs.clusterName).toBe("deepcell");
        expect(group.inputs.subnetIds).toHaveLength(2);
        expect(graph.dependsOn(group, graph.one("eks:index:Cluster"))).toBe(true);
      }
    });

    it("keeps an on-demand system group of at least one node", () => {
      const system = nodeGroup(graph, "system");
      expect(system.inputs.scalingConfig.minSize).toBeGreaterThanOrEqual(1);
      expect(system.inputs).toMatchObject({ capacityType: "ON_DEMAND", amiType: "AL2023_x86_64_STANDARD", taints: [] });
    });

    it("rests consumers at zero on spot, labelled and tainted for consumers only, sized from the GPU count", () => {
      const consumers = nodeGroup(graph, "consumers");
      // 4 GPUs × (150 segmentation consumers × 0.3 vCPU + 100 segmentation-zip consumers × 0.2 vCPU) = 260 vCPU,
      // on m6i.large (2 vCPUs, 1.8 for pods): ceil(260 / 1.8) = 145 nodes.
      expect(consumers.inputs).toMatchObject({
        capacityType: "SPOT",
        instanceTypes: ["m6i.large"],
        scalingConfig: { minSize: 0, maxSize: 145, desiredSize: 0 },
        labels: { consumer: "yes" },
        taints: [{ key: "consumer", value: "yes", effect: "NO_SCHEDULE" }],
      });
    });

    it("rests the GPU group at zero on the NVIDIA AMI, spot by default, tainted, labelled for the platform's selector", async () => {
      const gpu = nodeGroup(graph, "gpu");
      expect(gpu.inputs).toMatchObject({
        amiType: "AL2023_x86_64_NVIDIA",
        instanceTypes: ["g4dn.xlarge"],
        capacityType: "SPOT",
        scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 0 },
        taints: [{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }],
      });
      expect(gpu.inputs.labels["kiosk.deepcell.org/pool"]).toBe("gpu");
      const onDemand = await evaluateStack("aws", { "kiosk:gpuSpot": false });
      expect(nodeGroup(onDemand, "gpu").inputs.capacityType).toBe("ON_DEMAND");
    });

    it("keeps consumers' requests to TF-Serving in their own zone where it can, since both groups span the zones", () => {
      expect(graph.one("kubernetes:helm.sh/v3:Release", "kiosk-tf-serving").inputs.values.trafficDistribution).toBe("PreferClose");
    });

    it("follows the GPU config: instance type, AMI, bounds and spot", async () => {
      const custom = await evaluateStack("aws", {
        "kiosk:gpuType": "nvidia-a10g",
        "kiosk:gpuMachineType": "g5.2xlarge",
        "kiosk:awsGpuAmiType": "BOTTLEROCKET_x86_64_NVIDIA",
        "kiosk:maxGpuNodes": 8,
        "kiosk:gpuSpot": true,
      });
      const gpu = nodeGroup(custom, "gpu");
      expect(gpu.inputs).toMatchObject({ amiType: "BOTTLEROCKET_x86_64_NVIDIA", instanceTypes: ["g5.2xlarge"], capacityType: "SPOT" });
      expect(gpu.inputs.scalingConfig).toMatchObject({ minSize: 0, maxSize: 8 });
      // Bottlerocket's NVIDIA variant brings its own device plugin, and keeps images on its data volume.
      expect(custom.has("kiosk:aws:NvidiaDevicePlugin")).toBe(false);
      expect(templateOf(custom, gpu).inputs.blockDeviceMappings[0].deviceName).toBe("/dev/xvdb");
    });

    it("leaves the desired size to the autoscaler after creation", () => {
      for (const group of graph.ofType("aws:eks/nodeGroup:NodeGroup")) {
        expect(group.inputs.scalingConfig.desiredSize).toBe(group.inputs.scalingConfig.minSize);
        expect(group.ignoreChanges).toContain("scalingConfig.desiredSize");
      }
    });

    it("gives every node encrypted gp3 volumes and IMDSv2 with one hop, so pods cannot use the node's role", () => {
      for (const group of graph.ofType("aws:eks/nodeGroup:NodeGroup")) {
        const template = templateOf(graph, group);
        expect(template.inputs.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
        expect(template.inputs.blockDeviceMappings[0].ebs).toMatchObject({ volumeType: "gp3", encrypted: "true" });
      }
      expect(templateOf(graph, nodeGroup(graph, "gpu")).inputs.blockDeviceMappings[0].ebs.volumeSize).toBeGreaterThanOrEqual(100);
    });

    it("runs nodes under a role with only the node policies", () => {
      const attachments = graph.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === "kiosk-eks-nodes");
      expect(attachments.map((a) => a.inputs.policyArn).sort()).toEqual([
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
      ]);
      expect(graph.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").every((a) => !/AdministratorAccess|PowerUser|AmazonS3FullAccess/.test(a.inputs.policyArn))).toBe(true);
    });
  });

  describe("node autoscaling", () => {
    it("tags each group that rests at zero with its labels, taints and GPUs, exactly as its nodes will have them", () => {
      for (const name of ["consumers", "gpu"]) {
        const group = nodeGroup(graph, name);
        const tags = asgTags(graph, group);
        const expected: Record<string, string> = {};
        for (const [key, value] of Object.entries<string>(group.inputs.labels)) expected[`k8s.io/cluster-autoscaler/node-template/label/${key}`] = value;
        const effects: Record<string, string> = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" };
        for (const taint of group.inputs.taints) expected[`k8s.io/cluster-autoscaler/node-template/taint/${taint.key}`] = `${taint.value}:${effects[taint.effect]}`;
        if (name === "gpu") expected["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] = "1";
        expect(tags).toEqual(expected);
      }
      expect(asgTags(graph, nodeGroup(graph, "gpu"))["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"]).toBe("present:NoSchedule");
      for (const tag of graph.ofType("aws:autoscaling/tag:Tag")) expect(tag.inputs.tag.propagateAtLaunch).toBe(false);
    });

    it("advertises as many GPUs per node as configured", async () => {
      const two = await evaluateStack("aws", { "kiosk:gpuMachineType": "g4dn.12xlarge", "kiosk:gpusPerNode": 2 });
      expect(asgTags(two, nodeGroup(two, "gpu"))["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"]).toBe("2");
    });

    it("installs cluster-autoscaler from its pinned chart, matching the cluster's version, discovering this cluster", () => {
      const chart = graph.one("kubernetes:helm.sh/v3:Release", "kiosk-cluster-autoscaler");
      expect(chart.inputs).toMatchObject({ chart: "cluster-autoscaler", version: "9.59.0", repositoryOpts: { repo: "https://kubernetes.github.io/autoscaler" }, namespace: "kube-system" });
      expect(chart.inputs.values).toMatchObject({
        cloudProvider: "aws",
        awsRegion: "us-west-2",
        autoDiscovery: { clusterName: "deepcell" },
        image: { tag: "v1.35.2" },
        rbac: { serviceAccount: { create: true, name: "cluster-autoscaler" } },
        nodeSelector: { "kiosk.deepcell.org/pool": "system" },
      });
      expect(JSON.stringify(chart.inputs.values)).not.toMatch(/awsAccessKeyID|awsSecretAccessKey/);
    });

    it("gives cluster-autoscaler a Pod Identity role that can resize only this cluster's groups", () => {
      const association = graph.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.inputs.serviceAccount === "cluster-autoscaler")!;
      expect(association.inputs).toMatchObject({ clusterName: "deepcell", namespace: "kube-system" });
      const policy = policyOf(graph.one("aws:iam/rolePolicy:RolePolicy", "kiosk-cluster-autoscaler-role"));
      const writes = policy.Statement.filter((s: { Action: string[] }) => s.Action.some((a) => /SetDesiredCapacity|Terminate/.test(a)));
      expect(writes).toHaveLength(1);
      expect(writes[0].Condition).toEqual({ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/deepcell": "owned" } });
    });

    it("installs the NVIDIA device plugin from its pinned chart for the AL2023 GPU AMI, on the nodes it labels", () => {
      const chart = graph.one("kubernetes:helm.sh/v3:Release", "kiosk-nvidia-device-plugin");
      expect(chart.inputs).toMatchObject({ chart: "nvidia-device-plugin", version: "0.20.0", repositoryOpts: { repo: "https://nvidia.github.io/k8s-device-plugin" } });
      // The chart's default node affinity requires this label; the GPU group sets it.
      expect(nodeGroup(graph, "gpu").inputs.labels["nvidia.com/gpu.present"]).toBe("true");
    });
  });

  describe("the bucket", () => {
    it("blocks every kind of public access and disables ACLs", () => {
      expect(graph.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(graph.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
      expect(graph.has("aws:s3/bucketAcl:BucketAcl")).toBe(false);
    });

    it("encrypts at rest and refuses plain HTTP", () => {
      expect(graph.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ]);
      const statements = policyOf(graph.one("aws:s3/bucketPolicy:BucketPolicy")).Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({ Effect: "Deny", Principal: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    });

    it("expires uploads/ and output/ after the configured days", async () => {
      const rules = graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
      const expiring = rules.filter((r: { expiration?: unknown }) => r.expiration);
      expect(expiring.map((r: { filter: { prefix: string }; expiration: { days: number }; status: string }) => [r.filter.prefix, r.expiration.days, r.status])).toEqual([
        ["uploads/", 3, "Enabled"],
        ["output/", 3, "Enabled"],
      ]);
      const week = await evaluateStack("aws", { "kiosk:bucketRetentionDays": 7 });
      const weekRules = week.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules;
      expect(weekRules.filter((r: { expiration?: { days: number } }) => r.expiration).map((r: { expiration: { days: number } }) => r.expiration.days)).toEqual([7, 7]);
    });

    it("is destroyed with its objects only when forceDestroyBucket is set", async () => {
      expect(graph.one("aws:s3/bucket:Bucket").inputs.forceDestroy).toBe(false);
      const forced = await evaluateStack("aws", { "kiosk:forceDestroyBucket": true });
      expect(forced.one("aws:s3/bucket:Bucket").inputs.forceDestroy).toBe(true);
    });

    it("is the STORAGE_BUCKET the stack exports", () => {
      const bucket = graph.one("aws:s3/bucket:Bucket");
      expect(bucket.inputs.bucket).toMatch(/^kiosk-aws-[0-9a-f]{8}$/);
      expect(graph.outputs.bucket).toBe(`s3://${bucket.inputs.bucket}`);
    });
  });

  describe("Pod Identity for the Kiosk's workloads", () => {
    const bucketArn = (graph: StackGraph) => `arn:aws:s3:::${graph.one("aws:s3/bucket:Bucket").inputs.bucket}`;

    it("associates each bucket workload's service account in the Kiosk namespace with its own role", () => {
      const associations = graph.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").filter((a) => a.inputs.namespace === "deepcell");
      expect(associations.map((a) => a.inputs.serviceAccount).sort()).toEqual(["kiosk-consumer", "kiosk-frontend", "kiosk-tf-serving"]);
      const roles = graph.ofType("aws:iam/role:Role");
      for (const association of associations) {
        expect(association.inputs.clusterName).toBe("deepcell");
        const role = roles.find((r) => association.inputs.roleArn === `arn:aws:iam::123456789012:role/${r.name}`);
        expect(role).toBeDefined();
        expect(JSON.parse(role!.inputs.assumeRolePolicy).Statement).toEqual([
          { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
        ]);
      }
    });

    it("scopes every workload policy to the Kiosk's bucket, and TF-Serving to reading", () => {
      const arn = bucketArn(graph);
      const workloadPolicies = graph.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => /kiosk-(frontend|consumer|tf-serving)$/.test(p.name));
      expect(workloadPolicies).toHaveLength(3);
      for (const policy of workloadPolicies) {
        for (const statement of policyOf(policy).Statement) {
          expect(statement.Effect).toBe("Allow");
          for (const resource of asList<string>(statement.Resource)) expect([arn, `${arn}/*`]).toContain(resource);
          for (const action of asList<string>(statement.Action)) expect(action).toMatch(/^s3:(GetObject|PutObject|AbortMultipartUpload|ListBucket)$/);
        }
      }
      const tfServing = policyOf(workloadPolicies.find((p) => p.name.endsWith("kiosk-tf-serving"))!);
      expect(tfServing.Statement.flatMap((s: { Action: string[] }) => s.Action).sort()).toEqual(["s3:GetObject", "s3:ListBucket"]);
    });

    it("creates no access key, no user and no OIDC provider: pods get credentials only through Pod Identity", () => {
      expect(graph.has("aws:iam/accessKey:AccessKey")).toBe(false);
      expect(graph.has("aws:iam/user:User")).toBe(false);
      expect(graph.has("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toBe(false);
    });

    it("tells the Kiosk's images their region, and the load balancer controller its region, VPC and Pod Identity", () => {
      const charts = graph.ofType("kubernetes:helm.sh/v3:Release");
      const consumers = charts.find((c) => c.inputs.chart === "charts/consumers")!;
      expect(JSON.stringify(consumers.inputs.values)).toMatch(/"AWS_REGION","value":"us-west-2"/);
      const controller = charts.find((c) => c.inputs.chart === "aws-load-balancer-controller")!;
      expect(controller.inputs).toMatchObject({ version: "3.5.0", namespace: "kube-system", repositoryOpts: { repo: "https://aws.github.io/eks-charts" } });
      expect(controller.inputs.values).toMatchObject({ region: "us-west-2", serviceAccount: { create: true, name: "aws-load-balancer-controller" }, enableServiceMutatorWebhook: false, keepTLSSecret: true });
      expect(controller.inputs.values.vpcId).toEqual(expect.any(String));
      const association = graph.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").find((a) => a.inputs.serviceAccount === "aws-load-balancer-controller")!;
      expect(association.inputs.namespace).toBe("kube-system");
    });

    it("lets the load balancer controller change only what it tagged as its own", () => {
      const policy = JSON.parse(loadBalancerControllerPolicy());
      const mutating = policy.Statement.filter((s: { Sid: string }) => ["OwnSecurityGroups", "CreateLoadBalancers", "OwnLoadBalancers"].includes(s.Sid));
      expect(mutating).toHaveLength(3);
      for (const statement of mutating) expect(JSON.stringify(statement.Condition)).toMatch(/elbv2\.k8s\.aws\/cluster/);
      // Nothing beyond the controller's reads, its own objects, listeners, rules and targets: no WAF association, no Shield protection, no Cognito.
      const actions = policy.Statement.flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
      expect(actions.filter((a: string) => /^(waf-regional|cognito-idp):|AssociateWebACL|CreateProtection|DeleteProtection/.test(a))).toEqual([]);
    });
  });

  describe("the Kubernetes provider", () => {
    it("uses the cluster's kubeconfig as a secret", () => {
      const provider = graph.one("pulumi:providers:kubernetes");
      expect(provider.secretInputs.has("kubeconfig")).toBe(true);
      expect(JSON.parse(provider.inputs.kubeconfig).clusters[0].cluster.server).toBe("https://198.51.100.30");
      expect(graph.secretOutputs.has("kubeconfig")).toBe(true);
    });

    it("creates every in-cluster add-on of the cloud layer through it", () => {
      const provider = graph.one("pulumi:providers:kubernetes");
      const inCluster = graph.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
      expect(inCluster.length).toBeGreaterThan(10);
      for (const resource of inCluster) expect(resource.provider).toBe(provider.urn);
    });
  });
});

describe("aws configuration errors", () => {
  it.each([
    [{ "kiosk:gpuType": "nvidia-tesla-p4" }, /kiosk:gpuType = "nvidia-tesla-p4" is not offered on aws; allowed values: .*nvidia-a10g/],
    [{ "kiosk:gpuMachineType": "m6i.large" }, /kiosk:gpuMachineType = "m6i.large" does not carry a nvidia-tesla-t4 on aws/],
    [{ "kiosk:gpuType": "nvidia-a10g", "kiosk:gpuMachineType": "g4dn.xlarge" }, /kiosk:gpuMachineType = "g4dn.xlarge" does not carry a nvidia-a10g/],
    [{ "kiosk:consumerMachineType": "e2-standard-4" }, /kiosk:consumerMachineType = "e2-standard-4" is not a aws machine type/],
    [{ "kiosk:awsGpuAmiType": "AL2_x86_64_GPU" }, /kiosk:awsGpuAmiType = "AL2_x86_64_GPU" is not allowed; allowed values: AL2023_x86_64_NVIDIA, BOTTLEROCKET_x86_64_NVIDIA/],
    [{ "kiosk:awsNatGateways": "none" }, /kiosk:awsNatGateways = "none" is not allowed; allowed values: single, perAz/],
    [{ "kiosk:kubernetesVersion": "1.29" }, /kiosk:kubernetesVersion = "1.29" is not supported on aws .*allowed values: 1.33, 1.34, 1.35, 1.36/],
    [{ "kiosk:awsApiPublicAccess": false, "kiosk:awsApiPrivateAccess": false }, /the cluster API would be unreachable/],
    [{ "kiosk:sharedStack": true }, /kiosk:awsClusterAccess is empty on a shared stack \(kiosk:sharedStack is true\): only the identity that created the cluster could reach it/],
    [{ "kiosk:awsClusterAccess": ["arn:aws:iam::123456789012:role/ci=owner"] }, /kiosk:awsClusterAccess contains "arn:aws:iam::123456789012:role\/ci=owner"; each entry is <IAM role or user ARN>=<admin\|view>/],
    [{ "kiosk:awsControlPlaneLogRetentionDays": 10 }, /kiosk:awsControlPlaneLogRetentionDays = "10" is not allowed; allowed values: 1, 3, 5, 7, 14, 30/],
  ])("rejects %j before creating anything", async (overrides, message) => {
    const evaluation = evaluateStack("aws", overrides);
    await expect(evaluation).rejects.toBeInstanceOf(ConfigError);
    await expect(evaluation).rejects.toThrow(message);
  });
});
