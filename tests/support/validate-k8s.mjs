// Validates Kubernetes objects (a JSON array on stdin) against the real API schemas from the
// kubernetes-models packages, and prints a JSON array of problems. It runs as its own Node process
// because those packages are ES modules only, which Jest's CommonJS sandbox cannot load.
import { readFileSync } from "node:fs";

const crdPackages = {
  "keda.sh": "@kubernetes-models/keda/keda.sh",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator/monitoring.coreos.com",
  "cert-manager.io": "@kubernetes-models/cert-manager/cert-manager.io",
  "acme.cert-manager.io": "@kubernetes-models/cert-manager/acme.cert-manager.io",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api/gateway.networking.k8s.io",
  "gateway.envoyproxy.io": "@kubernetes-models/envoy-gateway/gateway.envoyproxy.io",
};

// Groups no kubernetes-models package publishes (the AWS Load Balancer Controller's and GKE's policy kinds):
// the tests that build them assert their fields (tests/platform.test.ts, the front door and sign-in), and
// they were validated once against the CRDs' own schemas at the pinned versions (kubernetes-sigs/
// aws-load-balancer-controller@v3.5.0 helm/aws-load-balancer-controller/crds/gateway-crds.yaml,
// GoogleCloudPlatform/gke-gateway-api config/crd/networking.gke.io_gcpbackendpolicies.yaml), which are not vendored here.
const unmodelledGroups = new Set(["gateway.k8s.aws", "networking.gke.io"]);

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "") return `kubernetes-models/${version}/${kind}`;
  if (crdPackages[group]) return `${crdPackages[group]}/${version}/${kind}`;
  return `kubernetes-models/${group}/${version}/${kind}`;
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const problems = [];
for (const object of objects) {
  const id = `${object?.apiVersion}/${object?.kind} ${object?.metadata?.namespace ?? ""}/${object?.metadata?.name ?? "?"}`;
  if (!object?.apiVersion || !object?.kind) {
    problems.push({ object: id, problem: "has no apiVersion or kind" });
    continue;
  }
  let Model;
  if (unmodelledGroups.has(object.apiVersion.split("/")[0])) continue;
  try {
    Model = (await import(modulePath(object.apiVersion, object.kind)))[object.kind];
  } catch {
    problems.push({ object: id, problem: `no schema is known for ${object.apiVersion} ${object.kind}` });
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push({ object: id, problem: error.message });
  }
}
process.stdout.write(JSON.stringify(problems));
