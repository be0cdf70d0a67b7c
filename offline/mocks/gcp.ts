import type { CallMock, OutputMock } from ".";
import { mockLoadBalancerIp } from "./kubernetes";

/** A TEST-NET-2 address (RFC 5737) standing in for the GKE control plane's. */
export const mockGkeEndpoint = "198.51.100.20";
export const mockGkeCaCertificate = Buffer.from("mock GKE cluster CA").toString("base64");

/** What Google computes for a resource: names, e-mails, endpoints. */
export const gcpOutputs: Record<string, OutputMock> = {
  // The reserved address the portal's Gateway is bound to.
  "gcp:compute/globalAddress:GlobalAddress": (args) => ({ name: args.inputs.name ?? args.name, address: mockLoadBalancerIp }),
  "gcp:compute/securityPolicy:SecurityPolicy": (args) => ({ name: args.inputs.name ?? args.name }),
  "gcp:certificatemanager/certificateMap:CertificateMap": (args) => ({ name: args.inputs.name ?? args.name }),
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": (args) => ({ dnsResourceRecords: [{ name: `_acme-challenge.${args.inputs.domain}.`, type: "CNAME", data: `0123.authorize.certificatemanager.goog.` }] }),
  "gcp:container/cluster:Cluster": (args) => ({
    name: args.inputs.name ?? args.name,
    endpoint: mockGkeEndpoint,
    masterAuth: { clusterCaCertificate: mockGkeCaCertificate },
  }),
  "gcp:container/nodePool:NodePool": (args) => ({ name: args.inputs.name ?? args.name }),
  "gcp:serviceaccount/account:Account": (args) => {
    const email = `${args.inputs.accountId}@${args.inputs.project}.iam.gserviceaccount.com`;
    return { email, member: `serviceAccount:${email}`, name: `projects/${args.inputs.project}/serviceAccounts/${email}` };
  },
  "gcp:storage/bucket:Bucket": (args) => {
    const name = args.inputs.name ?? args.name;
    return { name, url: `gs://${name}` };
  },
  "gcp:compute/router:Router": (args) => ({ name: args.inputs.name ?? args.name }),
  "gcp:projects/iAMCustomRole:IAMCustomRole": (args) => ({ name: `projects/${args.inputs.project}/roles/${args.inputs.roleId}` }),
};
export const gcpCalls: Record<string, CallMock> = {};
