import * as pulumi from "@pulumi/pulumi";
import { awsCalls, awsOutputs } from "./aws";
import { gcpCalls, gcpOutputs } from "./gcp";
import { kubernetesOutputs } from "./kubernetes";
import { randomOutputs } from "./random";

/** Extra outputs a mocked resource reports beyond its inputs, by resource type: what the real provider computes. */
export type OutputMock = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;
/** Result of a mocked provider function (invoke), by token. */
export type CallMock = (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;

export const mockOutputs: Record<string, OutputMock> = { ...awsOutputs, ...gcpOutputs, ...kubernetesOutputs, ...randomOutputs };
const calls: Record<string, CallMock> = { ...awsCalls, ...gcpCalls };

export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const call = calls[args.token];
  if (!call) throw new Error(`no mock for provider function ${args.token}; add one in offline/mocks/`);
  return call(args);
}
