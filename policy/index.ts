import { PolicyPack } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "./policies";

// `pulumi preview --policy-pack policy` runs this file; the checks live in rules.ts.
new PolicyPack("deepcell-kiosk", { policies: [...resourcePolicies, ...stackPolicies] });
