import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kioskNamespace, metricsEndpoints, redisService, tfServingService, frontendService } from "../kiosk-contract";
import { ExtraEgress } from "../seam";
import { platformNamespaces } from "./namespaces";
import { platformNamespace } from "./kubernetes";
import { workloadLabels } from "./workload-labels";

type PeerRule = k8s.types.input.networking.v1.NetworkPolicyPeer;
type PortRule = k8s.types.input.networking.v1.NetworkPolicyPort;

export interface KioskNamespaceArgs {
  /** Namespaces outside the Kiosk's that its pods must reach (the local object store). */
  readonly extraEgress: readonly ExtraEgress[];
  /** Where the portal's requests reach the frontend from: the front door's proxies (FrontDoor.trafficFrom). */
  readonly portalTrafficFrom: readonly PeerRule[];
}

const tcp = (...ports: number[]): PortRule[] => ports.map((port) => ({ protocol: "TCP", port }));
const inNamespace = (namespace: string): PeerRule => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } } });
const podsOf = (labels: Record<string, string>): PeerRule => ({ podSelector: { matchLabels: labels } });

/**
 * The Kiosk's namespace, labelled for Pod Security admission, where nothing may talk to anything
 * until a policy below says so. Each allow names the workload, peer and port it exists for.
 */
export class KioskNamespace extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly policies: k8s.networking.v1.NetworkPolicy[] = [];

  constructor(name: string, args: KioskNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:KioskNamespace", name, {}, opts);
    // The published Kiosk images run as root, which "restricted" refuses; "baseline" still forbids
    // privileged pods, host access and added capabilities, and warnings show what restricted would reject.
    this.namespace = platformNamespace(name, kioskNamespace, "baseline", { parent: this });

    const policy = (policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) => {
      this.policies.push(
        new k8s.networking.v1.NetworkPolicy(
          `${name}-${policyName}`,
          { metadata: { name: policyName, namespace: kioskNamespace }, spec },
          { parent: this, dependsOn: [this.namespace] },
        ),
      );
    };

    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    policy("allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: "UDP", port: 53 }, ...tcp(53)] }],
    });
    policy("allow-redis", {
      podSelector: { matchLabels: workloadLabels.redis },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: {} }, inNamespace(platformNamespaces.keda)], ports: tcp(redisService.port, redisService.sentinelPort) }],
    });
    policy("allow-egress-to-redis", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [podsOf(workloadLabels.redis)], ports: tcp(redisService.port, redisService.sentinelPort) }],
    });
    policy("allow-redis-exporter", {
      podSelector: { matchLabels: workloadLabels.redisExporter },
      policyTypes: ["Ingress"],
      ingress: [{ from: [inNamespace(platformNamespaces.keda), inNamespace(platformNamespaces.monitoring)], ports: tcp(metricsEndpoints.redisExporter.port) }],
    });
    policy("allow-tf-serving", {
      podSelector: { matchLabels: workloadLabels.tfServing },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [podsOf(workloadLabels.consumer)], ports: tcp(tfServingService.grpcPort) },
        { from: [inNamespace(platformNamespaces.monitoring)], ports: tcp(tfServingService.restPort) },
      ],
    });
    policy("allow-consumers-to-tf-serving", {
      podSelector: { matchLabels: workloadLabels.consumer },
      policyTypes: ["Egress"],
      egress: [{ to: [podsOf(workloadLabels.tfServing)], ports: tcp(tfServingService.grpcPort) }],
    });
    const ingressFrom = [...args.portalTrafficFrom];
    policy("allow-frontend", {
      podSelector: { matchLabels: workloadLabels.frontend },
      policyTypes: ["Ingress"],
      ingress: [{ from: ingressFrom, ports: tcp(frontendService.port) }],
    });
    // cert-manager proves the domain through a solver pod it starts next to the Gateway, reached through its proxies.
    policy("allow-acme-http01-solver", {
      podSelector: { matchLabels: { "acme.cert-manager.io/http01-solver": "true" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: ingressFrom, ports: tcp(8089) }],
    });

    // Buckets, cloud metadata/identity endpoints and the Kubernetes API have no stable in-cluster
    // address; only the workloads that need them get HTTPS (and the metadata ports) to the outside.
    const outside = [{ ipBlock: { cidr: "0.0.0.0/0" } }];
    const outsidePorts = tcp(443, 80, 988, 6443);
    const reachesOutside = [
      { podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: [workloadLabels.frontend["app.kubernetes.io/name"], workloadLabels.tfServing["app.kubernetes.io/name"], workloadLabels.janitor["app.kubernetes.io/name"]] }] } },
      { podSelector: { matchLabels: workloadLabels.consumer } },
    ];
    reachesOutside.forEach((selector, index) => {
      const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [{ to: outside, ports: outsidePorts }];
      for (const extra of args.extraEgress) egress.push({ to: extra.namespace ? [inNamespace(extra.namespace)] : [{ namespaceSelector: {} }, ...outside], ports: tcp(...extra.ports) });
      policy(index === 0 ? "allow-egress-services-outside" : "allow-egress-consumers-outside", { ...selector, policyTypes: ["Egress"], egress });
    });

    this.registerOutputs({ namespace: this.namespace.metadata.name });
  }
}
