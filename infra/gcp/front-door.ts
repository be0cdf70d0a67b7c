import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig, portalSignIn, portalSourceRanges } from "../config";
import { frontendService } from "../kiosk-contract";
import { portalRequestSeconds } from "../platform/front-door";
import { dependencyList, DnsRecord, FrontDoor, PortalAttachment, PortalEndpoint } from "../seam";

/** GKE's built-in Gateway controller's class for a global external Application Load Balancer. */
export const gkeGatewayClassName = "gke-l7-global-external-managed";
/**
 * Where Google's front ends (and their health checks) reach the pods from, through the NEGs: the global
 * external Application Load Balancer's health-check ranges, which its GFE proxies share for zonal NEG
 * backends (cloud.google.com/load-balancing/docs/firewall-rules, minimum required ingress rules).
 */
export const googleFrontEndRanges = ["35.191.0.0/16", "130.211.0.0/22"] as const;
/** Cloud Armor matches at most 10 source ranges per rule (versionedExpr SRC_IPS_V1). */
const rangesPerCloudArmorRule = 10;
const iapSecretName = "portal-iap";

/** The Google APIs the front door calls beyond the stack's own: Certificate Manager with a domain, IAP with sign-in. */
export function frontDoorApis(config: KioskConfig): string[] {
  return [...(config.domain !== undefined ? ["certificatemanager.googleapis.com"] : []), ...(portalSignIn(config.portalAccess) ? ["iap.googleapis.com"] : [])];
}

export interface GkeFrontDoorArgs {
  readonly config: KioskConfig;
  readonly project: string;
  readonly network: pulumi.Input<string>;
  /** The cluster's Gateway API channel must be on before a Gateway is made (container.Cluster gatewayApiConfig). */
  readonly cluster: pulumi.Resource;
}

/**
 * The portal's front door on GKE: the cluster's own Gateway controller makes a global external Application
 * Load Balancer on a reserved address; Cloud Armor admits kiosk:portalAllowedCidrs, IAP signs people in,
 * Certificate Manager holds the domain's certificate (DNS-authorised), and a GCPBackendPolicy ties them
 * (and the upload's timeout) to the frontend's backend service.
 */
export class GkeFrontDoor extends pulumi.ComponentResource implements FrontDoor {
  readonly implementation = "gke-gateway" as const;
  readonly gatewayClassName = gkeGatewayClassName;
  readonly dependencies: pulumi.Resource[];
  readonly trafficFrom = googleFrontEndRanges.map((cidr) => ({ ipBlock: { cidr } }));
  readonly address: gcp.compute.GlobalAddress;
  /** The CNAME record that proves the domain to Certificate Manager, for the user to create; undefined without a domain. */
  readonly dnsValidation?: pulumi.Output<DnsRecord[]>;
  private readonly securityPolicy?: gcp.compute.SecurityPolicy;
  private readonly certificateMap?: gcp.certificatemanager.CertificateMap;

