/**
 * Writes every Kubernetes manifest a stack would apply, evaluated offline under mocks, so that a
 * reviewer reads exactly what will run, and checks it: references to objects nothing applies or makes,
 * and the policy pack's rules over every rendered object (our charts strictly, upstream charts with the
 * exemptions in policy/exemptions.ts).
 *
 *   npm run render -- --stack <aws|gcp|local> [--out <folder>] [--charts <folder> | --pull] [--all-components]
 *
 * --charts   a folder of the upstream charts' sources, one unpacked chart per folder named after the chart
 *            (helm pull <repo>/<chart> --version <v> --untar); the upstream charts are then rendered and checked too
 * --pull     with network: helm pull every pinned upstream chart into a temporary folder and use that
 * --all-components  monitoring, logging, VPN and TLS on (TLS with a placeholder domain), to check everything
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { upstreamCharts } from "../infra/upstream-charts";
import { everyComponentOn, projectRoot } from "../offline/evaluate";
import { helmPull } from "../offline/helm";
import { chartPolicyReport } from "../offline/policy-check";
import { brokenReferences, describeBroken } from "../offline/references";
import { allObjects, RenderedStack, renderStack, writeRendered } from "../offline/render";

function argument(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

/** The checks' findings, one line each; empty when everything passes. */
export function checkRendered(rendered: RenderedStack): { problems: string[]; notes: string[] } {
  const problems = brokenReferences(allObjects(rendered)).map(describeBroken);
  const notes: string[] = [];
  for (const chart of rendered.ownCharts) {
    for (const v of chartPolicyReport(undefined, chart.objects).violations) if (v.level === "mandatory") problems.push(`${chart.chart}: ${v.resource}: [${v.policy}] ${v.message}`);
  }
  for (const chart of rendered.upstreamCharts) {
    if (!chart.objects) {
      notes.push(`${chart.chart} ${chart.version}: not rendered (give --charts or --pull)`);
      continue;
    }
    const report = chartPolicyReport(chart.chart, chart.objects);
    for (const v of report.violations) if (v.level === "mandatory") problems.push(`${chart.chart} ${chart.version}: ${v.resource}: [${v.policy}] ${v.message}`);
    for (const v of report.exempted) notes.push(`${chart.chart} ${chart.version}: ${v.resource}: exempt from ${v.policy} (${v.reason}): ${v.message}`);
    notes.push(`${chart.chart} ${chart.version}: rendered ${chart.objects.length} objects`);
  }
  return { problems, notes };
}

async function main(args: string[]): Promise<number> {
  const stack = argument(args, "--stack");
  if (!stack) throw new Error("usage: npm run render -- --stack <aws|gcp|local> [--out <folder>] [--charts <folder> | --pull] [--all-components]");
  const folder = path.resolve(argument(args, "--out") ?? path.join(projectRoot, "rendered", stack));
  let chartsDir = argument(args, "--charts");
  if (args.includes("--pull")) {
    chartsDir = fs.mkdtempSync(path.join(os.tmpdir(), "kiosk-upstream-charts-"));
    for (const pin of Object.values(upstreamCharts)) helmPull(pin.repo, pin.chart, pin.version, chartsDir);
  }
  const rendered = await renderStack(stack, { upstreamChartsDir: chartsDir && path.resolve(chartsDir) }, args.includes("--all-components") ? everyComponentOn(stack) : {});
  const files = writeRendered(rendered, folder);
  console.log(`wrote ${files.length} files to ${path.relative(process.cwd(), folder) || "."}:\n  ${files.join("\n  ")}`);
  const { problems, notes } = checkRendered(rendered);
  for (const note of notes) console.log(`note: ${note}`);
  for (const problem of problems) console.log(`problem: ${problem}`);
  console.log(problems.length === 0 ? "checks passed: every reference resolves, no mandatory policy violation" : `${problems.length} problems`);
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
