import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig, portalSourceRanges } from "../config";
import { CloudLayer } from "../seam";
import { platformNamespaces } from "./namespaces";
import { controlPlaneCallbackPorts, hookJobResources, pinnedChart, upstreamChart, upstreamCharts } from "../upstream-charts";
import { platformNamespace } from "./kubernetes";

export interface IngressArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
}

/** NodePort of the portal on a local cluster (map it to the host, e.g. kind's extraPortMappings). */
export const localHttpNodePort = 30080;
const letsEncryptIssuer = "letsencrypt";

/**
 * The portal's way in: ingress-nginx behind the cloud's load balancer (a NodePort locally) and, when
 * TLS is on, cert-manager with a Let's Encrypt issuer for the configured domain.
 */
export class IngressController extends pulumi.ComponentResource {
  readonly className: string;
  readonly clusterIssuer?: string;
  readonly url: pulumi.Output<string>;
  /** ingress-nginx's release; undefined when the portal uses an IngressClass already in the cluster. */
  readonly chart?: k8s.helm.v3.Release;
  /** Where the controller runs; undefined for the cluster's own controller, whose namespace the stack does not know. */
  readonly controllerNamespace?: string;

  constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:IngressController", name, {}, opts);
    const { config, cloud } = args;
    const local = cloud.ingress.serviceType === "NodePort";
    const existingClass = config.local?.existingIngressClass;
    this.className = existingClass ?? "nginx";
    const sourceRanges = portalSourceRanges(config.portalAccess);
    if (sourceRanges === undefined) {
      pulumi.log.warn("kiosk:portalAccess is public: anyone who finds the portal's address can upload images and start GPU nodes on this stack's bill (set kiosk:portalAccess allowed-cidrs and kiosk:portalAllowedCidrs to restrict it).", this);
    }
    if (existingClass === undefined) {
      // The controller binds ports and needs NET_BIND_SERVICE, which "baseline" allows and "restricted" does not.
      const namespace = platformNamespace(`${name}-ingress`, platformNamespaces.ingress, "baseline", { parent: this });
      this.controllerNamespace = platformNamespaces.ingress;
      this.chart = upstreamChart(
        `${name}-ingress-nginx`,
        pinnedChart(config, upstreamCharts.ingressNginx),
        "ingress-nginx",
        platformNamespaces.ingress,
        {
          controller: {
            ingressClassResource: { name: this.className, default: false },
            allowSnippetAnnotations: false,
            service: {
              type: cloud.ingress.serviceType,
              annotations: cloud.ingress.loadBalancerServiceAnnotations,
              // The cloud's load balancer drops other sources (GKE's firewall rules, the NLB's security group);
              // the Ingress's allowlist repeats the rule where there is no load balancer (NodePort).
              ...(sourceRanges && !local ? { loadBalancerSourceRanges: sourceRanges } : {}),
              // Keeps client addresses and skips a second hop through another node.
              ...(local ? { nodePorts: { http: localHttpNodePort } } : { externalTrafficPolicy: "Local" }),
            },
            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
            // The pre-install and post-install hook Jobs that make and install the webhook's certificate.
            admissionWebhooks: { port: controlPlaneCallbackPorts.ingressNginxAdmission, createSecretJob: { resources: hookJobResources }, patchWebhookJob: { resources: hookJobResources } },
          },
        },
        { parent: this, dependsOn: [namespace] },
      );
    }
    const controller = this.chart ? [this.chart] : [];

    if (config.components.tls) {
      const certManagerNamespace = platformNamespace(`${name}-cert-manager`, platformNamespaces.certManager, "restricted", { parent: this });
      const certManager = upstreamChart(
        `${name}-cert-manager`,
        pinnedChart(config, upstreamCharts.certManager),
        "cert-manager",
        platformNamespaces.certManager,
        {
          crds: { enabled: true },
          resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
          webhook: { securePort: controlPlaneCallbackPorts.certManagerWebhook, resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } },
          cainjector: { resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } } },
          startupapicheck: { resources: hookJobResources },
        },
        { parent: this, dependsOn: [certManagerNamespace] },
      );
      new k8s.apiextensions.CustomResource(
        `${name}-letsencrypt`,
        {
          apiVersion: "cert-manager.io/v1",
          kind: "ClusterIssuer",
          metadata: { name: letsEncryptIssuer },
          spec: {
            acme: {
              email: config.acmeEmail,
              server: "https://acme-v02.api.letsencrypt.org/directory",
              privateKeySecretRef: { name: "letsencrypt-account-key" },
              solvers: [{ http01: { ingress: { ingressClassName: this.className } } }],
            },
          },
        },
        { parent: this, dependsOn: [certManager, ...controller] },
      );
      this.clusterIssuer = letsEncryptIssuer;
    }

    if (config.domain) {
      this.url = pulumi.output(`${config.components.tls ? "https" : "http"}://${config.domain}`);
    } else if (existingClass !== undefined) {
      // Where the cluster's own controller is reachable is not the stack's to know; kiosk:domain names it.
      this.url = pulumi.output("");
    } else if (local) {
      this.url = pulumi.output(`http://localhost:${localHttpNodePort}`);
    } else {
      const service = k8s.core.v1.Service.get(`${name}-ingress-nginx-controller`, `${platformNamespaces.ingress}/ingress-nginx-controller`, {
        parent: this,
        dependsOn: controller,
      });
      this.url = service.status.apply((status) => {
        const address = status?.loadBalancer?.ingress?.[0];
        return address ? `http://${address.hostname ?? address.ip}` : "";
      });
    }
    this.registerOutputs({ url: this.url });
  }
}
