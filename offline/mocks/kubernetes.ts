import type { OutputMock } from ".";

/** An address from TEST-NET-3 (RFC 5737), standing in for the cloud load balancer's. */
export const mockLoadBalancerIp = "203.0.113.10";

/** The DNS name the AWS Load Balancer Controller writes to a Gateway's status for its ALB (a .invalid name). */
export const mockLoadBalancerHostname = "k8s-portal-0123456789.us-west-2.elb.example.invalid";

export const kubernetesOutputs: Record<string, OutputMock> = {
  // A Gateway's controller publishes its load balancer's address in the Gateway's status.
  "kubernetes:gateway.networking.k8s.io/v1:Gateway": () => ({ status: { addresses: [{ type: "Hostname", value: mockLoadBalancerHostname }] } }),
  // Reading the ingress controller's Service (Service.get) returns its load balancer status.
  "kubernetes:core/v1:Service": (args) => (args.id ? { status: { loadBalancer: { ingress: [{ ip: mockLoadBalancerIp }] } } } : {}),
};
