import * as crypto from "crypto";
import { consumerPoolLabel, consumerTaint, gpuPoolLabel, gpuTaint, systemPoolLabel } from "../infra/seam";
import { FakeNode } from "./control-plane";

/**
 * What the real-engine run sets up around the local stack: the nodes, the cluster's own pieces a kind or
 * minikube cluster would have (a StorageClass with volumes, an IngressClass), and the stack's config.
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
export const ingressClassName = "kiosk-e2e";

/** A StorageClass with pre-made volumes (kwok runs no provisioner), and an IngressClass served by nothing. */
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
  ["/apis/networking.k8s.io/v1/ingressclasses", { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: ingressClassName }, spec: { controller: "example.org/no-controller" } }],
];

/**
 * Without the upstream charts, "a KEDA already in the cluster" is its ScaledObject API alone: a CRD of ours
 * that accepts any spec (KEDA's own schema and operator come with its chart). Nothing acts on the objects.
 */
export const kedaStandInCrds = [
  {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "scaledobjects.keda.sh" },
    spec: {
      group: "keda.sh",
      scope: "Namespaced",
      names: { plural: "scaledobjects", singular: "scaledobject", kind: "ScaledObject", listKind: "ScaledObjectList" },
      versions: [{ name: "v1alpha1", served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  },
];

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
  // ingress-nginx's admission webhook refuses every Ingress when its pod does not answer (failurePolicy Fail,
  // ingress-nginx 4.15.1 values.yaml controller.admissionWebhooks.failurePolicy), and under kwok no pod answers.
  plain["kiosk:localIngressClass"] = ingressClassName;
  if (chartSource) plain["kiosk:upstreamChartsDir"] = chartSource;
  else plain["kiosk:existingKeda"] = "true";
  return { plain, secret };
}
