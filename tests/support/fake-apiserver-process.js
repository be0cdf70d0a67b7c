// The fake API server's process (see fake-apiserver.ts). It runs apart from the tests because helm is
// spawned synchronously, which would block a server in the tests' own event loop.
const http = require("http");
const deployments = JSON.parse(process.argv[2]);
const resourceList = (groupVersion, kinds) => ({
  kind: "APIResourceList",
  groupVersion,
  resources: kinds.map((kind) => ({ name: `${kind.toLowerCase()}s`, singularName: kind.toLowerCase(), namespaced: true, kind, verbs: ["get", "list"] })),
});
const server = http.createServer((request, response) => {
  const send = (code, body) => {
    response.writeHead(code, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };
  const { pathname } = new URL(request.url ?? "/", "http://localhost");
  if (pathname === "/version") return send(200, { major: "1", minor: "35", gitVersion: "v1.35.0" });
  if (pathname === "/api") return send(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
  if (pathname === "/apis") {
    const apps = { groupVersion: "apps/v1", version: "v1" };
    return send(200, { kind: "APIGroupList", apiVersion: "v1", groups: [{ name: "apps", versions: [apps], preferredVersion: apps }] });
  }
  if (pathname === "/api/v1") return send(200, resourceList("v1", ["Secret", "Service", "ServiceAccount", "ConfigMap"]));
  if (pathname === "/apis/apps/v1") return send(200, resourceList("apps/v1", ["Deployment"]));
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
