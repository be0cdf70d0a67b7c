/**
 * The platform on each stack: our charts rendered with real helm using the values the program
 * passes, every object validated against the Kubernetes schemas, and the wiring the Kiosk's images
 * depend on checked object by object.
 */
import * as fs from "fs";
import * as path from "path";
import { allObjects, KubernetesObject, renderGraph, RenderedStack } from "../offline/render";
import { evaluateStack, projectRoot, StackGraph } from "../offline/evaluate";
import { mockLoadBalancerHostname, mockLoadBalancerIp } from "../offline/mocks/kubernetes";
import { helmLint } from "../offline/helm";
import { validateAgainstKubernetesSchemas } from "./support/kube-schema";
import { envOf, find, matches, PodTemplateOwner, podTemplateOwners } from "./support/kubernetes-objects";
import { Endpoint, mayConnect } from "./support/network-policy";
import { maxUploadSize, modelsUsedBy } from "../infra/kiosk-contract";
import { brokenReferences, describeBroken } from "../offline/references";

const gpuTaint = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };
const gpuPoolLabel = ["kiosk.deepcell.org/pool", "gpu"] as const;
const kiosk = "deepcell";
const allStacks = ["aws", "gcp", "local"];

describe.each(allStacks)("the platform on the %s stack", (stack) => {
  let graph: StackGraph;
  let rendered: RenderedStack;
  let objects: KubernetesObject[];
  let kioskObjects: KubernetesObject[];

  beforeAll(async () => {
    graph = await evaluateStack(stack);
    rendered = renderGraph(graph);
    objects = allObjects(rendered);
    kioskObjects = objects.filter((o) => o.metadata?.namespace === kiosk);
  });

  const workloads = () => podTemplateOwners(kioskObjects);
  const workload = (name: string) => {
    const found = workloads().find((w) => w.name === name);
    if (!found) throw new Error(`no workload ${name}; have ${workloads().map((w) => w.name).join(", ")}`);
    return found;
  };
  const mainContainer = (name: string) => workload(name).podSpec.containers[0];

  describe("charts and objects", () => {
    it("installs every one of our charts, each lint-clean with the values the program passes", () => {
      expect(rendered.ownCharts.map((c) => c.chart).sort()).toEqual(["charts/consumers", "charts/frontend", "charts/redis", "charts/redis-janitor", "charts/tf-serving"]);
      for (const chart of rendered.ownCharts) {
        expect(() => helmLint(path.join(projectRoot, chart.chart), chart.values)).not.toThrow();
        expect(chart.namespace).toBe(kiosk);
      }
    });

    it("validates every rendered and directly created object against the Kubernetes schemas", () => {
      expect(objects.length).toBeGreaterThan(40);
      expect(validateAgainstKubernetesSchemas(objects)).toEqual([]);
    });

    it("pins every upstream chart to an exact version from its own repository", () => {
      const names = rendered.upstreamCharts.map((c) => c.chart).sort();
      const frontDoor = { aws: ["aws-load-balancer-controller", "oci://docker.io/envoyproxy/gateway-crds-helm"], gcp: [], local: ["oci://docker.io/envoyproxy/gateway-crds-helm", "oci://docker.io/envoyproxy/gateway-helm"] }[stack]!;
      expect(names).toEqual(expect.arrayContaining(["keda", ...frontDoor]));
      for (const chart of rendered.upstreamCharts) {
        expect(chart.version).toMatch(/^v?\d+\.\d+\.\d+$/);
        expect(chart.repo).toMatch(/^(https:\/\/|oci:\/\/)/);
      }
    });

    it("labels the Kiosk namespace for Pod Security admission", () => {
      const namespace = find(objects, "Namespace", kiosk);
      expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
      expect(namespace.metadata.labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
    });
  });

  describe("the contract of the Kiosk's images (../shared/kiosk-contract.md), env by env", () => {
    it("runs the published images at the configured tags on gcp, and our overlays of the frontend and consumers elsewhere", () => {
      const overlay = stack !== "gcp";
      expect(mainContainer("frontend").image).toBe(overlay ? "ghcr.io/your-lab/kiosk-frontend:0.11.3-kiosk.1" : "vanvalenlab/kiosk-frontend:0.11.3");
      for (const consumer of ["segmentation-consumer", "segmentation-zip-consumer", "caliban-consumer"]) {
        expect(mainContainer(consumer).image).toBe(overlay ? "ghcr.io/your-lab/kiosk-redis-consumer:0.17.2-kiosk.1" : "vanvalenlab/kiosk-redis-consumer:0.17.2");
      }
      expect(mainContainer("tf-serving").image).toBe("vanvalenlab/kiosk-tf-serving:0.6.0");
      expect(graph.one("kubernetes:helm.sh/v3:Release", "kiosk-tf-serving").inputs.values.configWriter.image).toEqual({ repository: "vanvalenlab/kiosk-tf-serving-config-writer", tag: "0.5.0" });
      expect(mainContainer("redis-janitor").image).toBe("vanvalenlab/kiosk-redis-janitor:0.9.0");
    });

    it("gives the frontend exactly the variables its image reads (a table of facts)", () => {
      const env = envOf(mainContainer("frontend"));
      // Each row: variable, value, where vanvalenlab/kiosk-frontend@0.11.3 reads it (server/config/config.js unless said).
      const facts: [string, string | undefined, string][] = [
        ["PORT", "8080", "config.js PORT (default 8080)"],
        ["REDIS_HOST", "redis", "config.js REDIS_HOST (default localhost)"],
        ["REDIS_PORT", "26379", "config.js REDIS_PORT; server/config/redis.js uses it as the Sentinel's"],
        ["REDIS_SENTINEL", "true", "config.js REDIS_SENTINEL; server/config/redis.js asks Sentinel for master mymaster"],
        ["MODEL_PREFIX", "models/", "config.js MODEL_PREFIX"],
        ["UPLOAD_PREFIX", "uploads/", "config.js UPLOAD_PREFIX; upload.controller.js strips the slashes"],
        // src/Predict/JobForm/JobForm.js has forms for mesmer, polaris, segmentation and caliban only; spot runs for polaris.
        ["JOB_TYPES", "segmentation,mesmer,caliban,polaris", "config.js JOB_TYPES (default mesmer,polaris); predict.controller.js refuses others"],
        ["STORAGE_BUCKET", String(graph.outputs.bucket), "config.js STORAGE_BUCKET: gs:// or s3:// picks the cloud"],
        ["GCLOUD_PROJECT_ID", stack === "gcp" ? "deepcell-kiosk" : undefined, "config.js GCLOUD_PROJECT_ID, the Storage client's project"],
        ["AWS_REGION", stack === "aws" ? "us-west-2" : stack === "local" ? "us-east-1" : undefined, "config.js AWS_REGION, the S3 client's"],
        // Read by our overlay (aws and local) only: images/kiosk-frontend/storage.js settings().
        ["STORAGE_SIGNED_URL_SECONDS", stack === "gcp" ? undefined : "86400", "storage.js: the signed link's lifetime (kiosk:signedLinkSeconds)"],
        ["STORAGE_S3_PATH_STYLE", stack === "local" ? "true" : undefined, "storage.js: MinIO serves buckets by path"],
      ];
      const localStore = new Set(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"]);
      const own = Object.fromEntries(Object.entries(env).filter(([name]) => !(stack === "local" && localStore.has(name))));
      expect(own).toEqual(Object.fromEntries(facts.filter(([, value]) => value !== undefined).map(([name, value]) => [name, value])));
      expect(mainContainer("frontend").ports).toEqual([{ name: "http", containerPort: 8080 }]);
    });

    // Each row: a variable the consumer image reads, the consumers that get it, its value, and where the image
    // reads it (vanvalenlab/kiosk-redis-consumer@0.17.2) or why the value (vanvalenlab/kiosk-console
    // conf/helmfile.d, the original deployment, where it differs from the image's default).
    const consumerFacts: [string, readonly string[], string, string][] = [
      ["QUEUE", ["*"], "<job type>", "redis_consumer/settings.py QUEUE (default predict); the zip consumer reads <QUEUE>-zip (consumers/base_consumer.py ZipFileConsumer)"],
      ["CONSUMER_TYPE", ["*"], "<job type> or zip", "consume-redis-events.py picks consumers/__init__.py CONSUMERS[CONSUMER_TYPE]"],
      ["REDIS_HOST", ["*"], "redis", "settings.py REDIS_HOST (default redis-master); redis.py asks SENTINEL masters"],
      ["REDIS_PORT", ["*"], "26379", "settings.py REDIS_PORT (default 6379); the Sentinel port, as the original"],
      ["STORAGE_BUCKET", ["*"], "<bucket URL>", "settings.py STORAGE_BUCKET; storage.py get_client picks GCS or S3 from its scheme"],
      ["TF_HOST", ["segmentation", "mesmer", "caliban", "polaris", "spot"], "tf-serving", "settings.py TF_HOST, used by the gRPC client"],
      ["TF_PORT", ["segmentation", "mesmer", "caliban", "polaris", "spot"], "8500", "settings.py TF_PORT"],
      ["GRPC_TIMEOUT", ["segmentation", "mesmer", "caliban", "polaris", "spot"], "20", "settings.py GRPC_TIMEOUT (default 30); the original ran 20"],
      ["TF_MAX_BATCH_SIZE", ["segmentation", "caliban", "polaris", "spot"], "32", "settings.py TF_MAX_BATCH_SIZE (default 64); the original ran 32; caliban's frame cap"],
      ["TF_MAX_BATCH_SIZE", ["mesmer"], "8", "the original ran mesmer at 8"],
      ["NUCLEAR_MODEL", ["segmentation"], "NuclearSegmentation:75", "settings.py NUCLEAR_MODEL (default NuclearSegmentation:6); the original's"],
      ["CYTOPLASM_MODEL", ["segmentation"], "CytoplasmSegmentation:5", "settings.py CYTOPLASM_MODEL"],
      ["PHASE_MODEL", ["segmentation"], "CytoplasmSegmentation:5", "settings.py PHASE_MODEL (default PhaseCytoSegmentation:0); the original's"],
      ["MESMER_MODEL", ["mesmer"], "MultiplexSegmentation:9", "settings.py MESMER_MODEL"],
      ["MESMER_COMPARTMENT", ["mesmer"], "both", "settings.py MESMER_COMPARTMENT (default whole-cell); the original segmented both compartments"],
      ["INTERVAL", ["caliban", "polaris"], "1", "settings.py INTERVAL (default 10), read by the caliban and polaris consumers while they wait for child jobs"],
      ["TRACKING_MODEL", ["caliban"], "NuclearTrackingInf:75", "settings.py TRACKING_MODEL (default NuclearTrackingInf:6); the original's"],
      ["NEIGHBORHOOD_ENCODER", ["caliban"], "NuclearTrackingNE:75", "settings.py NEIGHBORHOOD_ENCODER (default :6); the original's"],
      ["DIVISION", ["caliban"], "0.01", "settings.py DIVISION (default 0.9); the original's"],
      ["MAX_DISTANCE", ["caliban"], "60", "settings.py MAX_DISTANCE (default 50); the original's"],
      ["SEGMENTATION_QUEUE", ["caliban"], "segmentation", "settings.py SEGMENTATION_QUEUE (default predict, a queue nothing drains); consumers/caliban_consumer.py pushes each frame there"],
      ["POLARIS_MODEL", ["spot"], "SpotDetection:7", "settings.py POLARIS_MODEL (default SpotDetection:3), read by consumers/spot_consumer.py; the original's"],
    ];
    // Read by our overlay (aws and local) only: images/kiosk-redis-consumer/storage.py.
    const overlayConsumerFacts: [string, readonly string[], string, string][] = [
      ["STORAGE_SIGNED_URL_SECONDS", ["*"], "86400", "storage.py SIGNED_URL_SECONDS: the result link's lifetime (kiosk:signedLinkSeconds)"],
      ...(stack === "local" ? ([["STORAGE_S3_PATH_STYLE", ["*"], "true", "storage.py S3Storage.make_client: MinIO serves buckets by path"]] as [string, readonly string[], string, string][]) : []),
    ];

    it("gives each consumer exactly the variables its image reads, with the original Kiosk's values (a table of facts)", () => {
      const jobTypes = ["segmentation", "mesmer", "caliban", "polaris", "spot"];
      // The cloud's region and, on local, the store's credentials come from the seam (tested with each cloud).
      const platformEnv = new Set(["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"]);
      const expected = (consumer: string, zip: boolean) => {
        const values: Record<string, string> = {};
        for (const [name, applies, value] of [...consumerFacts, ...(stack === "gcp" ? [] : overlayConsumerFacts)]) {
          const forThis = applies.includes("*") || (!zip && applies.includes(consumer));
          if (!forThis) continue;
          values[name] =
            value === "<job type>" ? consumer : value === "<job type> or zip" ? (zip ? "zip" : consumer) : value === "<bucket URL>" ? String(graph.outputs.bucket) : value;
        }
        return values;
      };
      for (const jobType of jobTypes) {
        const env = envOf(mainContainer(`${jobType}-consumer`));
        const own = Object.fromEntries(Object.entries(env).filter(([name]) => !platformEnv.has(name)));
        expect({ consumer: jobType, env: own }).toEqual({ consumer: jobType, env: expected(jobType, false) });
      }
      for (const jobType of ["segmentation", "mesmer", "caliban", "polaris"]) {
        const env = envOf(mainContainer(`${jobType}-zip-consumer`));
        const own = Object.fromEntries(Object.entries(env).filter(([name]) => !platformEnv.has(name)));
        expect({ consumer: `${jobType}-zip`, env: own }).toEqual({ consumer: `${jobType}-zip`, env: expected(jobType, true) });
      }
      if (stack === "aws") expect(envOf(mainContainer("segmentation-consumer")).AWS_REGION).toBe("us-west-2");
    });

    it("drains every queue something pushes to: the portal's job types and their -zip queues, and polaris's spot queue", () => {
      const portal = envOf(mainContainer("frontend")).JOB_TYPES.split(",");
      const consumers = workloads().filter((w) => w.labels["app.kubernetes.io/component"] === "consumer");
      // kiosk-frontend@0.11.3 server/controllers/predict.controller.js pushes to <jobType> or <jobType>-zip;
      // kiosk-redis-consumer@0.17.2 consumers/polaris_consumer.py pushes to spot, segmentation and mesmer.
      const pushedTo = [...portal.flatMap((t) => [t, `${t}-zip`]), "spot", "segmentation", "mesmer"];
      expect(consumers.map((c) => c.labels["kiosk.deepcell.org/queue"]).sort()).toEqual([...new Set(pushedTo)].sort());
      expect(consumers.map((c) => c.name)).not.toContain("spot-zip-consumer");
    });

    it("drives consumers and the frontend from the configured job types", async () => {
      const custom = renderGraph(await evaluateStack(stack, { "kiosk:jobTypes": ["mesmer", "segmentation"] }));
      const customObjects = allObjects(custom);
      const consumers = podTemplateOwners(customObjects).filter((w) => w.labels["app.kubernetes.io/component"] === "consumer");
      expect(consumers.map((c) => c.name).sort()).toEqual(["mesmer-consumer", "mesmer-zip-consumer", "segmentation-consumer", "segmentation-zip-consumer"]);
      const frontend = podTemplateOwners(customObjects).find((w) => w.name === "frontend");
      expect(envOf(frontend!.podSpec.containers[0]).JOB_TYPES).toBe("mesmer,segmentation");
      const janitor = podTemplateOwners(customObjects).find((w) => w.name === "redis-janitor");
      expect(envOf(janitor!.podSpec.containers[0]).QUEUES).toBe("mesmer,segmentation");
    });

    it("configures TF-Serving's server and its config writer with exactly what each image reads (tables of facts)", async () => {
      const tf = workload("tf-serving");
      const identityEnv = new Set(["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3"]);
      const own = (container: Record<string, unknown>) => Object.fromEntries(Object.entries(envOf(container)).filter(([name]) => !identityEnv.has(name)));
      // vanvalenlab/kiosk-tf-serving@0.6.0:bin/serve.sh builds tensorflow_model_server's flags from these.
      const server: [string, string][] = [
        ["PORT", "8500"], // --port
        ["REST_API_PORT", "8501"], // --rest_api_port
        ["REST_API_TIMEOUT", "30000"], // --rest_api_timeout_in_ms
        ["ENABLE_BATCHING", "true"], // --enable_batching, and --batching_parameters_file when true
        ["PROMETHEUS_MONITORING_ENABLED", "true"], // --monitoring_config_file when true
        ["MODEL_CONFIG_FILE", "/config/models.conf"], // --model_config_file
        ["BATCHING_CONFIG_FILE", "/config/batching_config.txt"],
        ["MONITORING_CONFIG_FILE", "/config/monitoring_config.txt"],
        // Off GCP, no metadata-server probe before its anonymous reads of gs://deepcell-models
        // (tensorflow@v2.8.0 core/platform/cloud/google_auth_provider.cc GetToken reads NO_GCE_CHECK).
        ...(stack === "gcp" ? [] : ([["NO_GCE_CHECK", "true"]] as [string, string][])),
      ];
      // The same flags serve.sh builds from that env (bin/serve.sh@0.6.0), each reading the env var above, plus
      // parallel loading: tensorflow/serving@2.8.0 main.cc --num_load_threads (0, serial, by default).
      const container = tf.podSpec.containers[0];
      expect(container.command).toEqual(["tensorflow_model_server"]);
      const pinnedVersions = modelsUsedBy(graph.config.jobTypes).reduce((n, m) => n + m.versions.length, 0);
      const cpus = Number(container.resources.limits.cpu);
      expect(container.args).toEqual([
        "--port=$(PORT)",
        "--rest_api_port=$(REST_API_PORT)",
        "--rest_api_timeout_in_ms=$(REST_API_TIMEOUT)",
        "--enable_batching=$(ENABLE_BATCHING)",
        "--model_config_file=$(MODEL_CONFIG_FILE)",
        "--monitoring_config_file=$(MONITORING_CONFIG_FILE)",
        "--batching_parameters_file=$(BATCHING_CONFIG_FILE)",
        `--num_load_threads=${Math.min(pinnedVersions, cpus)}`,
      ]);
      for (const reference of container.args.flatMap((a: string) => [...a.matchAll(/\$\((\w+)\)/g)].map((m) => m[1]))) expect(Object.keys(envOf(container))).toContain(reference);
      // vanvalenlab/kiosk-tf-serving@0.5.0:bin/write.sh passes these to write_config_file.py.
      const writer: [string, string][] = [
        ["STORAGE_BUCKET", "gs://deepcell-models"], // --storage-bucket: the models, not the Kiosk's uploads
        ["MODEL_PREFIX", "models"], // --model-prefix
        ["MODEL_CONFIG_FILE", "/config/models.conf"], // --file-path, on the volume the server mounts
        ["BATCHING_CONFIG_FILE", "/config/batching_config.txt"], // --batch-file-path
        ["MONITORING_CONFIG_FILE", "/config/monitoring_config.txt"], // --monitoring-file-path
        ["PROMETHEUS_MONITORING_ENABLED", "true"], // --monitoring-enabled
        ["PROMETHEUS_MONITORING_PATH", "/monitoring/prometheus/metrics"], // --monitoring-path, scraped by Prometheus
        ["MAX_BATCH_SIZE", "32"], // --max-batch-size (image default 1)
        ["BATCH_TIMEOUT_MICROS", "0"], // --batch-timeout
        ["MAX_ENQUEUED_BATCHES", "512"], // --max-enqueued-batches (image default 128)
      ];
      expect(own(tf.podSpec.containers[0])).toEqual(Object.fromEntries(server));
      const mounts = (c: { volumeMounts: { mountPath: string }[] }) => c.volumeMounts.map((m) => m.mountPath);
      expect(mounts(tf.podSpec.containers[0])).toContain("/config");
      expect(tf.podSpec.containers[0].ports.map((p: { containerPort: number }) => p.containerPort).sort()).toEqual([8500, 8501]);
      expect(tf.podSpec.containers[0].readinessProbe.httpGet).toEqual({ path: "/monitoring/prometheus/metrics", port: "rest" });
      expect(tf.object.spec.replicas).toBe(0);
      // With kiosk:tfServingModels all, the config writer lists the bucket and writes the files instead; it
      // needs Google credentials (kiosk-tf-serving@0.5.0 writers.py: storage.Client(), get_bucket()), so gcp only.
      if (stack !== "gcp") {
        await expect(evaluateStack(stack, { "kiosk:tfServingModels": "all" })).rejects.toThrow(/kiosk:tfServingModels = "all" works on gcp only/);
        return;
      }
      const listing = podTemplateOwners(allObjects(renderGraph(await evaluateStack(stack, { "kiosk:tfServingModels": "all" })))).find((w) => w.name === "tf-serving")!;
      expect(listing.podSpec.initContainers[0].image).toBe("vanvalenlab/kiosk-tf-serving-config-writer:0.5.0");
      expect(own(listing.podSpec.initContainers[0])).toEqual(Object.fromEntries(writer));
      expect(mounts(listing.podSpec.initContainers[0])).toContain("/config");
      expect(listing.podSpec.volumes.find((v: { name: string }) => v.name === "config")).toEqual({ name: "config", emptyDir: {} });
    });

    it("pins TF-Serving to exactly the model versions the consumers ask for, written by the program instead of a bucket listing", () => {
      const tf = workload("tf-serving");
      expect(tf.podSpec.initContainers ?? []).toEqual([]);
      expect(tf.podSpec.volumes.find((v: { name: string }) => v.name === "config")).toEqual({ name: "config", configMap: { name: "tf-serving-config" } });
      const files = find(kioskObjects, "ConfigMap", "tf-serving-config").data;
      expect(Object.keys(files).sort()).toEqual(["batching_config.txt", "models.conf", "monitoring_config.txt"]);
      // The consumers' model settings (see the consumer facts above), each Name:version.
      const asked = ["NuclearSegmentation:75", "CytoplasmSegmentation:5", "MultiplexSegmentation:9", "NuclearTrackingInf:75", "NuclearTrackingNE:75", "SpotDetection:7"];
      const served = [...files["models.conf"].matchAll(/name: "([^"]+)"\s+base_path: "([^"]+)"[\s\S]*?specific: \{ ([^}]*) \}/g)].flatMap((m) =>
        [...m[3].matchAll(/versions: (\d+)/g)].map((v) => ({ model: `${m[1]}:${v[1]}`, basePath: m[2] })),
      );
      expect(served.map((s) => s.model).sort()).toEqual(asked.sort());
      for (const { model, basePath } of served) expect(basePath).toBe(`gs://deepcell-models/models/${model.split(":")[0]}`);
      expect(files["models.conf"]).not.toMatch(/all: \{\}/);
      expect(files["batching_config.txt"]).toMatch(/max_batch_size \{\n value: 32\n\}[\s\S]*max_enqueued_batches \{\n value: 512\n\}[\s\S]*num_batch_threads \{\n value: \d+\n\}/);
      expect(files["monitoring_config.txt"]).toBe('prometheus_config: {\n  enable: true,\n  path: "/monitoring/prometheus/metrics"\n}\n');
      expect(tf.object.spec.template.metadata.annotations["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
    });

    // vanvalenlab/kiosk-redis-janitor@0.9.0:redis_janitor/janitors.py: _update_pods calls
    // list_pod_for_all_namespaces and turns an ApiException into "no pods"; kill_pod is never called.
    it("gives the janitor its queues and exactly the pod access its image uses: list, in all namespaces", () => {
      // Each row: variable, value, where vanvalenlab/kiosk-redis-janitor@0.9.0 reads it (clean-redis.py, python-decouple).
      const facts: [string, string, string][] = [
        ["QUEUES", "segmentation,mesmer,caliban,polaris,spot", "clean-redis.py QUEUES (default QUEUE, predict): every queue a consumer drains, as the original"],
        ["INTERVAL", "5", "clean-redis.py INTERVAL (default 20 s); the original ran 5"],
        ["REDIS_HOST", "redis", "clean-redis.py REDIS_HOST (default redis-master)"],
        ["REDIS_PORT", "26379", "clean-redis.py REDIS_PORT; redis_janitor/redis.py asks Sentinel for the master"],
      ];
      expect(envOf(mainContainer("redis-janitor"))).toEqual(Object.fromEntries(facts.map(([name, value]) => [name, value])));
      const role = objects.find((o) => o.kind === "ClusterRole" && o.metadata.name === `${kiosk}-redis-janitor`)!;
      expect(role.rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }]);
      const binding = objects.find((o) => o.kind === "ClusterRoleBinding" && o.metadata.name === `${kiosk}-redis-janitor`)!;
      expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${kiosk}-redis-janitor` });
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: workload("redis-janitor").podSpec.serviceAccountName, namespace: kiosk }]);
      expect(kioskObjects.some((o) => o.kind === "Role" && o.metadata.name === "redis-janitor")).toBe(false);
    });
  });

  describe("job paths the images take", () => {
    // vanvalenlab/kiosk-redis-consumer@0.17.2: redis_consumer/settings.py (SEGMENTATION_QUEUE, default
    // "predict") and redis_consumer/consumers/caliban_consumer.py (lpush of each frame's job onto it).
    it("sends caliban's per-frame segmentation jobs to the segmentation queue, which a consumer drains", () => {
      expect(envOf(mainContainer("caliban-consumer")).SEGMENTATION_QUEUE).toBe("segmentation");
      expect(envOf(mainContainer("segmentation-consumer"))).toMatchObject({ QUEUE: "segmentation", CONSUMER_TYPE: "segmentation" });
      for (const w of workloads().filter((x) => x.name !== "caliban-consumer")) {
        for (const container of w.podSpec.containers) expect(envOf(container).SEGMENTATION_QUEUE).toBeUndefined();
      }
    });

    // vanvalenlab/kiosk-frontend@0.11.3: server/config/multer.js keeps uploads in memory (memoryStorage)
    // unless its cloud is aws; no front door caps a body (see "the portal's front door"), so the largest
    // upload is the program's maxUploadSize.
    it("gives the frontend more memory than the largest upload the portal accepts, and room to run", () => {
      const bodyLimit = nginxSize(maxUploadSize);
      const memoryLimit = quantityBytes(mainContainer("frontend").resources.limits.memory);
      expect(bodyLimit).toBe(1024 ** 3);
      expect(memoryLimit).toBeGreaterThanOrEqual(bodyLimit + 1024 ** 3);
    });
  });

  describe("wiring", () => {
    it("points every *_HOST/*_PORT pair at a Service in the namespace that exposes that port", () => {
      const services = kioskObjects.filter((o) => o.kind === "Service");
      let checked = 0;
      for (const w of workloads()) {
        for (const container of [...w.podSpec.containers, ...(w.podSpec.initContainers ?? [])]) {
          const env = envOf(container);
          for (const prefix of ["REDIS", "TF"]) {
            if (!env[`${prefix}_HOST`]) continue;
            const service = services.find((s) => s.metadata.name === env[`${prefix}_HOST`]);
            expect(service).toBeDefined();
            expect(service!.spec.ports.map((p: { port: number }) => String(p.port))).toContain(env[`${prefix}_PORT`]);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(12);
    });

    it("selects running pods with every Service, on ports those pods declare", () => {
      for (const service of kioskObjects.filter((o) => o.kind === "Service")) {
        const backends = workloads().filter((w) => matches(service.spec.selector, w.labels));
        expect({ service: service.metadata.name, backends: backends.length }).toEqual({ service: service.metadata.name, backends: expect.any(Number) });
        expect(backends.length).toBeGreaterThan(0);
        const declared = backends.flatMap((b) => b.podSpec.containers.flatMap((c: { ports?: { name: string }[] }) => (c.ports ?? []).map((p) => p.name)));
        for (const port of service.spec.ports) expect(declared).toContain(port.targetPort);
      }
    });

    it("points Redis clients at Sentinel with the master set the chart configures", () => {
      const redisChart = rendered.ownCharts.find((c) => c.chart === "charts/redis")!;
      const scaledObjects = kioskObjects.filter((o) => o.kind === "ScaledObject");
      const sentinelTriggers = scaledObjects.flatMap((s) => s.spec.triggers).filter((t: { type: string }) => t.type === "redis-sentinel");
      expect(sentinelTriggers.length).toBeGreaterThan(0);
      for (const trigger of sentinelTriggers) {
        expect(trigger.metadata.sentinelMaster).toBe(redisChart.values.masterSet);
        expect(trigger.metadata.addresses).toBe("redis.deepcell.svc.cluster.local:26379");
      }
    });

    it("targets an existing Deployment with every ScaledObject, and reads metrics the exporter publishes", () => {
      const scaledObjects = kioskObjects.filter((o) => o.kind === "ScaledObject");
      const deployments = kioskObjects.filter((o) => o.kind === "Deployment").map((d) => d.metadata.name);
      expect(scaledObjects.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual([...deployments.filter((d) => d.endsWith("consumer")), "tf-serving"].sort());
      const exporterEnv = envOf(mainContainer("redis-exporter"));
      const countScript = find(kioskObjects, "ConfigMap", "redis-scripts").data["count-jobs.lua"];
      expect(exporterEnv.REDIS_EXPORTER_SCRIPT).toBe("/scripts/count-jobs.lua");
      const exporterService = find(kioskObjects, "Service", "redis-exporter");
      for (const trigger of scaledObjects.flatMap((s) => s.spec.triggers).filter((t: { type: string }) => t.type === "metrics-api")) {
        const url = new URL(trigger.metadata.url);
        expect(url.hostname).toBe("redis-exporter.deepcell.svc.cluster.local");
        expect(exporterService.spec.ports.map((p: { port: number }) => String(p.port))).toContain(url.port);
        // The script's output is checked against a real server in npm run test:redis; here, that it names the key.
        const key = /^redis_script_values\{key="(.+)"\}$/.exec(trigger.metadata.valueLocation)?.[1];
        expect(key).toBeDefined();
        expect(countScript).toContain(key!.includes(":") ? `"${key!.split(":")[0]}:"` : `"${key}"`);
      }
    });

    it("starts TF-Serving from zero on any queue's work and keeps it while jobs are in flight", () => {
      const tf = find(kioskObjects, "ScaledObject", "tf-serving").spec;
      expect(tf.minReplicaCount).toBe(0);
      expect(tf.pollingInterval).toBeLessThanOrEqual(10);
      expect(tf.cooldownPeriod).toBeGreaterThanOrEqual(300);
      const queues = ["segmentation", "mesmer", "caliban", "polaris", "spot"].flatMap((q) => [q, `${q}-zip`]);
      const listed = tf.triggers.filter((t: { type: string }) => t.type === "redis-sentinel").map((t: { metadata: { listName: string } }) => t.metadata.listName);
      expect(listed.sort()).toEqual(queues.sort());
      for (const t of tf.triggers.filter((t: { type: string }) => t.type !== "prometheus")) expect(t.metadata.activationListLength ?? t.metadata.activationTargetValue).toBe("0");
      const exporterCounts = tf.triggers.filter((t: { type: string }) => t.type === "metrics-api");
      // The whole backlog (every queue's waiting jobs together, not the deepest queue) and the jobs in flight.
      expect(Object.fromEntries(exporterCounts.map((t: { name: string; metadata: { valueLocation: string; targetValue: string } }) => [t.metadata.valueLocation, t.metadata.targetValue]))).toEqual({
        'redis_script_values{key="waiting"}': "20",
        'redis_script_values{key="in_flight"}': "16",
      });
      const expectedMax = stack === "local" ? 1 : graph.config.gpu.maxNodes * graph.config.gpu.countPerNode;
      expect(tf.maxReplicaCount).toBe(expectedMax);
    });

    it("falls back to the queues alone when the exporter cannot be read, so an outage does not hold GPU nodes", () => {
      for (const scaledObject of kioskObjects.filter((o) => o.kind === "ScaledObject")) {
        expect({ name: scaledObject.metadata.name, fallback: scaledObject.spec.fallback }).toEqual({ name: scaledObject.metadata.name, fallback: { failureThreshold: 3, replicas: 0 } });
        // The queue triggers read Redis through Sentinel, not the exporter: they keep working in an outage.
        const exporterTriggers = scaledObject.spec.triggers.filter((t: { metadata: { url?: string } }) => t.metadata.url?.includes("redis-exporter"));
        expect(exporterTriggers.length).toBe(scaledObject.metadata.name === "tf-serving" ? 2 : 1);
        expect(scaledObject.spec.triggers.filter((t: { type: string }) => t.type === "redis-sentinel").length).toBeGreaterThan(0);
      }
    });

    it("scales TF-Serving from one replica up on GPU utilisation where the stack has GPU metrics (70 % per GPU, the original's target)", () => {
      const tf = find(kioskObjects, "ScaledObject", "tf-serving").spec;
      const gpuTriggers = tf.triggers.filter((t: { type: string }) => t.type === "prometheus");
      const keda = rendered.upstreamCharts.find((r) => r.chart === "keda")!;
      const triggerAuthentications = kioskObjects.filter((o) => o.kind === "TriggerAuthentication");
      if (stack === "local") {
        // No GPU pool, no GPU metrics.
        expect(gpuTriggers).toEqual([]);
        expect(triggerAuthentications).toEqual([]);
        return;
      }
      expect(gpuTriggers.length).toBe(1);
      const trigger = gpuTriggers[0];
      expect({ threshold: trigger.metadata.threshold, activation: trigger.metadata.activationThreshold }).toEqual({ threshold: "70", activation: "10" });
      if (stack === "aws") {
        // dcgm-exporter (installed with kiosk:monitoring) scraped by the in-cluster Prometheus.
        const prometheus = objects.find((o) => o.kind === "Service" && o.metadata.name === "kube-prometheus-stack-prometheus");
        const url = new URL(trigger.metadata.serverAddress);
        expect(url.hostname).toBe(`kube-prometheus-stack-prometheus.monitoring.svc.cluster.local`);
        if (prometheus) expect(prometheus.spec.ports.map((p: { port: number }) => String(p.port))).toContain(url.port);
        expect(trigger.metadata.query).toBe("sum(DCGM_FI_DEV_GPU_UTIL)");
        expect(trigger.authenticationRef).toBeUndefined();
        expect(rendered.upstreamCharts.map((r) => r.chart)).toContain("dcgm-exporter");
        expect(keda.values.podIdentity).toBeUndefined();
      } else {
        // GKE's managed DCGM metrics, read from Managed Service for Prometheus with KEDA's own Google identity.
        expect(trigger.metadata.serverAddress).toBe(`https://monitoring.googleapis.com/v1/projects/${graph.config.gcp!.project}/location/global/prometheus`);
        expect(trigger.metadata.query).toBe(`sum(DCGM_FI_DEV_GPU_UTIL{cluster="${graph.config.clusterName}"})`);
        expect(trigger.authenticationRef).toEqual({ name: "gpu-metrics" });
        expect(triggerAuthentications.map((t) => [t.metadata.name, t.spec])).toEqual([["gpu-metrics", { podIdentity: { provider: "gcp" } }]]);
        expect(keda.values.podIdentity).toEqual({ gcp: { enabled: true, gcpIAMServiceAccount: expect.stringMatching(/@.*\.iam\.gserviceaccount\.com$/) } });
      }
    });

    it("caps each consumer at the original Kiosk's consumers per GPU times the GPU count, and at a few without GPUs", () => {
      // kiosk-console@1.8.1 conf/helmfile.d: GPU_NODE_MAX_SIZE × 150 (segmentation), 100 (segmentation-zip, caliban-zip), 50 (the others).
      const perGpu: Record<string, number> = {
        "segmentation-consumer": 150, "segmentation-zip-consumer": 100, "caliban-consumer": 50, "caliban-zip-consumer": 100,
        "mesmer-consumer": 50, "mesmer-zip-consumer": 50, "polaris-consumer": 50, "polaris-zip-consumer": 50, "spot-consumer": 50,
      };
      const gpus = graph.config.gpu.maxNodes * graph.config.gpu.countPerNode;
      const ceilings = Object.fromEntries(kioskObjects.filter((o) => o.kind === "ScaledObject" && o.metadata.name !== "tf-serving").map((o) => [o.metadata.name, o.spec.maxReplicaCount]));
      // Without a GPU pool (local), TF-Serving on CPU serves a few requests at a time: 4 consumers, 2 zip consumers.
      const expected = (name: string) => (stack === "local" ? (name.includes("-zip-") ? 2 : 4) : perGpu[name] * gpus);
      expect(ceilings).toEqual(Object.fromEntries(Object.keys(ceilings).map((name) => [name, expected(name)])));
      expect(Object.keys(ceilings).sort()).toEqual(Object.keys(perGpu).sort());
    });

    it("scales each consumer on its own queue and its own jobs in flight", () => {
      for (const consumer of workloads().filter((w) => w.labels["app.kubernetes.io/component"] === "consumer")) {
        const queue = consumer.labels["kiosk.deepcell.org/queue"];
        const spec = find(kioskObjects, "ScaledObject", consumer.name).spec;
        expect(spec.minReplicaCount).toBe(0);
        expect(spec.triggers.find((t: { type: string }) => t.type === "redis-sentinel").metadata.listName).toBe(queue);
        expect(spec.triggers.find((t: { type: string }) => t.type === "metrics-api").metadata.valueLocation).toBe(`redis_script_values{key="in_flight:${queue}"}`);
      }
    });

    it("marks every consumer pod that holds a job, with no more access than patching its own pod's two annotations", () => {
      const redisChart = rendered.ownCharts.find((c) => c.chart === "charts/redis")!;
      const consumers = workloads().filter((w) => w.labels["app.kubernetes.io/component"] === "consumer");
      expect(consumers.length).toBeGreaterThan(0);
      for (const consumer of consumers) {
        const holder = consumer.podSpec.containers.find((c: { name: string }) => c.name === "job-holder");
        const env = envOf(holder);
        const consumerEnv = envOf(consumer.podSpec.containers[0]);
        // The list kiosk-redis-consumer@0.17.2 base_consumer.py moves a job into is processing-<queue>:<HOSTNAME>,
        // where the queue is QUEUE, or QUEUE-zip for the zip consumer (ZipFileConsumer.__init__): the queue it drains.
        const drains = consumerEnv.CONSUMER_TYPE === "zip" ? `${consumerEnv.QUEUE}-zip` : consumerEnv.QUEUE;
        expect(drains).toBe(consumer.labels["kiosk.deepcell.org/queue"]);
        expect({ consumer: consumer.name, queue: env.QUEUE, host: env.REDIS_HOST, port: env.REDIS_PORT, masterSet: env.REDIS_MASTER_SET }).toEqual({
          consumer: consumer.name,
          queue: drains,
          host: consumerEnv.REDIS_HOST,
          port: consumerEnv.REDIS_PORT,
          masterSet: redisChart.values.masterSet,
        });
        expect(holder.image).toBe(consumer.podSpec.containers[0].image);
        expect(holder.env.find((e: { name: string }) => e.name === "POD_NAME").valueFrom).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
      }
      const script = find(kioskObjects, "ConfigMap", "consumer-job-holder").data["job-holder.py"];
      expect(script.trim()).toBe(fs.readFileSync(path.join(projectRoot, "charts/consumers/scripts/job-holder.py"), "utf8").trim());
      expect(find(kioskObjects, "Role", "consumer-job-holder").rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["patch"] }]);
      const binding = find(kioskObjects, "RoleBinding", "consumer-job-holder");
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "kiosk-consumer", namespace: kiosk }]);
      const policy = objects.find((o) => o.kind === "ValidatingAdmissionPolicy" && o.metadata.name === `${kiosk}-consumer-job-holder`)!;
      expect(policy.spec.matchConditions).toEqual([{ name: "consumers-service-account", expression: `request.userInfo.username == "system:serviceaccount:${kiosk}:kiosk-consumer"` }]);
      const policyBinding = objects.find((o) => o.kind === "ValidatingAdmissionPolicyBinding" && o.metadata.name === policy.metadata.name)!;
      expect(policyBinding.spec).toEqual({ policyName: policy.metadata.name, validationActions: ["Deny"] });
      // What the policy allows and denies is checked by the real API server in npm run e2e:local.
    });

    it("holds job consumers until TF-Serving answers, so a cold GPU node does not fail jobs", () => {
      for (const consumer of workloads().filter((w) => w.labels["app.kubernetes.io/component"] === "consumer")) {
        const waits = (consumer.podSpec.initContainers ?? []).find((c: { name: string }) => c.name === "wait-for-tf-serving");
        const env = envOf(consumer.podSpec.containers[0]);
        if (env.CONSUMER_TYPE === "zip") {
          expect(waits).toBeUndefined();
        } else {
          expect(waits.command.join(" ")).toContain(`('${env.TF_HOST}', ${env.TF_PORT})`);
        }
      }
    });

    it("puts only TF-Serving on the GPU pool, with the GPU toleration, selector and request", () => {
      const tolerates = (w: PodTemplateOwner) =>
        (w.podSpec.tolerations ?? []).some((t: { key: string; effect: string }) => t.key === gpuTaint.key && t.effect === gpuTaint.effect);
      const selectsGpu = (w: PodTemplateOwner) => w.podSpec.nodeSelector?.[gpuPoolLabel[0]] === gpuPoolLabel[1];
      const requestsGpu = (w: PodTemplateOwner) =>
        w.podSpec.containers.some((c: { resources?: { limits?: Record<string, unknown> } }) => c.resources?.limits?.["nvidia.com/gpu"] !== undefined);
      for (const w of podTemplateOwners(objects)) {
        const isTf = w.name === "tf-serving";
        const expected = isTf && stack !== "local";
        expect({ workload: w.name, tolerates: tolerates(w), selects: selectsGpu(w), requests: requestsGpu(w) }).toEqual({
          workload: w.name,
          tolerates: expected,
          selects: expected,
          requests: expected,
        });
      }
    });

    it("places consumers on the consumer pool in the clouds, anywhere on a local cluster", () => {
      for (const consumer of workloads().filter((w) => w.labels["app.kubernetes.io/component"] === "consumer")) {
        if (stack === "local") {
          expect(consumer.podSpec.nodeSelector ?? {}).toEqual({});
        } else {
          expect(consumer.podSpec.nodeSelector).toEqual({ consumer: "yes" });
          expect(consumer.podSpec.tolerations).toEqual([{ key: "consumer", operator: "Equal", value: "yes", effect: "NoSchedule" }]);
        }
      }
    });

    it("gives every pod that uses the bucket a service account the cloud layer granted", () => {
      const granted = { frontend: "kiosk-frontend", consumer: "kiosk-consumer", tfServing: "kiosk-tf-serving" };
      // TF-Serving reads the models bucket through the paths of its models.conf.
      const bucketUsers = workloads().filter((w) => w.name === "tf-serving" || [...w.podSpec.containers, ...(w.podSpec.initContainers ?? [])].some((c: Record<string, unknown>) => envOf(c).STORAGE_BUCKET));
      // The frontend, TF-Serving and nine consumers (no spot-zip: nothing pushes to it).
      expect(bucketUsers.length).toBe(11);
      for (const w of bucketUsers) {
        const account = w.podSpec.serviceAccountName;
        expect(Object.values(granted)).toContain(account);
        const serviceAccount = find(kioskObjects, "ServiceAccount", account);
        if (stack === "gcp") expect(serviceAccount.metadata.annotations?.["iam.gke.io/gcp-service-account"]).toMatch(/@deepcell-kiosk\.iam\.gserviceaccount\.com$/);
        // Only containers that use the bucket carry the local store's keys; a consumer's job holder does not.
        for (const c of w.podSpec.containers) {
          const keys = Object.keys(envOf(c)).filter((k) => /SECRET|ACCESS_KEY/.test(k)).length;
          const usesBucket = w.name === "tf-serving" || envOf(c).STORAGE_BUCKET !== undefined;
          expect({ container: `${w.name}/${c.name}`, keys }).toEqual({ container: `${w.name}/${c.name}`, keys: stack === "local" && usesBucket ? 2 : 0 });
        }
      }
    });
  });

  describe("security and resources", () => {
    it("sets requests, limits and a locked-down securityContext on every container", () => {
      for (const w of workloads()) {
        for (const c of [...w.podSpec.containers, ...(w.podSpec.initContainers ?? [])]) {
          const where = `${w.name}/${c.name}`;
          expect({ where, requests: Object.keys(c.resources?.requests ?? {}).sort() }).toEqual({ where, requests: expect.arrayContaining(["cpu", "memory"]) });
          expect({ where, limits: Object.keys(c.resources?.limits ?? {}) }).toEqual({ where, limits: expect.arrayContaining(["memory"]) });
          expect({ where, escalation: c.securityContext?.allowPrivilegeEscalation, drop: c.securityContext?.capabilities?.drop }).toEqual({ where, escalation: false, drop: ["ALL"] });
          expect(c.securityContext?.privileged).not.toBe(true);
        }
        expect(w.podSpec.securityContext?.seccompProfile?.type).toBe("RuntimeDefault");
      }
    });

    it("probes every long-running container", () => {
      for (const w of workloads()) {
        for (const c of w.podSpec.containers) expect({ container: `${w.name}/${c.name}`, probed: Boolean(c.livenessProbe || c.readinessProbe) }).toEqual({ container: `${w.name}/${c.name}`, probed: true });
      }
    });

    it("runs Redis and its exporter as non-root with read-only root file systems", () => {
      for (const name of ["redis", "redis-exporter"]) {
        const w = workload(name);
        expect(w.podSpec.securityContext.runAsNonRoot).toBe(true);
        for (const c of w.podSpec.containers) expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      }
    });

    it("keeps Redis as three Sentinel members with AOF on a volume, a disruption budget and spread", () => {
      const set = find(kioskObjects, "StatefulSet", "redis");
      expect(set.spec.replicas).toBe(3);
      expect(set.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe(`${graph.config.redisStorageGi}Gi`);
      expect(set.spec.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe("Delete");
      expect(set.spec.template.spec.affinity.podAntiAffinity).toBeDefined();
      const startScript = find(kioskObjects, "ConfigMap", "redis-scripts").data["redis-start.sh"];
      expect(startScript).toMatch(/appendonly yes/);
      expect(startScript).toMatch(/appendfsync always/);
      expect(startScript).toMatch(/maxmemory-policy noeviction/);
      expect(find(kioskObjects, "PodDisruptionBudget", "redis").spec.maxUnavailable).toBe(1);
      // Sentinel only: every Kiosk client asks it for the master (see the env tables above).
      expect(find(kioskObjects, "Service", "redis").spec.ports.map((p: { port: number }) => p.port)).toEqual([26379]);
    });

    const endpoint = (namespace: string, labels: Record<string, string>) => ({ namespace, labels });
    const podOf = (name: string) => endpoint(kiosk, workload(name).labels);

    // Where the portal's requests come from: Envoy Gateway's proxies in their namespace, or the cloud
    // load balancer's own addresses (GKE's front ends, the ALB's in the VPC).
    const portalProxy: Endpoint = { local: endpoint("envoy-gateway-system", { "app.kubernetes.io/name": "envoy" }), gcp: { ip: "35.191.3.4" }, aws: { ip: "10.0.1.20" } }[stack]!;
    it("allows exactly the connections each service needs, and denies the rest", () => {
      const policies = objects.filter((o) => o.kind === "NetworkPolicy");
      const kubeDns = endpoint("kube-system", { "k8s-app": "kube-dns" });
      expect(mayConnect(policies, podOf("segmentation-consumer"), podOf("tf-serving"), 8500)).toBe(true);
      expect(mayConnect(policies, podOf("segmentation-consumer"), podOf("redis"), 26379)).toBe(true);
      expect(mayConnect(policies, podOf("frontend"), podOf("redis"), 26379)).toBe(true);
      expect(mayConnect(policies, podOf("redis"), podOf("redis"), 6379)).toBe(true);
      expect(mayConnect(policies, podOf("redis-exporter"), podOf("redis"), 6379)).toBe(true);
      expect(mayConnect(policies, podOf("frontend"), kubeDns, 53, "UDP")).toBe(true);
      expect(mayConnect(policies, portalProxy, podOf("frontend"), 8080)).toBe(true);
      expect(mayConnect(policies, endpoint("keda", { app: "keda-operator" }), podOf("redis-exporter"), 9121)).toBe(true);
      expect(mayConnect(policies, endpoint("keda", { app: "keda-operator" }), podOf("redis"), 26379)).toBe(true);
      expect(mayConnect(policies, endpoint("monitoring", { app: "prometheus" }), podOf("tf-serving"), 8501)).toBe(true);

      expect(mayConnect(policies, portalProxy, endpoint(kiosk, { "acme.cert-manager.io/http01-solver": "true" }), 8089)).toBe(true);

      expect(mayConnect(policies, podOf("frontend"), podOf("tf-serving"), 8500)).toBe(false);
      expect(mayConnect(policies, portalProxy, podOf("redis"), 6379)).toBe(false);
      expect(mayConnect(policies, endpoint("default", {}), podOf("frontend"), 8080)).toBe(false);
      expect(mayConnect(policies, podOf("redis"), podOf("frontend"), 8080)).toBe(false);
    });
  });

  describe("the portal's front door", () => {
    const gatewayOf = () => find(kioskObjects, "Gateway", "portal");
    const routeOf = () => find(kioskObjects, "HTTPRoute", "portal");
    const implementation = { aws: "aws-alb", gcp: "gke-l7-global-external-managed", local: "envoy-gateway" }[stack]!;

    it("is one Gateway of the cloud's implementation with one HTTPRoute to the frontend", () => {
      expect(gatewayOf().spec.gatewayClassName).toBe(implementation);
      expect(gatewayOf().spec.listeners.map((l: { name: string; port: number }) => [l.name, l.port])).toEqual([["http", 80]]);
      expect(routeOf().spec.parentRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "portal", sectionName: "http" }]);
      expect(routeOf().spec.rules).toHaveLength(1);
      expect(routeOf().spec.rules[0].backendRefs).toEqual([{ kind: "Service", name: "frontend", port: 8080 }]);
      expect(kioskObjects.filter((o) => o.kind === "Ingress")).toEqual([]);
    });

    it("is the load balancer's address in the clouds and the NodePort locally", () => {
      expect(graph.outputs.url).toBe({ local: "http://localhost:30080", gcp: `http://${mockLoadBalancerIp}`, aws: `http://${mockLoadBalancerHostname}` }[stack]);
      // On aws the address is the ALB's, which its controller writes to the Gateway's status: up waits for it.
      if (stack === "aws") expect(gatewayOf().metadata.annotations["pulumi.com/waitFor"]).toBe("jsonpath={.status.addresses[0].value}");
      if (stack === "gcp") expect(gatewayOf().spec.addresses).toEqual([{ type: "NamedAddress", value: graph.one("gcp:compute/globalAddress:GlobalAddress").name }]);
    });

    // Source ranges, each where the implementation enforces them: Cloud Armor (GCPBackendPolicy.securityPolicy),
    // the ALB's security group (LoadBalancerConfiguration.sourceRanges), Envoy's authorization (SecurityPolicy).
    it("lets only the stack's allowed CIDRs reach the portal, or warns that it is public", () => {
      if (stack === "local") {
        expect(graph.warnings.join("\n")).toMatch(/kiosk:portalAccess is public: anyone who finds the portal's address can upload images and start GPU nodes/);
        expect(kioskObjects.filter((o) => o.kind === "SecurityPolicy")).toEqual([]);
        return;
      }
      expect(graph.warnings.join("\n")).not.toMatch(/portalAccess is public/);
      if (stack === "gcp") {
        const armor = graph.one("gcp:compute/securityPolicy:SecurityPolicy");
        expect(armor.inputs.rules).toEqual([
          expect.objectContaining({ priority: 1000, action: "allow", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["192.0.2.0/24"] } } }),
          expect.objectContaining({ priority: 2147483647, action: "deny(403)", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } }),
        ]);
        expect(find(kioskObjects, "GCPBackendPolicy", "frontend").spec.default.securityPolicy).toBe(armor.name);
      } else {
        expect(find(kioskObjects, "LoadBalancerConfiguration", "portal").spec).toMatchObject({ scheme: "internet-facing", sourceRanges: ["192.0.2.0/24"] });
      }
    });

    // No implementation caps a request body: GKE's and AWS's load balancers have no body limit for these
    // backends, and Envoy buffers for flow control only. What ends a long upload is a timeout.
    it("accepts 1 GiB uploads: no body limit, and an hour for the request where the default would end it", () => {
      expect(maxUploadSize).toBe("1g");
      if (stack === "gcp") expect(find(kioskObjects, "GCPBackendPolicy", "frontend").spec).toMatchObject({ targetRef: { group: "", kind: "Service", name: "frontend" }, default: { timeoutSec: 3600 } });
      if (stack === "aws") expect(find(kioskObjects, "LoadBalancerConfiguration", "portal").spec.loadBalancerAttributes).toEqual([{ key: "idle_timeout.timeout_seconds", value: "3600" }]);
      if (stack === "local") expect(routeOf().spec.rules[0].timeouts).toEqual({ request: "3600s" });
    });
  });
});