  constructor(name: string, args: GkeFrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:gcp:GkeFrontDoor", name, {}, opts);
    const { config, project } = args;
    const inProject = { parent: this };
    this.address = new gcp.compute.GlobalAddress(`${name}-portal`, { project, description: "The Kiosk portal's load balancer" }, inProject);
    this.dependencies = [args.cluster, this.address];

    const sourceRanges = portalSourceRanges(config.portalAccess);
    if (sourceRanges !== undefined) {
      const allowRules = chunk(sourceRanges, rangesPerCloudArmorRule).map((ranges, index) => ({
        priority: 1000 + index,
        action: "allow",
        description: "kiosk:portalAllowedCidrs",
        match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ranges } },
      }));
      this.securityPolicy = new gcp.compute.SecurityPolicy(
        `${name}-portal`,
        {
          project,
          type: "CLOUD_ARMOR",
          description: "Only kiosk:portalAllowedCidrs reach the Kiosk portal",
          rules: [...allowRules, { priority: 2147483647, action: "deny(403)", description: "everyone else", match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } } }],
        },
        inProject,
      );
      this.dependencies.push(this.securityPolicy);
    }

    if (config.domain !== undefined) {
      const authorization = new gcp.certificatemanager.DnsAuthorization(`${name}-portal`, { project, domain: config.domain, description: "Proves the Kiosk portal's domain" }, inProject);
      const certificate = new gcp.certificatemanager.Certificate(
        `${name}-portal`,
        { project, description: "The Kiosk portal's certificate", managed: { domains: [config.domain], dnsAuthorizations: [authorization.id] } },
        inProject,
      );
      this.certificateMap = new gcp.certificatemanager.CertificateMap(`${name}-portal`, { project, description: "The Kiosk portal's certificates" }, inProject);
      const entry = new gcp.certificatemanager.CertificateMapEntry(`${name}-portal`, { project, map: this.certificateMap.name, certificates: [certificate.id], hostname: config.domain }, inProject);
      this.dependencies.push(this.certificateMap, entry);
      this.dnsValidation = authorization.dnsResourceRecords.apply((records) => (records ?? []).map((r) => ({ name: r.name, type: r.type, value: r.data })));
    }

    const signIn = portalSignIn(config.portalAccess);
    if (signIn) {
      // The Gateway controller names the backend services itself, so access is granted on the project's IAP-secured web resources.
      for (const [index, member] of signIn.members.entries()) {
        this.dependencies.push(new gcp.iap.WebIamMember(`${name}-portal-user-${index}`, { project, role: "roles/iap.httpsResourceAccessor", member }, inProject));
      }
    }

    // The health checks and the proxies reach the frontend's pods directly (container-native load balancing).
    this.dependencies.push(
      new gcp.compute.Firewall(
        `${name}-portal-proxies`,
        {
          project,
          network: args.network,
          direction: "INGRESS",
          sourceRanges: [...googleFrontEndRanges],
          allows: [{ protocol: "tcp", ports: [String(frontendService.port)] }],
          description: "Google's front ends and health checks to the Kiosk portal's pods",
        },
        inProject,
      ),
    );
    this.registerOutputs({ address: this.address.address });
  }

  portal(portal: PortalEndpoint, opts: pulumi.CustomResourceOptions): PortalAttachment {
    const signIn = portalSignIn(portal.access);
    const resources: pulumi.Resource[] = [];
    if (signIn) {
      resources.push(new k8s.core.v1.Secret(`${portal.routeName}-iap`, { metadata: { name: iapSecretName, namespace: portal.namespace }, type: "Opaque", stringData: { key: signIn.clientSecret } }, opts));
    }
    // GoogleCloudPlatform/gke-gateway-api (v1.4.0+17) config/crd/networking.gke.io_gcpbackendpolicies.yaml: targetRef, default.{timeoutSec, securityPolicy, iap}.
    resources.push(
      new k8s.apiextensions.CustomResource(
        `${portal.routeName}-backend-policy`,
        {
          apiVersion: "networking.gke.io/v1",
          kind: "GCPBackendPolicy",
          metadata: { name: portal.service.name, namespace: portal.namespace },
          spec: {
            targetRef: { group: "", kind: "Service", name: portal.service.name },
            default: {
              // The backend service's timeout, 30 s unless set, would end a large upload on a slow link.
              timeoutSec: portalRequestSeconds,
              ...(this.securityPolicy ? { securityPolicy: this.securityPolicy.name } : {}),
              ...(signIn ? { iap: { enabled: true, clientID: signIn.clientId, oauth2ClientSecret: { name: iapSecretName } } } : {}),
            },
          },
        },
        { ...opts, dependsOn: [...dependencyList(opts.dependsOn), ...resources, ...this.dependencies] },
      ),
    );
    const domain = portal.domain;
    return {
      gatewayAddresses: [{ type: "NamedAddress", value: this.address.name }],
      ...(this.certificateMap ? { gatewayAnnotations: { "networking.gke.io/certmap": this.certificateMap.name }, https: {} } : {}),
      routeFilters: [],
      resources,
      url: () => (domain !== undefined ? pulumi.output(`https://${domain}`) : pulumi.interpolate`http://${this.address.address}`),
    };
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
