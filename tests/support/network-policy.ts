/**
 * A small evaluator of Kubernetes NetworkPolicies (label and namespace-name selectors, ipBlock,
 * TCP/UDP ports), enough to ask "may pod A reach pod B on port P" of the policies we render.
 */
import type { KubernetesObject } from "../../offline/render";

/** A pod (namespace and labels), or an address outside the cluster's pods (a load balancer's). */
export type Endpoint = { readonly namespace: string; readonly labels: Record<string, string> } | { readonly ip: string };

const ipv4 = (address: string): number => address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(address) / size) === Math.floor(ipv4(base) / size);
}

 
type Selector = { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined;

function selects(selector: Selector, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    switch (e.operator) {
      case "In":
        return e.values?.includes(labels[e.key]) ?? false;
      case "NotIn":
        return !(e.values?.includes(labels[e.key]) ?? false);
      case "Exists":
        return e.key in labels;
      case "DoesNotExist":
        return !(e.key in labels);
      default:
        throw new Error(`unsupported operator ${e.operator}`);
    }
  });
  return byLabels && byExpressions;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function peerMatches(peer: Record<string, any>, policyNamespace: string, other: Endpoint): boolean {
  // Pods are addressed by selectors here; ipBlocks are for the outside.
  if ("ip" in other) return !!peer.ipBlock && inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((cidr: string) => inCidr(other.ip, cidr));
  if (peer.ipBlock) return false;
  const namespaceLabels = { "kubernetes.io/metadata.name": other.namespace };
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels) : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, other.labels) : true;
  return namespaceOk && podOk;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function portMatches(ports: Record<string, any>[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port));
}

function allowedBy(policies: readonly KubernetesObject[], direction: "Ingress" | "Egress", subject: Endpoint, other: Endpoint, port: number, protocol: string): boolean {
  // An address outside the cluster's pods is subject to no NetworkPolicy.
  if ("ip" in subject) return true;
  const applying = policies.filter(
    (p) => p.metadata.namespace === subject.namespace && selects(p.spec.podSelector, subject.labels) && (p.spec.policyTypes ?? ["Ingress"]).includes(direction),
  );
  if (applying.length === 0) return true; // not isolated in this direction
  const rulesKey = direction === "Ingress" ? "ingress" : "egress";
  const peersKey = direction === "Ingress" ? "from" : "to";
  return applying.some((p) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (p.spec[rulesKey] ?? []).some((rule: Record<string, any>) => {
      const peers = rule[peersKey];
      const peerOk = !peers || peers.length === 0 || peers.some((peer: Record<string, unknown>) => peerMatches(peer, p.metadata.namespace, other));
      return peerOk && portMatches(rule.ports, port, protocol);
    }),
  );
}

/** May `from` open a connection to `to` on `port`, under all policies of both namespaces? */
export function mayConnect(policies: readonly KubernetesObject[], from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
  const networkPolicies = policies.filter((p) => p.kind === "NetworkPolicy");
  return allowedBy(networkPolicies, "Egress", from, to, port, protocol) && allowedBy(networkPolicies, "Ingress", to, from, port, protocol);
}
