import type { OutputMock } from ".";

/** An address from TEST-NET-3 (RFC 5737), standing in for the cloud load balancer's. */
export const mockLoadBalancerIp = "203.0.113.10";

export const kubernetesOutputs: Record<string, OutputMock> = {
  // Reading the ingress controller's Service (Service.get) returns its load balancer status.
  "kubernetes:core/v1:Service": (args) => (args.id ? { status: { loadBalancer: { ingress: [{ ip: mockLoadBalancerIp }] } } } : {}),
};