describe("sign-in in front of the portal (kiosk:portalAccess sign-in)", () => {
  const signIn = {
    "kiosk:portalAccess": "sign-in",
    "kiosk:portalAllowedCidrs": undefined,
    "kiosk:domain": "kiosk.example.org",
    "kiosk:portalSignInClientId": "kiosk-portal",
    "kiosk:portalSignInClientSecret": "client-s3cret",
  };
  const secretOf = (graph: StackGraph, name: string) => graph.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === name)!;

  it("on gcp, turns IAP on for the frontend's backend with the lab's OAuth client, and grants it to the named members only", async () => {
    const graph = await evaluateStack("gcp", { ...signIn, "kiosk:portalSignInMembers": ["group:lab@example.org", "domain:example.org"] });
    const objects = allObjects(renderGraph(graph));
    // GoogleCloudPlatform/gke-gateway-api@fc40d60 apis/networking/v1/gcpbackendpolicy_types.go: iap.{enabled, clientID, oauth2ClientSecret.name}; the Secret's key is "key".
    expect(find(objects, "GCPBackendPolicy", "frontend").spec.default.iap).toEqual({ enabled: true, clientID: "kiosk-portal", oauth2ClientSecret: { name: "portal-iap" } });
    const secret = secretOf(graph, "portal-iap");
    expect(secret.secretInputs.has("stringData")).toBe(true);
    expect(Object.keys(secret.inputs.stringData)).toEqual(["key"]);
    const grants = graph.ofType("gcp:iap/webIamMember:WebIamMember");
    expect(grants.map((g) => [g.inputs.role, g.inputs.member])).toEqual([
      ["roles/iap.httpsResourceAccessor", "group:lab@example.org"],
      ["roles/iap.httpsResourceAccessor", "domain:example.org"],
    ]);
    expect(graph.ofType("gcp:projects/service:Service").map((s) => s.inputs.service)).toContain("iap.googleapis.com");
    expect(graph.warnings.join("\n")).not.toMatch(/portalAccess is public/);
  });

  it("on aws, puts the ALB's authenticate-oidc on the portal's route, with the client in a Secret only the controller may read", async () => {
    const graph = await evaluateStack("aws", {
      ...signIn,
      "kiosk:portalSignInIssuer": "https://id.example.org",
      "kiosk:portalSignInAuthorizationEndpoint": "https://id.example.org/authorize",
      "kiosk:portalSignInTokenEndpoint": "https://id.example.org/token",
      "kiosk:portalSignInUserInfoEndpoint": "https://id.example.org/userinfo",
    });
    const objects = allObjects(renderGraph(graph));
    const rule = find(objects, "ListenerRuleConfiguration", "portal-sign-in");
    expect(rule.spec.actions).toEqual([
      {
        type: "authenticate-oidc",
        authenticateOIDCConfig: {
          issuer: "https://id.example.org",
          authorizationEndpoint: "https://id.example.org/authorize",
          tokenEndpoint: "https://id.example.org/token",
          userInfoEndpoint: "https://id.example.org/userinfo",
          secret: { name: "portal-sign-in" },
          onUnauthenticatedRequest: "authenticate",
        },
      },
    ]);
    expect(find(objects, "HTTPRoute", "portal").spec.rules[0].filters).toEqual([{ type: "ExtensionRef", extensionRef: { group: "gateway.k8s.aws", kind: "ListenerRuleConfiguration", name: "portal-sign-in" } }]);
    // The controller reads keys clientID and clientSecret (kubernetes-sigs/aws-load-balancer-controller@v3.5.0 pkg/gateway/routeutils/route_rule_action.go).
    const secret = secretOf(graph, "portal-sign-in");
    expect(secret.secretInputs.has("stringData")).toBe(true);
    expect(Object.keys(secret.inputs.stringData).sort()).toEqual(["clientID", "clientSecret"]);
    const role = find(objects, "Role", "aws-load-balancer-controller-sign-in");
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["portal-sign-in"], verbs: ["get", "list", "watch"] }]);
    expect(find(objects, "RoleBinding", "aws-load-balancer-controller-sign-in").subjects).toEqual([{ kind: "ServiceAccount", name: "aws-load-balancer-controller", namespace: "kube-system" }]);
  });

  it("on local, puts Envoy Gateway's OIDC filter on the portal's route, returning to the HTTPS NodePort", async () => {
    const graph = await evaluateStack("local", { ...signIn, "kiosk:tls": true, "kiosk:acmeEmail": "ops@example.org", "kiosk:portalSignInIssuer": "https://id.example.org" });
    const objects = allObjects(renderGraph(graph));
    const policy = find(objects, "SecurityPolicy", "portal-access");
    expect(policy.spec.targetRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "portal" }]);
    expect(policy.spec.oidc).toMatchObject({ provider: { issuer: "https://id.example.org" }, clientID: "kiosk-portal", clientSecret: { name: "portal-sign-in" }, redirectURL: "https://kiosk.example.org:30443/oauth2/callback" });
    expect(policy.spec.authorization).toBeUndefined();
    // envoyproxy/gateway@v1.9.0 internal/ir/xds.go: the client secret is read from the key "client-secret".
    expect(Object.keys(secretOf(graph, "portal-sign-in").inputs.stringData)).toEqual(["client-secret"]);
    expect(secretOf(graph, "portal-sign-in").secretInputs.has("stringData")).toBe(true);
    expect(validateAgainstKubernetesSchemas(objects)).toEqual([]);
    expect(brokenReferences(objects).map(describeBroken)).toEqual([]);
  });

  it("on local, admits kiosk:portalAllowedCidrs only, by Envoy Gateway's authorization, when the stack says allowed-cidrs", async () => {
    const graph = await evaluateStack("local", { "kiosk:portalAccess": "allowed-cidrs", "kiosk:portalAllowedCidrs": ["10.1.0.0/16"] });
    const policy = find(allObjects(renderGraph(graph)), "SecurityPolicy", "portal-access");
    expect(policy.spec.authorization).toEqual({ defaultAction: "Deny", rules: [{ name: "allowed-cidrs", action: "Allow", principal: { clientCIDRs: ["10.1.0.0/16"] } }] });
    expect(policy.spec.oidc).toBeUndefined();
  });
});

