import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartSource, upstreamChart } from "../upstream-charts";

/**
 * The NVIDIA device plugin, which advertises `nvidia.com/gpu` on GPU nodes. The AL2023 NVIDIA AMI has
 * the driver but not the plugin; Bottlerocket's NVIDIA variant ships both, so it is installed only for AL2023.
 * The chart's own affinity selects nodes labelled `nvidia.com/gpu.present=true` and tolerates the GPU taint.
 */
export class NvidiaDevicePlugin extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v3.Release;

  constructor(name: string, args: { readonly chart: ChartSource }, opts?: pulumi.ComponentResourceOptions) {
    super("kiosk:aws:NvidiaDevicePlugin", name, {}, opts);
    this.chart = upstreamChart(
      name,
      args.chart,
      "nvidia-device-plugin",
      "kube-system",
      { resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } } },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
