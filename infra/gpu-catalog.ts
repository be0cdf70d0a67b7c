import { CloudProvider } from "./config-types";

/** A GPU model as one cloud offers it: which machine types carry it and the smallest sensible one. */
export interface GpuOffering {
  /** Machine/instance types that carry this GPU. */
  readonly machineTypes: RegExp;
  readonly defaultMachineType: string;
}

/**
 * GPU models per cloud, under one vocabulary (GKE's accelerator names) so a stack can move between
 * clouds by changing `cloud` alone. On AWS the GPU is implied by the instance family.
 */
export const gpuCatalog: Readonly<Record<CloudProvider, Readonly<Record<string, GpuOffering>>>> = {
  gcp: {
    "nvidia-tesla-t4": { machineTypes: /^n1-(standard|highmem|highcpu)-\d+$/, defaultMachineType: "n1-standard-4" },
    "nvidia-tesla-p4": { machineTypes: /^n1-(standard|highmem|highcpu)-\d+$/, defaultMachineType: "n1-standard-4" },
    "nvidia-tesla-p100": { machineTypes: /^n1-(standard|highmem|highcpu)-\d+$/, defaultMachineType: "n1-standard-8" },
    "nvidia-tesla-v100": { machineTypes: /^n1-(standard|highmem|highcpu)-\d+$/, defaultMachineType: "n1-standard-8" },
    "nvidia-l4": { machineTypes: /^g2-standard-\d+$/, defaultMachineType: "g2-standard-4" },
    "nvidia-tesla-a100": { machineTypes: /^a2-highgpu-\d+g$/, defaultMachineType: "a2-highgpu-1g" },
    "nvidia-a100-80gb": { machineTypes: /^a2-ultragpu-\d+g$/, defaultMachineType: "a2-ultragpu-1g" },
    "nvidia-h100-80gb": { machineTypes: /^a3-highgpu-\d+g$/, defaultMachineType: "a3-highgpu-1g" },
  },
  aws: {
    "nvidia-tesla-t4": { machineTypes: /^g4dn\.(\d*xlarge|metal)$/, defaultMachineType: "g4dn.xlarge" },
    "nvidia-a10g": { machineTypes: /^g5\.(\d*xlarge)$/, defaultMachineType: "g5.xlarge" },
    "nvidia-l4": { machineTypes: /^g6\.(\d*xlarge)$/, defaultMachineType: "g6.xlarge" },
    "nvidia-l40s": { machineTypes: /^g6e\.(\d*xlarge)$/, defaultMachineType: "g6e.xlarge" },
    "nvidia-tesla-v100": { machineTypes: /^p3\.(\d*xlarge)$/, defaultMachineType: "p3.2xlarge" },
    "nvidia-tesla-a100": { machineTypes: /^p4d\.24xlarge$/, defaultMachineType: "p4d.24xlarge" },
  },
};
