import type { CallMock, OutputMock } from ".";

export const gcpOutputs: Record<string, OutputMock> = {};
export const gcpCalls: Record<string, CallMock> = {};
