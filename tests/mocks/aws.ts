import type { CallMock, OutputMock } from ".";

export const awsOutputs: Record<string, OutputMock> = {};
export const awsCalls: Record<string, CallMock> = {};