describe("TLS for the portal", () => {
  const domain = { "kiosk:domain": "kiosk.example.org", "kiosk:portalAccess": "public", "kiosk:portalAllowedCidrs": undefined };
  const httpsParts = (objects: KubernetesObject[]) => ({
    gateway: find(objects, "Gateway", "portal"),
    route: find(objects, "HTTPRoute", "portal"),
    redirect: find(objects, "HTTPRoute", "portal-https-redirect"),
  });

  it("on gcp, serves a Google-managed certificate from Certificate Manager, proved by a DNS record the stack outputs", async () => {
    const graph = await evaluateStack("gcp", domain);
    const objects = allObjects(renderGraph(graph));
    expect(graph.outputs.url).toBe("https://kiosk.example.org");
    const certificate = graph.one("gcp:certificatemanager/certificate:Certificate");
    expect(certificate.inputs.managed.domains).toEqual(["kiosk.example.org"]);
    expect(graph.one("gcp:certificatemanager/dnsAuthorization:DnsAuthorization").inputs.domain).toBe("kiosk.example.org");
    expect(graph.one("gcp:certificatemanager/certificateMapEntry:CertificateMapEntry").inputs.hostname).toBe("kiosk.example.org");
    expect(graph.outputs).toHaveProperty("portalDnsValidation");
    const { gateway, route, redirect } = httpsParts(objects);
    expect(gateway.metadata.annotations["networking.gke.io/certmap"]).toEqual(expect.any(String));
    expect(gateway.spec.listeners.map((l: { name: string }) => l.name)).toEqual(["http", "https"]);
    expect(gateway.spec.listeners[1].tls).toBeUndefined();
    expect(route.spec.parentRefs[0].sectionName).toBe("https");
    expect(redirect.spec.rules[0].filters).toEqual([{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }]);
    expect(renderGraph(graph).upstreamCharts.map((c) => c.chart)).not.toContain("cert-manager");
    expect(graph.ofType("gcp:projects/service:Service").map((s) => s.inputs.service)).toContain("certificatemanager.googleapis.com");
  });

  it("on aws, serves an ACM certificate (DNS-validated) on the ALB's HTTPS listener", async () => {
    const graph = await evaluateStack("aws", domain);
    const objects = allObjects(renderGraph(graph));
    expect(graph.outputs.url).toBe("https://kiosk.example.org");
    const certificate = graph.one("aws:acm/certificate:Certificate");
    expect(certificate.inputs).toMatchObject({ domainName: "kiosk.example.org", validationMethod: "DNS" });
    expect(graph.outputs).toHaveProperty("portalDnsValidation");
    const { gateway, route, redirect } = httpsParts(objects);
    expect(gateway.spec.listeners.map((l: { name: string }) => l.name)).toEqual(["http", "https"]);
    expect(find(objects, "LoadBalancerConfiguration", "portal").spec.listenerConfigurations).toEqual([{ protocolPort: "HTTPS:443", defaultCertificate: expect.any(String) }]);
    expect(route.spec.parentRefs[0].sectionName).toBe("https");
    expect(redirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: "https", statusCode: 301 });
  });

  it("on local, issues a Let's Encrypt certificate through cert-manager, solved through the portal's Gateway", async () => {
    const graph = await evaluateStack("local", { ...domain, "kiosk:tls": true, "kiosk:acmeEmail": "ops@example.org" });
    const rendered = renderGraph(graph);
    const objects = allObjects(rendered);
    expect(graph.outputs.url).toBe("https://kiosk.example.org:30443");
    const certManager = rendered.upstreamCharts.find((c) => c.chart === "cert-manager")!;
    expect((certManager.values as { config: Record<string, unknown> }).config).toMatchObject({ kind: "ControllerConfiguration", gatewayAPI: { enabled: true } });
    const issuer = find(objects, "ClusterIssuer", "letsencrypt");
    expect(issuer.spec.acme.email).toBe("ops@example.org");
    expect(issuer.spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "portal", namespace: kiosk, sectionName: "http" }]);
    const { gateway, redirect } = httpsParts(objects);
    expect(gateway.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe("letsencrypt");
    expect(gateway.spec.listeners[1]).toMatchObject({ name: "https", hostname: "kiosk.example.org", tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "portal-tls" }] } });
    // Browsers reach the HTTPS NodePort, not 443.
    expect(redirect.spec.rules[0].filters[0].requestRedirect).toEqual({ scheme: "https", statusCode: 301, port: 30443 });
    expect(validateAgainstKubernetesSchemas(objects)).toEqual([]);
  });

  it("installs no cert-manager when TLS is off", async () => {
    const graph = await evaluateStack("gcp");
    expect(renderGraph(graph).upstreamCharts.map((c) => c.chart)).not.toContain("cert-manager");
    expect(graph.ofType("kubernetes:cert-manager.io/v1:ClusterIssuer")).toHaveLength(0);
  });
});

