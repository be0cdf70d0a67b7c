/**
 * Writes every Kubernetes manifest a stack would apply, evaluated offline under mocks, so that a
 * reviewer reads exactly what will run.
 *
 *   npm run render -- --stack <aws|gcp|local> [--out <folder>]
 */
import * as path from "path";
import { projectRoot } from "../offline/evaluate";
import { renderStack, writeRendered } from "../offline/render";

function argument(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const stack = argument(args, "--stack");
  if (!stack) throw new Error("usage: npm run render -- --stack <aws|gcp|local> [--out <folder>]");
  const folder = path.resolve(argument(args, "--out") ?? path.join(projectRoot, "rendered", stack));
  const files = writeRendered(await renderStack(stack), folder);
  console.log(`wrote ${files.length} files to ${path.relative(process.cwd(), folder) || "."}:\n  ${files.join("\n  ")}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
