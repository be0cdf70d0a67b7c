import * as https from "https";

/** The few API server calls the e2e makes, over HTTPS with the control plane's CA and the admin token. */
export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export class KubeClient {
  constructor(
    readonly server: string,
    private readonly ca: string,
    private readonly token: string,
  ) {}

  request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: "application/json",
            ...(payload === undefined ? {} : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = undefined;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** The body of a successful call; any other status is an error naming the call and the server's answer. */
  async ok<T = Record<string, unknown>>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const response = await this.request(method, path, body, contentType);
    if (response.status < 200 || response.status >= 300) throw new Error(`${method} ${path}: HTTP ${response.status}: ${response.text.slice(0, 500)}`);
    return response.body as T;
  }

  /** Creates an object, or leaves it as it is when it exists. */
  async ensure(path: string, object: Record<string, unknown>): Promise<void> {
    const response = await this.request("POST", path, object);
    if (response.status !== 409 && (response.status < 200 || response.status >= 300)) throw new Error(`POST ${path}: HTTP ${response.status}: ${response.text.slice(0, 500)}`);
  }
}

export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export const refText = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name} (${ref.apiVersion})`;

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

/**
 * Every object the API server holds, found through discovery, except those the control plane itself keeps
 * churning (events, leases, endpoint slices): what a leftover check compares before and after a stack's life.
 */
export async function allObjects(client: KubeClient): Promise<ObjectRef[]> {
  const groupVersions: string[] = ["v1"];
  const groups = await client.ok<{ groups: { preferredVersion: { groupVersion: string } }[] }>("GET", "/apis");
  for (const group of groups.groups) groupVersions.push(group.preferredVersion.groupVersion);
  const churn = new Set(["events", "leases", "endpointslices", "endpoints", "componentstatuses"]);
  const refs: ObjectRef[] = [];
  for (const groupVersion of groupVersions) {
    const base = groupVersion === "v1" ? "/api/v1" : `/apis/${groupVersion}`;
    const list = await client.request("GET", base);
    if (list.status !== 200) continue;
    for (const resource of (list.body as { resources: ApiResource[] }).resources) {
      if (resource.name.includes("/") || !resource.verbs.includes("list") || churn.has(resource.name)) continue;
      const items = await client.request("GET", `${base}/${resource.name}`);
      if (items.status !== 200) continue;
      for (const item of (items.body as { items: { metadata: { name: string; namespace?: string } }[] }).items ?? []) {
        refs.push({ apiVersion: groupVersion, kind: resource.kind, namespace: item.metadata.namespace, name: item.metadata.name });
      }
    }
  }
  return refs;
}
