/**
 * Every third-party Helm chart the program installs, pinned to an exact version, in one place so an
 * upgrade is one reviewed line. Our own charts live in charts/.
 */
export interface UpstreamChart {
  readonly chart: string;
  readonly version: string;
  readonly repo: string;
}

export const upstreamCharts = {
} as const satisfies Record<string, UpstreamChart>;
