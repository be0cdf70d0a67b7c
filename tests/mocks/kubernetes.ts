import type { OutputMock } from ".";

export const kubernetesOutputs: Record<string, OutputMock> = {};
