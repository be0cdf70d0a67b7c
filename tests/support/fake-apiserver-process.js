// The fake API server's process (see fake-apiserver.ts). It runs apart from the tests because helm is
// spawned synchronously, which would block a server in the tests' own event loop.
const http = require("http");
const deployments = JSON.parse(process.argv[2]);
const resourceList = (groupVersion, kinds, clusterKinds = []) => ({
  kind: "APIResourceList",
  groupVersion,
  resources: [...kinds, ...clusterKinds].map((kind) => ({ name: `${kind.toLowerCase()}s`, singularName: kind.toLowerCase(), namespaced: !clusterKinds.includes(kind), kind, verbs: ["get", "list"] })),
});
// Groups the Kiosk's own charts use besides the core group, with their kinds (cluster-scoped ones second).
const groups = {
  apps: [["Deployment"], []],
  "rbac.authorization.k8s.io": [["Role", "RoleBinding"], []],
  "admissionregistration.k8s.io": [[], ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]],
};
const server = http.createServer((request, response) => {
  const send = (code, body) => {
    response.writeHead(code, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
  const { pathname } = new URL(request.url ?? "/", "http://localhost");
  if (pathname === "/version") return send(200, { major: "1", minor: "35", gitVersion: "v1.35.0" });
  if (pathname === "/api") return send(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
  if (pathname === "/apis") {
    const list = Object.keys(groups).map((name) => {
      const version = { groupVersion: `${name}/v1`, version: "v1" };
      return { name, versions: [version], preferredVersion: version };
    });
    return send(200, { kind: "APIGroupList", apiVersion: "v1", groups: list });
  }
  if (pathname === "/api/v1") return send(200, resourceList("v1", ["Secret", "Service", "ServiceAccount", "ConfigMap"]));
  const group = /^\/apis\/([^/]+)\/v1$/.exec(pathname);
  if (group && groups[group[1]]) return send(200, resourceList(`${group[1]}/v1`, ...groups[group[1]]));
  if (/^\/api\/v1\/namespaces\/[^/]+\/secrets$/.test(pathname)) return send(200, { kind: "SecretList", apiVersion: "v1", items: [] });
  const match = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(pathname);
  const live = match && deployments.find((d) => d.namespace === match[1] && d.name === match[2]);
  if (live) {
    return send(200, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: live.name,
        namespace: live.namespace,
        labels: { "app.kubernetes.io/managed-by": "Helm" },
        annotations: { "meta.helm.sh/release-name": live.release, "meta.helm.sh/release-namespace": live.namespace },
      },
      spec: { replicas: live.replicas },
    });
  }
  send(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
// Bounded: the server stops by itself if the tests never stop it.
setTimeout(() => process.exit(0), 120000).unref();
