import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as os from "os";
import * as path from "path";
import { helmTemplate } from "../offline/helm";
import type { ConfigOverrides } from "../offline/evaluate";
import type { KubernetesObject } from "../offline/render";
import { upstreamCharts } from "../infra/upstream-charts";
import { consumerPoolLabel, consumerTaint, gpuPoolLabel, gpuTaint, systemPoolLabel } from "../infra/seam";
import { FakeNode } from "./control-plane";

/**
 * What the real-engine run sets up around the local stack: the nodes, the cluster's own pieces a kind or
 * minikube cluster would have (a StorageClass with volumes, a GatewayClass), and the stack's config.
 */
export const stackName = "local";

/** The project as a user checks it out; node_modules is linked, not copied. */
export const projectFiles = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "infra", "charts", "images"];

const cpu = { cpu: "16", memory: "64Gi", pods: "110", "ephemeral-storage": "200Gi" };

/**
 * Nodes with the labels and taints the cloud stacks' pools get (infra/seam.ts): the local stack has no GPU
 * or consumer pool, so its pods must land on the untainted system nodes and never on the tainted ones.
 */
export const fakeNodes: readonly FakeNode[] = [
  { name: "system-0", labels: { [systemPoolLabel.key]: systemPoolLabel.value }, taints: [], capacity: cpu },
  { name: "system-1", labels: { [systemPoolLabel.key]: systemPoolLabel.value }, taints: [], capacity: cpu },
  { name: "consumer-0", labels: { [consumerPoolLabel.key]: consumerPoolLabel.value }, taints: [consumerTaint], capacity: cpu },
  { name: "gpu-0", labels: { [gpuPoolLabel.key]: gpuPoolLabel.value, "nvidia.com/gpu.present": "true" }, taints: [gpuTaint], capacity: { ...cpu, "nvidia.com/gpu": "1" } },
];

export const storageClassName = "kiosk-e2e";
export const gatewayClassName = "kiosk-e2e";

/** A StorageClass with pre-made volumes (kwok runs no provisioner). */
export const prerequisites: readonly [string, Record<string, unknown>][] = [
  [
    "/apis/storage.k8s.io/v1/storageclasses",
    { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: storageClassName }, provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "Immediate" },
  ],
  ...Array.from({ length: 8 }, (_, index): [string, Record<string, unknown>] => [
    "/api/v1/persistentvolumes",
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `e2e-volume-${index}` },
      spec: { capacity: { storage: "1000Gi" }, accessModes: ["ReadWriteOnce"], storageClassName, persistentVolumeReclaimPolicy: "Retain", hostPath: { path: `/var/e2e/${index}` } },
    },
  ]),
];

const standInCrd = (group: string, kind: string, plural: string, scope: "Namespaced" | "Cluster", version: string) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope,
    names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
    versions: [{ name: version, served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
  },
});

/**
 * The Gateway API's real CRDs (standard channel) as the stack pins them: Envoy Gateway's gateway-crds-helm
 * at upstreamCharts.gatewayCrds.version, rendered with real helm from envoyproxy/gateway's source at the tag
 * of the same name, which the Go module proxy serves. The API server then checks the portal's Gateway and
 * HTTPRoute against their real schemas and validation rules.
 */
export function gatewayApiCrds(which: { gatewayApi: boolean; envoyGateway: boolean }): KubernetesObject[] {
  const version = upstreamCharts.gatewayCrds.version;
  const download = execFileSync("go", ["mod", "download", "-json", `github.com/envoyproxy/gateway@${version}`], { cwd: os.tmpdir(), encoding: "utf8" });
  const source: string = JSON.parse(download).Dir;
  const chart = path.join(source, "charts", upstreamCharts.gatewayCrds.chart);
  const values = { crds: { gatewayAPI: { enabled: which.gatewayApi, channel: "standard" }, envoyGateway: { enabled: which.envoyGateway } } };
  return helmTemplate(chart, values, "gateway-crds", "default").filter((object) => object.kind === "CustomResourceDefinition");
}