describe("order of creation and destruction", () => {
  const nodePoolTypes: Record<string, string> = { aws: "aws:eks/nodeGroup:NodeGroup", gcp: "gcp:container/nodePool:NodePool", local: "kubernetes:batch/v1:Job" };

  it.each(allStacks)("puts every platform resource on %s after the cloud layer is ready, so destroy removes it first", async (stack) => {
    const graph = await evaluateStack(stack);
    const ready = graph.ofType(nodePoolTypes[stack]).filter((r) => stack !== "local" || r.name.endsWith("object-store-bucket"));
    expect(ready.length).toBeGreaterThan(0);
    const platform = graph.one("kiosk:platform:Platform");
    const platformResources = graph.descendantsOf(platform).filter((r) => r.custom);
    expect(platformResources.length).toBeGreaterThan(20);
    for (const resource of platformResources) {
      for (const pool of ready) expect({ resource: resource.name, after: pool.name, ok: graph.dependsOn(resource, pool) }).toEqual({ resource: resource.name, after: pool.name, ok: true });
    }
  });
});

describe("the portal's load balancer at destroy", () => {
  // pulumi/pulumi-kubernetes@v4.25.0 provider/pkg/provider/helm_release.go (Delete): helm uninstall waits for
  // every object of the release to be gone when the release is atomic or skipAwait is unset; the controller's
  // LoadBalancer Service is gone only once the cloud has removed the load balancer (its cleanup finalizer).
  const network: Record<string, string> = { aws: "aws:ec2/subnet:Subnet", gcp: "gcp:compute/subnetwork:Subnetwork" };
  const cluster: Record<string, string> = { aws: "aws:eks/cluster:Cluster", gcp: "gcp:container/cluster:Cluster" };

  // The Gateway's controller deletes the load balancer it made when the Gateway goes (the ALB's finalizer
  // gateway.k8s.aws/alb, kubernetes-sigs/aws-load-balancer-controller@v3.5.0 controllers/gateway/gateway_controller.go;
  // GKE's gateway.finalizer.networking.gke.io), so the Gateway must go while its controller still runs, and
  // the GCP objects the load balancer uses (address, Cloud Armor policy) only after it. Deleting the Gateway
  // returns only once it is gone, finalizers included (pulumi/pulumi-kubernetes@v4.25.0 provider/pkg/await/await.go,
  // Deletion: 10 minutes unless the resource's timeout says otherwise).
  it("is removed on aws by the load balancer controller, which goes only after the Gateway and before the cluster and its subnets", async () => {
    const graph = await evaluateStack("aws");
    const gateway = graph.one("kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const controller = graph.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "aws-load-balancer-controller")!;
    expect(graph.dependsOn(gateway, controller)).toBe(true);
    for (const policy of [...graph.ofType("kubernetes:gateway.k8s.aws/v1:LoadBalancerConfiguration"), ...graph.ofType("kubernetes:gateway.k8s.aws/v1:TargetGroupConfiguration")]) {
      expect(graph.dependsOn(gateway, policy)).toBe(true);
      expect(graph.dependsOn(policy, controller)).toBe(true);
    }
    expect(controller.inputs.atomic === true || controller.inputs.skipAwait !== true).toBe(true);
    const after = [...graph.ofType(network.aws), ...graph.ofType(cluster.aws)];
    expect(after.length).toBeGreaterThan(1);
    for (const resource of after) expect({ dependsOn: resource.name, ok: graph.dependsOn(controller, resource) }).toEqual({ dependsOn: resource.name, ok: true });
  });

  it("is removed on local by Envoy Gateway, which goes only after the Gateway (its proxy's NodePort Service with it)", async () => {
    const graph = await evaluateStack("local");
    const gateway = graph.one("kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const controller = graph.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "oci://docker.io/envoyproxy/gateway-helm")!;
    expect(graph.dependsOn(gateway, controller)).toBe(true);
    expect(graph.dependsOn(gateway, graph.one("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"))).toBe(true);
  });

  it("is removed on gcp by the cluster's own Gateway controller before the address, the Cloud Armor policy and the cluster go", async () => {
    const graph = await evaluateStack("gcp");
    const gateway = graph.one("kubernetes:gateway.networking.k8s.io/v1:Gateway");
    const after = [graph.one("gcp:compute/globalAddress:GlobalAddress"), graph.one("gcp:compute/securityPolicy:SecurityPolicy"), ...graph.ofType(cluster.gcp), ...graph.ofType(network.gcp)];
    for (const resource of after) expect({ dependsOn: resource.name, ok: graph.dependsOn(gateway, resource) }).toEqual({ dependsOn: resource.name, ok: true });
  });
});

describe("the local object store", () => {
  let graph: StackGraph;
  let objects: KubernetesObject[];
  beforeAll(async () => {
    graph = await evaluateStack("local", { "kiosk:bucketRetentionDays": 5 });
    objects = allObjects(renderGraph(graph));
  });

  it("has the overlays sign links for the address the user's browser reaches, when kiosk:localS3PublicEndpoint says it", async () => {
    const withPublic = allObjects(renderGraph(await evaluateStack("local", { "kiosk:localS3PublicEndpoint": "http://localhost:9000/" })));
    const frontend = podTemplateOwners(withPublic).find((w) => w.name === "frontend")!.podSpec.containers[0];
    const consumer = podTemplateOwners(withPublic).find((w) => w.name === "segmentation-consumer")!.podSpec.containers[0];
    for (const container of [frontend, consumer]) {
      expect(envOf(container)).toMatchObject({ STORAGE_S3_PUBLIC_ENDPOINT: "http://localhost:9000", STORAGE_S3_PATH_STYLE: "true", AWS_ENDPOINT_URL_S3: "http://object-store.object-store.svc.cluster.local:9000" });
    }
    // Without it, links are signed for the in-cluster address only (README: port-forward).
    expect(envOf(podTemplateOwners(objects).find((w) => w.name === "frontend")!.podSpec.containers[0]).STORAGE_S3_PUBLIC_ENDPOINT).toBeUndefined();
  });

  it("creates the bucket with expiry rules for uploads/ and output/ after the configured days", () => {
    const job = find(objects, "Job", "object-store-bucket");
    const script = job.spec.template.spec.containers[0].command.join(" ");
    expect(script).toContain(`mc mb --ignore-existing store/${String(graph.outputs.bucket).replace("s3://", "")}`);
    for (const prefix of ["uploads/", "output/"]) expect(script).toContain(`--prefix "${prefix}" --expire-days 5`);
  });

  it("gives the Kiosk's pods a bucket-only user through a secret, never the root credentials", () => {
    const kioskSecret = graph.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.namespace === kiosk);
    expect(kioskSecret).toBeDefined();
    expect(kioskSecret!.secretInputs.has("stringData")).toBe(true);
    expect(Object.keys(kioskSecret!.inputs.stringData).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    const root = graph.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.namespace === "object-store");
    expect(root!.secretInputs.has("stringData")).toBe(true);
    expect(kioskSecret!.inputs.stringData.AWS_SECRET_ACCESS_KEY).not.toBe(root!.inputs.stringData.MINIO_ROOT_PASSWORD);
    const consumer = podTemplateOwners(objects).find((w) => w.name === "segmentation-consumer")!;
    const env = consumer.podSpec.containers[0].env;
    expect(env.find((e: { name: string }) => e.name === "AWS_SECRET_ACCESS_KEY").valueFrom.secretKeyRef.name).toBe(kioskSecret!.inputs.metadata.name);
    expect(env.find((e: { name: string }) => e.name === "AWS_ENDPOINT_URL_S3").value).toBe("http://object-store.object-store.svc.cluster.local:9000");
    for (const secret of objects.filter((o) => o.kind === "Secret")) {
      for (const value of Object.values<string>(secret.stringData ?? {})) expect(value).toBe("<redacted>");
    }
  });

  it("lets the Kiosk's bucket users reach the store, and nothing else in the Kiosk namespace", () => {
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    const store = { namespace: "object-store", labels: { "app.kubernetes.io/name": "object-store" } };
    const pod = (name: string) => ({ namespace: kiosk, labels: podTemplateOwners(objects).find((w) => w.name === name)!.labels });
    expect(mayConnect(policies, pod("segmentation-consumer"), store, 9000)).toBe(true);
    expect(mayConnect(policies, pod("frontend"), store, 9000)).toBe(true);
    expect(mayConnect(policies, pod("redis"), store, 9000)).toBe(false);
  });
});

/** An nginx size ("1g", "512m", "100k": powers of 1024) in bytes. */
function nginxSize(text: string): number {
  const match = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!match) throw new Error(`not an nginx size: ${text}`);
  return Number(match[1]) * 1024 ** " kmg".indexOf((match[2] || " ").toLowerCase());
}

