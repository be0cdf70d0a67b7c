import { ConfigError } from "../infra/config";
import { gkeAddressRanges } from "../infra/gcp/network";
import { evaluateStack, RegisteredResource, StackGraph } from "../offline/evaluate";

const pool = (graph: StackGraph, name: string): RegisteredResource => graph.one("gcp:container/nodePool:NodePool", `kiosk-gke-${name}`);

/** gcp with our image overlays, whose objects stay private (the published images need link-readable ones). */
const overlaysWithPrivateObjects = { "kiosk:imageSet": "overlay", "kiosk:overlayRegistry": "ghcr.io/your-lab", "kiosk:bucketAccess": "private" };

describe("the gcp stack's cloud layer", () => {
  let graph: StackGraph;
  beforeAll(async () => {
    graph = await evaluateStack("gcp");
  });

  describe("project APIs", () => {
    it("enables container, compute, storage, IAM, IAM credentials, Resource Manager and Monitoring, and leaves them on at destroy", () => {
      const services = graph.ofType("gcp:projects/service:Service");
      expect(services.map((s) => s.inputs.service).sort()).toEqual([
        "cloudresourcemanager.googleapis.com",
        "compute.googleapis.com",
        "container.googleapis.com",
        "iam.googleapis.com",
        "iamcredentials.googleapis.com",
        "monitoring.googleapis.com",
        "storage.googleapis.com",
      ]);
      // Project-level IAM bindings go through Resource Manager: they wait for it.
      const crm = services.find((s) => s.inputs.service === "cloudresourcemanager.googleapis.com")!;
      for (const binding of graph.ofType("gcp:projects/iAMMember:IAMMember")) expect(graph.dependsOn(binding, crm)).toBe(true);
      for (const service of services) {
        expect(service.inputs.project).toBe("deepcell-kiosk");
        expect(service.inputs.disableOnDestroy).toBe(false);
      }
    });

    it("creates every other Google resource after the APIs are on", () => {
      const services = graph.ofType("gcp:projects/service:Service");
      const others = graph.resources.filter((r) => r.type.startsWith("gcp:") && r.type !== "gcp:projects/service:Service");
      expect(others.length).toBeGreaterThan(15);
      for (const resource of others) {
        for (const service of services) expect({ resource: resource.name, api: service.inputs.service, after: graph.dependsOn(resource, service) }).toMatchObject({ after: true });
      }
    });
  });

  describe("the GKE cluster", () => {
    let cluster: RegisteredResource;
    beforeAll(() => {
      cluster = graph.one("gcp:container/cluster:Cluster");
    });

    it("is zonal in gcp:zone by default, with the whole data path there (no other node location)", () => {
      expect(cluster.inputs.location).toBe("us-central1-a");
      expect(cluster.inputs.nodeLocations).toBeUndefined();
      expect(cluster.inputs.name).toBe("deepcell");
      for (const name of ["consumers", "gpu"]) expect(pool(graph, name).inputs.nodeLocations).toEqual(["us-central1-a"]);
    });

    it("lets the control plane reach exactly the nodes' webhook and aggregated-API ports, for the components installed", async () => {
      const firewall = graph.one("gcp:compute/firewall:Firewall", "kiosk-gke-control-plane-to-nodes");
      expect(firewall.inputs).toMatchObject({ direction: "INGRESS", sourceRanges: [gkeAddressRanges.controlPlane], targetServiceAccounts: [expect.stringMatching(/^deepcell-nodes@/)] });
      // The default gcp stack has monitoring on and TLS off.
      expect(firewall.inputs.allows).toEqual([{ protocol: "tcp", ports: ["6443", "9443", "10250"] }]);
      const bare = await evaluateStack("gcp", { "kiosk:monitoring": false });
      expect(bare.one("gcp:compute/firewall:Firewall", "kiosk-gke-control-plane-to-nodes").inputs.allows).toEqual([{ protocol: "tcp", ports: ["6443", "9443"] }]);
      const keda = graph.one("kubernetes:helm.sh/v3:Release", "kiosk-autoscaling-keda").inputs.values;
      expect([keda.service.portHttpsTarget, keda.webhooks.port]).toEqual([6443, 9443]);
      // Webhooks are called as soon as their release installs: the rule exists before the platform.
      expect(graph.dependsOn(graph.one("kubernetes:helm.sh/v3:Release", "kiosk-autoscaling-keda"), firewall)).toBe(true);
    });

    it("lets Google's front ends and health checks reach the portal's pods on the frontend's port only, and turns the cluster's Gateway API on", () => {
      const firewall = graph.one("gcp:compute/firewall:Firewall", "kiosk-front-door-portal-proxies");
      expect(firewall.inputs).toMatchObject({ direction: "INGRESS", sourceRanges: ["35.191.0.0/16", "130.211.0.0/22"], allows: [{ protocol: "tcp", ports: ["8080"] }] });
      expect(graph.one("gcp:container/cluster:Cluster").inputs.gatewayApiConfig).toEqual({ channel: "CHANNEL_STANDARD" });
    });

    it("never lists a zonal cluster's own zone among its node locations (the provider rejects it)", async () => {
      for (const overrides of [{}, { "kiosk:gkeMultiZoneGpus": true }, { "kiosk:gkeMultiZoneGpus": true, "kiosk:gpuZones": ["us-central1-b", "us-central1-c"] }]) {
        const c = (await evaluateStack("gcp", overrides)).one("gcp:container/cluster:Cluster");
        expect(c.inputs.nodeLocations ?? []).not.toContain(c.inputs.location);
      }
    });

    it("spreads consumers and GPUs over every GPU zone only when asked, routing consumers to TF-Serving in their own zone", async () => {
      const multi = await evaluateStack("gcp", { "kiosk:gkeMultiZoneGpus": true });
      expect(multi.one("gcp:container/cluster:Cluster").inputs.nodeLocations).toEqual(["us-central1-b"]);
      for (const name of ["consumers", "gpu"]) expect(pool(multi, name).inputs.nodeLocations).toEqual(["us-central1-a", "us-central1-b"]);
      expect(pool(multi, "system").inputs.nodeLocations).toEqual(["us-central1-a"]);
      const tfServing = (g: StackGraph) => g.one("kubernetes:helm.sh/v3:Release", "kiosk-tf-serving").inputs.values;
      expect(tfServing(multi).trafficDistribution).toBe("PreferClose");
      expect(tfServing(graph).trafficDistribution).toBeUndefined();
    });

    it("is regional when configured, across the region's zones", async () => {
      const regional = await evaluateStack("gcp", { "kiosk:gkeRegional": true });
      const c = regional.one("gcp:container/cluster:Cluster");
      expect(c.inputs.location).toBe("us-central1");
      expect(c.inputs.nodeLocations).toBeUndefined();
      expect(pool(regional, "gpu").inputs.nodeLocations).toEqual(["us-central1-a"]);
      expect(pool(regional, "consumers").inputs.nodeLocations).toEqual(["us-central1-a"]);
      expect(pool(regional, "gpu").inputs.location).toBe("us-central1");
    });

    it("plans no replacement when a refresh reads the removed default pool's nodeConfig, and replaces its fixed name delete-first", () => {
      expect(cluster.ignoreChanges).toEqual(["nodeConfig"]);
      expect(cluster.deleteBeforeReplace).toBe(true);
      expect(cluster.inputs.removeDefaultNodePool).toBe(true);
    });

    it("turns on Workload Identity, shielded nodes, a release channel and NetworkPolicy enforcement", () => {
      expect(cluster.inputs.workloadIdentityConfig).toEqual({ workloadPool: "deepcell-kiosk.svc.id.goog" });
      expect(cluster.inputs.enableShieldedNodes).toBe(true);
      expect(cluster.inputs.releaseChannel).toEqual({ channel: "REGULAR" });
      expect(cluster.inputs.datapathProvider).toBe("ADVANCED_DATAPATH");
    });

    it("removes the default node pool and can be destroyed by pulumi", () => {
      expect(cluster.inputs.removeDefaultNodePool).toBe(true);
      expect(cluster.inputs.deletionProtection).toBe(false);
    });

    it("keeps nodes private and the API open only to apiAllowedCidrs", async () => {
      expect(cluster.inputs.privateClusterConfig).toMatchObject({ enablePrivateNodes: true, enablePrivateEndpoint: false });
      expect(cluster.inputs.ipAllocationPolicy).toEqual({ clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
      expect(cluster.inputs.masterAuthorizedNetworksConfig.cidrBlocks.map((b: { cidrBlock: string }) => b.cidrBlock)).toEqual(["0.0.0.0/0"]);
      const restricted = await evaluateStack("gcp", { "kiosk:apiAllowedCidrs": ["203.0.113.0/24", "198.51.100.7/32"] });
      expect(
        restricted.one("gcp:container/cluster:Cluster").inputs.masterAuthorizedNetworksConfig.cidrBlocks.map((b: { cidrBlock: string }) => b.cidrBlock),
      ).toEqual(["203.0.113.0/24", "198.51.100.7/32"]);
    });

    it("gives private nodes a way out through Cloud NAT and to Google APIs without it", () => {
      expect(graph.one("gcp:compute/subnetwork:Subnetwork").inputs.privateIpGoogleAccess).toBe(true);
      expect(graph.one("gcp:compute/routerNat:RouterNat").inputs.sourceSubnetworkIpRangesToNat).toBe("ALL_SUBNETWORKS_ALL_IP_RANGES");
      expect(graph.dependsOn(cluster, graph.one("gcp:compute/routerNat:RouterNat"))).toBe(true);
    });

    it("removes idle nodes quickly", () => {
      expect(cluster.inputs.clusterAutoscaling).toEqual({ autoscalingProfile: "OPTIMIZE_UTILIZATION" });
    });
  });

  describe("node pools", () => {
    it("has exactly a system, a consumer and a GPU pool in the cluster", () => {
      const pools = graph.ofType("gcp:container/nodePool:NodePool");
      // Generated names: a replacement (new machine type, GPU or spot) creates the new pool before deleting the old.
      expect(pools.map((p) => p.inputs.namePrefix).sort()).toEqual(["consumers-", "gpu-", "system-"]);
      for (const p of pools) expect(p.inputs.name).toBeUndefined();
      for (const p of pools) expect(p.inputs.cluster).toBe("deepcell");
    });

    it("runs every node with GKE's metadata server, shielded boot, auto-repair/upgrade and a dedicated service account", () => {
      const nodeAccount = graph.one("gcp:serviceaccount/account:Account", "kiosk-gke-nodes");
      const nodeEmail = `${nodeAccount.inputs.accountId}@deepcell-kiosk.iam.gserviceaccount.com`;
      for (const p of graph.ofType("gcp:container/nodePool:NodePool")) {
        expect(p.inputs.nodeConfig.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
        expect(p.inputs.nodeConfig.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableIntegrityMonitoring: true });
        expect(p.inputs.management).toEqual({ autoRepair: true, autoUpgrade: true });
        expect(p.inputs.nodeConfig.serviceAccount).toBe(nodeEmail);
      }
      const nodeRoles = graph.ofType("gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.member === `serviceAccount:${nodeEmail}`);
      expect(nodeRoles.map((m) => m.inputs.role).sort()).toEqual(
        [
          "roles/artifactregistry.reader",
          "roles/autoscaling.metricsWriter",
          "roles/logging.logWriter",
          "roles/monitoring.metricWriter",
          "roles/monitoring.viewer",
          "roles/stackdriver.resourceMetadata.writer",
        ],
      );
      expect(graph.ofType("gcp:projects/iAMMember:IAMMember").every((m) => !/owner|editor|admin/i.test(m.inputs.role))).toBe(true);
    });

    it("keeps a system pool of at least one on-demand node", () => {
      const system = pool(graph, "system");
      expect(system.inputs.autoscaling.totalMinNodeCount).toBeGreaterThanOrEqual(1);
      expect(system.inputs.nodeConfig.spot).toBe(false);
      expect(system.inputs.nodeConfig.taints).toEqual([]);
      expect(system.inputs.nodeConfig.guestAccelerators).toBeUndefined();
    });

    it("rests the consumer pool at zero, on spot, labelled and tainted for consumers only, sized from the GPU count", () => {
      const consumers = pool(graph, "consumers");
      // 4 GPUs × (150 × 0.3 + 100 × 0.2 vCPU) = 260 vCPU on e2-standard-4 (3.6 vCPUs for pods): ceil(72.2) = 73 nodes.
      expect(consumers.inputs.autoscaling).toMatchObject({ totalMinNodeCount: 0, totalMaxNodeCount: 73, locationPolicy: "ANY" });
      expect(consumers.inputs.initialNodeCount).toBe(0);
      expect(consumers.inputs.nodeConfig).toMatchObject({ machineType: "e2-standard-4", spot: true, labels: { consumer: "yes" } });
      expect(consumers.inputs.nodeConfig.taints).toEqual([{ key: "consumer", value: "yes", effect: "NO_SCHEDULE" }]);
    });

    it("rests the GPU pool at zero GPU nodes, tainted so only GPU workloads land there, labelled for the platform's selector", () => {
      const gpu = pool(graph, "gpu");
      expect(gpu.inputs.autoscaling).toEqual({ totalMinNodeCount: 0, totalMaxNodeCount: 4, locationPolicy: "ANY" });
      expect(gpu.inputs.initialNodeCount).toBe(0);
      expect(gpu.inputs.nodeConfig.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
      expect(gpu.inputs.nodeConfig.labels).toEqual({ "kiosk.deepcell.org/pool": "gpu" });
    });

    it("attaches the configured GPU with GKE-installed drivers, in the data path's zone", () => {
      const gpu = pool(graph, "gpu");
      expect(gpu.inputs.nodeConfig.machineType).toBe("n1-standard-4");
      expect(gpu.inputs.nodeConfig.guestAccelerators).toEqual([
        { type: "nvidia-tesla-t4", count: 1, gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" } },
      ]);
      expect(gpu.inputs.nodeLocations).toEqual(["us-central1-a"]);
      // Spot (preemptible) GPUs by default, as the Kiosk's published cost assumed.
      expect(gpu.inputs.nodeConfig.spot).toBe(true);
    });

    it("follows the GPU config: type, machine, count, bounds and spot", async () => {
      const custom = await evaluateStack("gcp", {
        "kiosk:gpuType": "nvidia-l4",
        "kiosk:gpuMachineType": "g2-standard-8",
        "kiosk:gpusPerNode": 2,
        "kiosk:minGpuNodes": 1,
        "kiosk:maxGpuNodes": 6,
        "kiosk:gpuSpot": true,
        "kiosk:gpuZones": ["us-central1-c"],
        "gcp:zone": "us-central1-c",
      });
      const gpu = pool(custom, "gpu");
      expect(gpu.inputs.nodeConfig).toMatchObject({ machineType: "g2-standard-8", spot: true });
      expect(gpu.inputs.nodeConfig.guestAccelerators[0]).toMatchObject({ type: "nvidia-l4", count: 2 });
      expect(gpu.inputs.autoscaling).toMatchObject({ totalMinNodeCount: 1, totalMaxNodeCount: 6 });
      expect(gpu.inputs.nodeLocations).toEqual(["us-central1-c"]);
      expect(custom.one("gcp:container/cluster:Cluster").inputs.nodeLocations).toBeUndefined();
    });

    it("shortens a GPU node's cold start with gVNIC and an SSD boot disk, and claims no image streaming (GKE streams only Artifact Registry images)", () => {
      const gpu = pool(graph, "gpu");
      for (const p of graph.ofType("gcp:container/nodePool:NodePool")) expect(p.inputs.nodeConfig.gcfsConfig).toBeUndefined();
      expect(gpu.inputs.nodeConfig.gvnic).toEqual({ enabled: true });
      expect(gpu.inputs.nodeConfig).toMatchObject({ diskType: "pd-ssd", imageType: "COS_CONTAINERD" });
      expect(gpu.inputs.nodeConfig.diskSizeGb).toBeGreaterThanOrEqual(100);
    });

    it("carries a GPU on no pool but the GPU pool", () => {
      const carrying = graph.ofType("gcp:container/nodePool:NodePool").filter((p) => p.inputs.nodeConfig.guestAccelerators?.length);
      expect(carrying.map((p) => p.inputs.namePrefix)).toEqual(["gpu-"]);
    });
  });

  describe("the bucket", () => {
    let bucket: RegisteredResource;
    beforeAll(() => {
      bucket = graph.one("gcp:storage/bucket:Bucket");
    });

    it("by default has link-readable objects, as the published images need: object ACLs on, prevention inherited, and no bucket-level public member or ACL", () => {
      expect(bucket.inputs.uniformBucketLevelAccess).toBe(false);
      expect(bucket.inputs.publicAccessPrevention).toBe("inherited");
      expect(bucket.inputs.labels["kiosk-objects"]).toBe("link-readable");
      expect(graph.has("gcp:storage/bucketACL:BucketACL")).toBe(false);
      expect(graph.has("gcp:storage/defaultObjectACL:DefaultObjectACL")).toBe(false);
      for (const member of [...graph.ofType("gcp:storage/bucketIAMMember:BucketIAMMember"), ...graph.ofType("gcp:storage/bucketIAMBinding:BucketIAMBinding")]) {
        expect(String(member.inputs.member)).not.toMatch(/allUsers|allAuthenticatedUsers/);
      }
    });

    it("says at deploy time what link-readable objects expose", () => {
      expect(graph.warnings.join("\n")).toMatch(/link-readable: anyone who holds the link of an upload or a result can read it until the lifecycle rule deletes it \(3 days\); the bucket cannot be listed/);
    });

    it("is never public with kiosk:bucketAccess private: uniform access and public access prevention enforced", async () => {
      const closed = await evaluateStack("gcp", overlaysWithPrivateObjects);
      const privateBucket = closed.one("gcp:storage/bucket:Bucket");
      expect(privateBucket.inputs.uniformBucketLevelAccess).toBe(true);
      expect(privateBucket.inputs.publicAccessPrevention).toBe("enforced");
      expect(closed.warnings.join("\n")).not.toMatch(/link-readable/);
      expect(closed.has("gcp:projects/iAMCustomRole:IAMCustomRole")).toBe(false);
    });

    it("deletes uploads/ and output/ after the configured days, keeps no versions and no soft-deleted copies", async () => {
      expect(bucket.inputs.lifecycleRules).toEqual([
        { action: { type: "Delete" }, condition: { age: 3, matchesPrefixes: ["uploads/", "output/"] } },
      ]);
      expect(bucket.inputs.versioning).toEqual({ enabled: false });
      expect(bucket.inputs.softDeletePolicy).toEqual({ retentionDurationSeconds: 0 });
      const week = await evaluateStack("gcp", { "kiosk:bucketRetentionDays": 7 });
      expect(week.one("gcp:storage/bucket:Bucket").inputs.lifecycleRules[0].condition.age).toBe(7);
    });

    it("refuses to destroy a non-empty bucket unless forceDestroyBucket is set", async () => {
      expect(bucket.inputs.forceDestroy).toBe(false);
      const forced = await evaluateStack("gcp", { "kiosk:forceDestroyBucket": true });
      expect(forced.one("gcp:storage/bucket:Bucket").inputs.forceDestroy).toBe(true);
    });

    it("lives in the cluster's region, named uniquely unless bucketName is set, and is the STORAGE_BUCKET the stack exports", async () => {
      expect(bucket.inputs.location).toBe("US-CENTRAL1");
      expect(bucket.inputs.name).toMatch(/^kiosk-gcp-[0-9a-f]{8}$/);
      expect(graph.outputs.bucket).toBe(`gs://${bucket.inputs.name}`);
      const named = await evaluateStack("gcp", { "kiosk:bucketName": "my-lab-kiosk" });
      expect(named.one("gcp:storage/bucket:Bucket").inputs.name).toBe("my-lab-kiosk");
      expect(named.outputs.bucket).toBe("gs://my-lab-kiosk");
    });
  });

  describe("workload identity", () => {
    const kioskServiceAccounts = ["kiosk-consumer", "kiosk-frontend", "kiosk-tf-serving"];

    const kioskBindings = () => graph.ofType("gcp:serviceaccount/iAMMember:IAMMember").filter((b) => b.inputs.member.includes("[deepcell/"));

    it("binds each Kiosk service account to its own Google service account that exists in the stack", () => {
      const accounts = graph.ofType("gcp:serviceaccount/account:Account");
      const bindings = kioskBindings();
      expect(bindings).toHaveLength(3);
      const boundKsas = bindings.map((b) => {
        expect(b.inputs.role).toBe("roles/iam.workloadIdentityUser");
        const match = /^serviceAccount:deepcell-kiosk\.svc\.id\.goog\[deepcell\/([a-z-]+)\]$/.exec(b.inputs.member);
        expect(match).not.toBeNull();
        const account = accounts.find((a) => b.inputs.serviceAccountId === `projects/deepcell-kiosk/serviceAccounts/${a.inputs.accountId}@deepcell-kiosk.iam.gserviceaccount.com`);
        expect(account).toBeDefined();
        expect(graph.dependsOn(b, graph.one("gcp:container/cluster:Cluster"))).toBe(true);
        return match![1];
      });
      expect(boundKsas.sort()).toEqual(kioskServiceAccounts);
    });

    it("annotates the platform's service accounts with the Google service account bound to them", () => {
      const bindings = kioskBindings();
      const platform = graph.one("kiosk:platform:Platform");
      const charts = graph.descendantsOf(platform).filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
      const annotations = new Map<string, string>();
      for (const chart of charts) {
        for (const sa of [chart.inputs.values?.serviceAccount].filter(Boolean)) {
          annotations.set(sa.name, sa.annotations?.["iam.gke.io/gcp-service-account"]);
        }
      }
      for (const ksa of kioskServiceAccounts) {
        const binding = bindings.find((b) => b.inputs.member.endsWith(`[deepcell/${ksa}]`))!;
        const email = binding.inputs.serviceAccountId.split("/").pop();
        expect({ ksa, email: annotations.get(ksa) }).toEqual({ ksa, email });
      }
    });

    it("with link-readable objects grants each workload exactly what its image calls, through a custom role on the Kiosk's bucket only", () => {
      const bucketName = graph.one("gcp:storage/bucket:Bucket").inputs.name;
      const grants = graph.ofType("gcp:storage/bucketIAMMember:BucketIAMMember");
      expect(grants).toHaveLength(3);
      const roles = graph.ofType("gcp:projects/iAMCustomRole:IAMCustomRole");
      const permissionsOf = (suffix: string) => {
        const role = grants.find((g) => g.inputs.member.includes(`-${suffix}@`))!.inputs.role;
        return roles.find((r) => role === `projects/${r.inputs.project}/roles/${r.inputs.roleId}`)!.inputs.permissions.slice().sort();
      };
      // Each row: the call in the image at its pinned tag, and the permission Google documents for it
      // (cloud.google.com/storage/docs/access-control/iam-json; .../json_api/v1/objectAccessControls/insert).
      const calls: [string, string, string][] = [
        ["frontend", "storage.objects.create", "kiosk-frontend@0.11.3 server/controllers/upload.controller.js: blob.createWriteStream()"],
        ["frontend", "storage.objects.setIamPolicy", "kiosk-frontend@0.11.3 server/controllers/upload.controller.js: blob.makePublic()"],
        ["consumer", "storage.buckets.get", "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: client.get_bucket()"],
        ["consumer", "storage.objects.get", "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: blob.download_to_filename()"],
        ["consumer", "storage.objects.create", "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: blob.upload_from_filename()"],
        ["consumer", "storage.objects.delete", "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: upload_from_filename() over an existing output/ object"],
        ["consumer", "storage.objects.setIamPolicy", "kiosk-redis-consumer@0.17.2 redis_consumer/storage.py: predefined_acl='publicRead'"],
        ["tfserving", "storage.objects.get", "TF-Serving reads model files"],
        ["tfserving", "storage.objects.list", "TF-Serving lists model versions"],
      ];
      for (const suffix of ["frontend", "consumer", "tfserving"]) {
        expect({ suffix, permissions: permissionsOf(suffix) }).toEqual({ suffix, permissions: calls.filter(([s]) => s === suffix).map(([, p]) => p).sort() });
      }
      for (const grant of grants) expect(grant.inputs.bucket).toBe(bucketName);
      expect(roles.map((r) => r.inputs.project)).toEqual(["deepcell-kiosk", "deepcell-kiosk", "deepcell-kiosk"]);
      for (const role of roles) expect(role.inputs.roleId).toMatch(/^[a-zA-Z0-9_.]{3,64}$/);
    });

    it("with private objects (our overlays) grants each workload the least predefined bucket role on the Kiosk's bucket only, and lets the link signers sign as themselves", async () => {
      const closed = await evaluateStack("gcp", overlaysWithPrivateObjects);
      // The overlays sign V4 links through IAM signBlob for their own account (images/*/storage: no key file).
      const signing = closed.ofType("gcp:serviceaccount/iAMMember:IAMMember").filter((b) => b.inputs.role === "roles/iam.serviceAccountTokenCreator");
      expect(signing.map((b) => [b.inputs.serviceAccountId.split("/").pop(), b.inputs.member.replace(/^serviceAccount:/, "")]).sort()).toEqual([
        ["deepcell-consumer@deepcell-kiosk.iam.gserviceaccount.com", "deepcell-consumer@deepcell-kiosk.iam.gserviceaccount.com"],
        ["deepcell-frontend@deepcell-kiosk.iam.gserviceaccount.com", "deepcell-frontend@deepcell-kiosk.iam.gserviceaccount.com"],
      ]);
      expect(graph.ofType("gcp:serviceaccount/iAMMember:IAMMember").filter((b) => b.inputs.role === "roles/iam.serviceAccountTokenCreator")).toEqual([]);
      const bucketName = closed.one("gcp:storage/bucket:Bucket").inputs.name;
      const grants = closed.ofType("gcp:storage/bucketIAMMember:BucketIAMMember");
      expect(grants).toHaveLength(3);
      const roleOf = (suffix: string) => grants.find((g) => g.inputs.member.includes(`-${suffix}@`))?.inputs.role;
      expect(roleOf("frontend")).toBe("roles/storage.objectUser");
      expect(roleOf("consumer")).toBe("roles/storage.objectUser");
      expect(roleOf("tfserving")).toBe("roles/storage.objectViewer");
      for (const grant of grants) expect(grant.inputs.bucket).toBe(bucketName);
      // No project-wide storage roles for workloads.
      expect(graph.ofType("gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.role.startsWith("roles/storage."))).toEqual([]);
    });

    it("lets KEDA's operator, and nothing else, read GPU metrics: its own Google account, monitoring.viewer on the project only, bound to keda/keda-operator", () => {
      const bindings = graph.ofType("gcp:serviceaccount/iAMMember:IAMMember");
      expect(bindings).toHaveLength(4);
      const keda = bindings.filter((b) => !b.inputs.member.includes("[deepcell/"));
      expect(keda.map((b) => [b.inputs.role, b.inputs.member])).toEqual([["roles/iam.workloadIdentityUser", "serviceAccount:deepcell-kiosk.svc.id.goog[keda/keda-operator]"]]);
      const email = keda[0].inputs.serviceAccountId.split("/").pop();
      const projectRoles = graph.ofType("gcp:projects/iAMMember:IAMMember").filter((m) => m.inputs.member === `serviceAccount:${email}`);
      expect(projectRoles.map((m) => m.inputs.role)).toEqual(["roles/monitoring.viewer"]);
      // The chart annotates the operator's service account with that Google account (keda 2.20.2 templates/manager/serviceaccount.yaml).
      const kedaRelease = graph.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "keda")!;
      expect(kedaRelease.inputs.values.podIdentity).toEqual({ gcp: { enabled: true, gcpIAMServiceAccount: email } });
      expect(graph.dependsOn(kedaRelease, keda[0])).toBe(true);
    });

    it("creates no service account key or HMAC key anywhere", () => {
      expect(graph.has("gcp:serviceaccount/key:Key")).toBe(false);
      expect(graph.has("gcp:storage/hmacKey:HmacKey")).toBe(false);
    });
  });

  describe("the Kubernetes provider", () => {
    it("talks to the cluster's endpoint with its CA, authenticating through gke-gcloud-auth-plugin; kubeconfig is a secret", () => {
      const provider = graph.one("pulumi:providers:kubernetes");
      expect(provider.secretInputs.has("kubeconfig")).toBe(true);
      const kubeconfig = JSON.parse(provider.inputs.kubeconfig);
      expect(kubeconfig.clusters[0].cluster.server).toBe("https://198.51.100.20");
      expect(kubeconfig.clusters[0].cluster["certificate-authority-data"]).toBe(Buffer.from("mock GKE cluster CA").toString("base64"));
      expect(kubeconfig.users[0].user.exec.command).toBe("gke-gcloud-auth-plugin");
      expect(JSON.stringify(kubeconfig.users)).not.toMatch(/token|password|client-key/);
      expect(graph.secretOutputs.has("kubeconfig")).toBe(true);
    });

    it("tells the frontend its project, the one image that reads it, and no image a zone none reads", () => {
      const release = (part: string) => graph.descendantsOf(graph.one("kiosk:platform:Platform")).find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name.includes(part))!;
      // kiosk-frontend@0.11.3 server/config/config.js: GCLOUD_PROJECT_ID; no image at its pinned tag reads
      // GKE_COMPUTE_ZONE (git grep in kiosk-frontend@0.11.3, kiosk-redis-consumer@0.17.2, kiosk-redis-janitor@0.9.0, kiosk-tf-serving@0.6.0).
      expect(JSON.stringify(release("frontend").inputs.values)).toMatch(/"GCLOUD_PROJECT_ID","value":"deepcell-kiosk"/);
      for (const part of ["frontend", "consumers", "tf-serving", "janitor"]) expect(JSON.stringify(release(part).inputs.values)).not.toMatch(/GKE_COMPUTE_ZONE/);
      expect(JSON.stringify(release("consumers").inputs.values)).not.toMatch(/GCLOUD_PROJECT_ID/);
    });
  });
});

describe("gcp configuration errors", () => {
  it.each([
    [{ "kiosk:gpuType": "nvidia-a10g" }, /kiosk:gpuType = "nvidia-a10g" is not offered on gcp; allowed values: .*nvidia-tesla-t4/],
    [{ "kiosk:gpuMachineType": "e2-standard-4" }, /kiosk:gpuMachineType = "e2-standard-4" does not carry a nvidia-tesla-t4/],
    [{ "kiosk:gpuZones": [] }, /kiosk:gpuZones must list the zones of us-central1 that offer nvidia-tesla-t4/],
    [{ "kiosk:gpuZones": ["us-central1-b"] }, /kiosk:gpuZones does not include gcp:zone "us-central1-a": the consumers, TF-Serving and the GPUs share one zone/],
    [{ "kiosk:gpuZones": ["europe-west4-a"] }, /kiosk:gpuZones contains "europe-west4-a", which is not in gcp:region "us-central1"/],
    [{ "kiosk:gkeReleaseChannel": "BETA" }, /kiosk:gkeReleaseChannel = "BETA" is not allowed; allowed values: RAPID, REGULAR, STABLE/],
  ])("rejects %j before creating anything", async (overrides, message) => {
    const evaluation = evaluateStack("gcp", overrides);
    await expect(evaluation).rejects.toBeInstanceOf(ConfigError);
    await expect(evaluation).rejects.toThrow(message);
  });
});
