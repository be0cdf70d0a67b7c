import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "../offline/evaluate";

/** Every TypeScript file under `folder`, project-relative. */
function sources(folder: string): string[] {
  const root = path.join(projectRoot, folder);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.includes("node_modules"))
    .map((file) => path.join(folder, file));
}

describe("the product path", () => {
  const productFiles = ["index.ts", ...["infra", "offline", "scripts", "policy", "e2e"].flatMap(sources)];

  it.each(productFiles)("%s imports nothing from tests/", (file) => {
    const text = fs.readFileSync(path.join(projectRoot, file), "utf8");
    const imports = [...text.matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
    const intoTests = imports.filter((spec) => spec.startsWith(".") && path.resolve(path.dirname(path.join(projectRoot, file)), spec).startsWith(path.join(projectRoot, "tests")));
    expect(intoTests).toEqual([]);
  });
});
