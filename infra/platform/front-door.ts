import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KioskConfig } from "../config";
import { frontendService, kioskNamespace } from "../kiosk-contract";
import { CloudLayer, PortalEndpoint } from "../seam";

export interface PortalFrontDoorArgs {
  readonly config: KioskConfig;
  readonly cloud: CloudLayer;
  /** The Kiosk namespace, which the Gateway, its route and the implementation's objects live in. */
  readonly namespace: pulumi.Resource;
}

/** The Gateway API group, which holds the Gateway and HTTPRoute kinds. */
export const gatewayApiGroup = "gateway.networking.k8s.io";
export const portalGatewayName = "portal";
export const portalRouteName = "portal";
/**
 * How long one request to the portal may take: an upload of the largest accepted size (maxUploadSize) over
 * a slow link, and the frontend's copy of it to the bucket. Each implementation gets it where it takes it
 * (GKE's backend timeout, the ALB's idle timeout, the HTTPRoute's request timeout on Envoy Gateway).
 */
export const portalRequestSeconds = 3600;

/** A GatewayClass served by `controllerName` (the AWS Load Balancer Controller's, Envoy Gateway's). */
export function gatewayClass(name: string, className: string, controllerName: string, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(name, { apiVersion: `${gatewayApiGroup}/v1`, kind: "GatewayClass", metadata: { name: className }, spec: { controllerName } }, opts);
}

/**
 * The portal's front door: one Gateway with an HTTP listener (and an HTTPS one when the portal has a
 * certificate), one HTTPRoute to the frontend, and, with HTTPS, a route that redirects HTTP to it.
 * The cloud layer says which implementation serves them and adds its own objects (FrontDoor).
 */
export class PortalFrontDoor extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: PortalFrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:platform:PortalFrontDoor", name, {}, opts);
    const { config, cloud } = args;
    const frontDoor = cloud.frontDoor;
    if (config.portalAccess.mode === "public") {
      pulumi.log.warn("kiosk:portalAccess is public: anyone who finds the portal's address can upload images and start GPU nodes on this stack's bill (set kiosk:portalAccess to allowed-cidrs or sign-in to restrict it).", this);
    }
    const endpoint: PortalEndpoint = {
      namespace: kioskNamespace,
      gatewayName: portalGatewayName,
      routeName: portalRouteName,
      service: { name: frontendService.name, port: frontendService.port },
      access: config.portalAccess,
      ...(config.domain !== undefined ? { domain: config.domain } : {}),
    };
    const attachment = frontDoor.portal(endpoint, { parent: this, dependsOn: [args.namespace] });
    const hostname = config.domain !== undefined ? { hostname: config.domain } : {};
    const sameNamespace = { namespaces: { from: "Same" } };
    const listeners: Record<string, unknown>[] = [{ name: "http", protocol: "HTTP", port: 80, ...hostname, allowedRoutes: sameNamespace }];
    if (attachment.https) {
      listeners.push({ name: "https", protocol: "HTTPS", port: 443, ...hostname, ...(attachment.https.tls ? { tls: attachment.https.tls } : {}), allowedRoutes: sameNamespace });
    }
    const gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      {
        apiVersion: `${gatewayApiGroup}/v1`,
        kind: "Gateway",
        metadata: { name: portalGatewayName, namespace: kioskNamespace, ...(attachment.gatewayAnnotations ? { annotations: attachment.gatewayAnnotations } : {}) },
        spec: {
          gatewayClassName: frontDoor.gatewayClassName,
          ...(attachment.gatewayAddresses ? { addresses: attachment.gatewayAddresses } : {}),
          ...(attachment.gatewayInfrastructure ? { infrastructure: attachment.gatewayInfrastructure } : {}),
          listeners,
        },
        // Filled in by the controller; read for the portal's address.
        status: undefined,
      },
      { parent: this, dependsOn: [args.namespace, ...frontDoor.dependencies, ...attachment.resources] },
    );
    const parent = (sectionName: string) => ({ group: gatewayApiGroup, kind: "Gateway", name: portalGatewayName, sectionName });
    const hostnames = config.domain !== undefined ? { hostnames: [config.domain] } : {};
    new k8s.apiextensions.CustomResource(
      `${name}-route`,
      {
        apiVersion: `${gatewayApiGroup}/v1`,
        kind: "HTTPRoute",
        metadata: { name: portalRouteName, namespace: kioskNamespace },
        spec: {
          parentRefs: [parent(attachment.https ? "https" : "http")],
          ...hostnames,
          rules: [
            {
              matches: [{ path: { type: "PathPrefix", value: "/" } }],
              ...(attachment.routeFilters.length > 0 ? { filters: attachment.routeFilters } : {}),
              backendRefs: [{ kind: "Service", name: endpoint.service.name, port: endpoint.service.port }],
              ...(attachment.routeTimeouts ? { timeouts: attachment.routeTimeouts } : {}),
            },
          ],
        },
      },
      { parent: this, dependsOn: [gateway, ...attachment.resources] },
    );
    if (attachment.https) {
      new k8s.apiextensions.CustomResource(
        `${name}-https-redirect`,
        {
          apiVersion: `${gatewayApiGroup}/v1`,
          kind: "HTTPRoute",
          metadata: { name: `${portalRouteName}-https-redirect`, namespace: kioskNamespace },
          spec: {
            parentRefs: [parent("http")],
            ...hostnames,
            rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301, ...(attachment.httpsRedirectPort ? { port: attachment.httpsRedirectPort } : {}) } }] }],
          },
        },
        { parent: this, dependsOn: [gateway] },
      );
    }
    this.url = attachment.url(gateway);
    this.registerOutputs({ url: this.url });
  }
}

/** The address a Gateway's controller published in its status, or "" until it has. */
export function gatewayStatusAddress(gateway: pulumi.Resource): pulumi.Output<string> {
  const status = (gateway as unknown as { status: pulumi.Output<{ addresses?: { value?: string }[] } | undefined> }).status;
  return pulumi.output(status).apply((s) => s?.addresses?.[0]?.value ?? "");
}