const signIn: ConfigOverrides = {
  "kiosk:portalAccess": "sign-in",
  "kiosk:domain": "kiosk.example.org",
  "kiosk:portalSignInClientId": "kiosk-portal",
  "kiosk:portalSignInClientSecret": "not-a-secret",
};

/**
 * Stack configurations whose front-door objects the run's API server checks against the real CRDs by a
 * dry-run create: on local, Envoy Gateway's EnvoyProxy and SecurityPolicy, the HTTPS listener and the
 * redirect route (the stack itself runs with the cluster's own GatewayClass, which needs none of them); on
 * the clouds, their Gateway API objects (the AWS Load Balancer Controller's and GKE's own kinds have no CRD
 * the run can obtain, and are left out).
 */
export const frontDoorVariants: readonly { readonly name: string; readonly stack: string; readonly overrides: ConfigOverrides }[] = [
  { name: "local, allowed-cidrs", stack: "local", overrides: { "kiosk:portalAccess": "allowed-cidrs", "kiosk:portalAllowedCidrs": ["10.1.0.0/16"] } },
  {
    name: "local, sign-in with TLS",
    stack: "local",
    overrides: { ...signIn, "kiosk:tls": true, "kiosk:acmeEmail": "ops@example.org", "kiosk:portalSignInIssuer": "https://id.example.org" },
  },
  {
    name: "aws, sign-in with ACM",
    stack: "aws",
    overrides: {
      ...signIn,
      "kiosk:portalSignInIssuer": "https://id.example.org",
      "kiosk:portalSignInAuthorizationEndpoint": "https://id.example.org/authorize",
      "kiosk:portalSignInTokenEndpoint": "https://id.example.org/token",
      "kiosk:portalSignInUserInfoEndpoint": "https://id.example.org/userinfo",
    },
  },
  { name: "gcp, IAP with Certificate Manager", stack: "gcp", overrides: { ...signIn, "kiosk:portalSignInMembers": ["domain:example.org"] } },
];

/**
 * "A Gateway controller already in the cluster" (kiosk:localGatewayClass): a GatewayClass served by nothing.
 * Envoy Gateway's own install waits for its certgen hook Job, and under kwok no pod runs.
 */
export const standInGatewayClass: [string, Record<string, unknown>] = [
  "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: gatewayClassName }, spec: { controllerName: "example.org/no-controller" } },
];

/**
 * Without the upstream charts, "a KEDA already in the cluster" is its ScaledObject API alone: a CRD of ours
 * that accepts any spec (KEDA's own schema and operator come with its chart). Nothing acts on the objects.
 */
export const kedaStandInCrds = [standInCrd("keda.sh", "ScaledObject", "scaledobjects", "Namespaced", "v1alpha1")];

export interface E2eConfig {
  readonly plain: Record<string, string>;
  readonly secret: Record<string, string>;
}

/**
 * The local stack's committed config, pointed at the e2e cluster. Without chart sources the components
 * that need an upstream chart use what the cluster already has, through the config a user would set.
 */
export function e2eConfig(committed: { config: Record<string, unknown> }, chartSource: string | undefined): E2eConfig {
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(committed.config)) plain[key] = String(value);
  plain["kiosk:localKubeContext"] = "kiosk-e2e";
  plain["kiosk:localStorageClass"] = storageClassName;
  // The random provider cannot be built here (see the README), so MinIO's generated passwords are replaced by an existing store.
  plain["kiosk:localS3Endpoint"] = "http://s3.e2e.invalid:9000";
  plain["kiosk:localS3AccessKeyId"] = "kiosk";
  const secret = { "kiosk:localS3SecretAccessKey": crypto.randomBytes(16).toString("hex") };
  // Envoy Gateway's install waits for its certgen hook Job (envoyproxy/gateway@v1.9.0 charts/gateway-helm/templates/certgen.yaml),
  // which under kwok never runs: the portal uses a GatewayClass the cluster already has.
  plain["kiosk:localGatewayClass"] = gatewayClassName;
  if (chartSource) plain["kiosk:upstreamChartsDir"] = chartSource;
  else plain["kiosk:existingKeda"] = "true";
  return { plain, secret };
}