/** A Kubernetes binary quantity ("2560Mi", "3Gi") in bytes. */
function quantityBytes(text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(text);
  if (!match) throw new Error(`not a binary quantity: ${text}`);
  return Number(match[1]) * 1024 ** (["Ki", "Mi", "Gi"].indexOf(match[2]) + 1);
}

describe("a local cluster's own pieces, used instead of installing them", () => {
  const existing = {
    "kiosk:existingKeda": true,
    "kiosk:localGatewayClass": "lab-gateway",
    "kiosk:localS3Endpoint": "http://minio.lab-storage.svc:9000",
    "kiosk:localS3AccessKeyId": "kiosk",
    "kiosk:localS3SecretAccessKey": "s3cret",
  };
  let graph: StackGraph;
  let objects: KubernetesObject[];
  beforeAll(async () => {
    graph = await evaluateStack("local", existing);
    objects = allObjects(renderGraph(graph));
  });

  it("installs neither KEDA, Envoy Gateway nor MinIO, and makes no random passwords", () => {
    const charts = graph.ofType("kubernetes:helm.sh/v3:Release").map((r) => String(r.inputs.chart));
    expect(charts.filter((chart) => !chart.startsWith("charts/"))).toEqual([]);
    expect(graph.resources.filter((r) => r.type.startsWith("random:"))).toEqual([]);
    expect(objects.filter((o) => o.metadata?.namespace === "object-store" || o.kind === "GatewayClass" || (o.kind === "Namespace" && ["object-store", "keda", "envoy-gateway-system"].includes(o.metadata.name)))).toEqual([]);
  });

  it("still scales the Kiosk with ScaledObjects, for the KEDA that is there", () => {
    expect(objects.filter((o) => o.kind === "ScaledObject").map((o) => o.metadata.name)).toContain("tf-serving");
  });

  it("serves the portal through the cluster's GatewayClass, reachable from its proxies wherever they run", () => {
    expect(find(objects, "Gateway", "portal").spec.gatewayClassName).toBe("lab-gateway");
    expect(find(objects, "HTTPRoute", "portal").spec.rules[0].backendRefs).toEqual([{ kind: "Service", name: "frontend", port: 8080 }]);
    // Timeouts are an Extended feature an unknown implementation may refuse, so the route sets none.
    expect(find(objects, "HTTPRoute", "portal").spec.rules[0].timeouts).toBeUndefined();
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    const frontend = { namespace: kiosk, labels: podTemplateOwners(objects).find((w) => w.name === "frontend")!.labels };
    expect(mayConnect(policies, { namespace: "some-controller-namespace", labels: { app: "controller" } }, frontend, 8080)).toBe(true);
  });

  it("gives the Kiosk's bucket users the lab's endpoint, the key as a Pulumi secret, and egress to its port", () => {
    const kioskSecret = graph.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.namespace === kiosk)!;
    expect(kioskSecret.secretInputs.has("stringData")).toBe(true);
    expect(kioskSecret.inputs.stringData.AWS_ACCESS_KEY_ID).toBe("kiosk");
    const consumer = podTemplateOwners(objects).find((w) => w.name === "segmentation-consumer")!;
    const env = consumer.podSpec.containers[0].env;
    expect(env.find((e: { name: string }) => e.name === "AWS_ENDPOINT_URL_S3").value).toBe("http://minio.lab-storage.svc:9000");
    const policies = objects.filter((o) => o.kind === "NetworkPolicy");
    const store = { namespace: "lab-storage", labels: { app: "minio" } };
    expect(mayConnect(policies, { namespace: kiosk, labels: consumer.labels }, store, 9000)).toBe(true);
    const redis = podTemplateOwners(objects).find((w) => w.name === "redis")!;
    expect(mayConnect(policies, { namespace: kiosk, labels: redis.labels }, store, 9000)).toBe(false);
  });
});
