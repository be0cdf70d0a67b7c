import { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  bucketsWithoutPublicAccessBlock,
  Check,
  containersAreBounded,
  gpuPoolsRestAtZero,
  imagesArePinned,
  noPublicBucket,
  noPublicInternalUis,
  noStaticCloudKeys,
} from "./rules";

function resourcePolicy(name: string, description: string, check: Check, enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    validateResource: (args, reportViolation) => {
      for (const problem of check(args.type, args.props)) reportViolation(problem);
    },
  };
}

export const resourcePolicies: ResourceValidationPolicy[] = [
  resourcePolicy("no-public-bucket", "Buckets are private: public access prevention / block on, no ACLs, no public IAM members.", noPublicBucket),
  resourcePolicy("no-static-cloud-keys", "No access keys, service account keys or literal cloud credentials in pods.", noStaticCloudKeys),
  resourcePolicy("containers-bounded-and-non-root", "Every container requests CPU and memory, limits memory, cannot escalate privileges and runs as non-root unless its image cannot.", containersAreBounded),
  // Advisory: kiosk:minGpuNodes may keep a warm GPU on purpose; the preview says what it costs.
  resourcePolicy("gpu-pools-rest-at-zero", "GPU node pools scale down to zero nodes.", gpuPoolsRestAtZero, "advisory"),
  resourcePolicy("no-public-internal-uis", "Grafana, Prometheus, Alertmanager and OpenSearch get no public LoadBalancer.", noPublicInternalUis),
  resourcePolicy("images-and-charts-pinned", "Container images are pinned by tag (not latest) or digest, and upstream charts by exact version.", imagesArePinned),
];

export const stackPolicies: StackValidationPolicy[] = [
  {
    name: "every-bucket-blocked",
    description: "Every S3 bucket has a public access block of its own.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        bucketInputFrom: (r.propertyDependencies.bucket ?? []).map((d) => d.urn),
      }));
      for (const problem of bucketsWithoutPublicAccessBlock(resources)) reportViolation(problem);
    },
  },
];
