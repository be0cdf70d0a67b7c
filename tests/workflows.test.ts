import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { projectRoot } from "../offline/evaluate";
import { overlayBuild, overlayImages } from "../infra/kiosk-contract";

/* eslint-disable @typescript-eslint/no-explicit-any */
describe("the CI workflow", () => {
  const text = fs.readFileSync(path.join(projectRoot, ".github/workflows/ci.yml"), "utf8");
  const document = YAML.parseDocument(text);
  const workflow: any = document.toJS();
  const steps = (job: string): any[] => workflow.jobs[job].steps;

  it("is valid YAML with the jobs test, preview and deploy", () => {
    expect(document.errors).toEqual([]);
    expect(Object.keys(workflow.jobs)).toEqual(["test", "preview", "deploy"]);
    for (const job of Object.values<any>(workflow.jobs)) {
      expect(job["runs-on"]).toBeDefined();
      for (const step of job.steps) expect(step.uses ?? step.run).toBeDefined();
    }
  });

  it("runs the README's test command, through .ci/run, on every pull request and push", () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(["pull_request", "push"]));
    expect(steps("test").some((s) => s.run === ".ci/run")).toBe(true);
    expect(fs.readFileSync(path.join(projectRoot, ".ci/run"), "utf8")).toMatch(/npm ci\nnpm test\nnpm run e2e:local\nnpm run test:redis\nnpm run test:overlays\n/);
  });

  it("keeps the real-engine toolchain between runs, keyed by its pinned versions", () => {
    const cache = steps("test").find((s) => String(s.uses).startsWith("actions/cache@"));
    expect(cache.with.path).toBe("~/.cache/kiosk-e2e");
    expect(cache.with.key).toContain("hashFiles('e2e/toolchain.versions', 'e2e/toolchain.sh', 'e2e/language-host/**')");
    expect(steps("test").find((s) => String(s.uses).startsWith("actions/setup-go@")).with["go-version"]).toBe("1.26");
  });

  it("previews the cloud stacks on pull requests with the policy pack, commenting on the PR, skipping cleanly without credentials", () => {
    const preview = workflow.jobs.preview;
    expect(preview.if).toBe("github.event_name == 'pull_request'");
    expect(preview.strategy.matrix.stack).toEqual(["aws", "gcp"]);
    expect(preview.permissions).toMatchObject({ "id-token": "write", "pull-requests": "write" });
    const pulumi = steps("preview").find((s) => String(s.uses).startsWith("pulumi/actions@"));
    expect(pulumi.with).toMatchObject({ command: "preview", policyPacks: "policy", "comment-on-pr": true });
    expect(fs.existsSync(path.join(projectRoot, "policy/PulumiPolicy.yaml"))).toBe(true);
    const skip = steps("preview")[0];
    expect(skip.if).toBe("env.HAS_BACKEND != 'true' || env.HAS_CLOUD != 'true'");
    for (const step of steps("preview").slice(1)) expect(step.if).toMatch(/env.HAS_BACKEND == 'true' && env.HAS_CLOUD == 'true'/);
  });

  it("previews and updates a stack that does not exist yet, on Pulumi Cloud or a self-managed backend", () => {
    expect(workflow.jobs.preview.env.HAS_BACKEND).toBe("${{ secrets.PULUMI_ACCESS_TOKEN != '' || vars.PULUMI_BACKEND_URL != '' }}");
    for (const job of ["preview", "deploy"]) {
      const pulumi = steps(job).find((s) => String(s.uses).startsWith("pulumi/actions@"));
      expect(pulumi.with).toMatchObject({ upsert: true, "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}", "secrets-provider": "${{ vars.PULUMI_SECRETS_PROVIDER }}" });
      expect(workflow.jobs[job].env.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    }
  });

  it("takes cloud credentials only through OIDC, never from stored keys", () => {
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key|credentials_json|GOOGLE_CREDENTIALS/);
    const uses = Object.values<any>(workflow.jobs).flatMap((job) => job.steps.map((s: any) => s.uses).filter(Boolean));
    expect(uses).toEqual(expect.arrayContaining([expect.stringMatching(/^aws-actions\/configure-aws-credentials@/), expect.stringMatching(/^google-github-actions\/auth@/)]));
    for (const action of uses) expect(action).toMatch(/@v\d+$/);
  });

  it("updates a named stack only by hand, from main, behind an environment", () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy.if).toBe("github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'");
    expect(deploy.environment).toBe("${{ inputs.stack }}");
    expect(workflow.on.workflow_dispatch.inputs.stack.options).toEqual(["aws", "gcp"]);
    expect(steps("deploy").find((s) => String(s.uses).startsWith("pulumi/actions@")).with).toMatchObject({ command: "up", policyPacks: "policy" });
  });
});

describe("the overlays workflow", () => {
  const document = YAML.parseDocument(fs.readFileSync(path.join(projectRoot, ".github/workflows/overlays.yml"), "utf8"));
  const workflow: any = document.toJS();
  const steps: any[] = workflow.jobs.build.steps;

  it("builds every overlay in images/ on an overlays-* tag, after their modules' tests, and pushes it to the repository's registry", () => {
    expect(document.errors).toEqual([]);
    expect(workflow.on.push.tags).toEqual(["overlays-*"]);
    expect(workflow.permissions).toEqual({ contents: "read", packages: "write" });
    const folders = fs.readdirSync(path.join(projectRoot, "images")).filter((name) => fs.existsSync(path.join(projectRoot, "images", name, "Dockerfile")));
    expect([...workflow.jobs.build.strategy.matrix.overlay].sort()).toEqual(folders.sort());
    expect(Object.values(overlayImages).sort()).toEqual(folders.sort());
    expect(steps.findIndex((s) => s.run === "images/test.sh")).toBeLessThan(steps.findIndex((s) => String(s.uses).startsWith("docker/build-push-action@")));
    const build = steps.find((s) => String(s.uses).startsWith("docker/build-push-action@"));
    expect(build.with).toMatchObject({ context: "images/${{ matrix.overlay }}", push: true, tags: "${{ steps.tag.outputs.image }}" });
  });

  it("tags each image as the program names it: <upstream tag>-kiosk.<revision>, from the same overlay.env, built FROM that upstream tag", () => {
    const tagStep = steps.find((s) => s.id === "tag").run as string;
    expect(tagStep).toContain('. "images/${{ matrix.overlay }}/overlay.env"');
    expect(tagStep).toContain("${UPSTREAM_TAG}-kiosk.${REVISION}");
    for (const [overlay, name] of Object.entries(overlayImages)) {
      const { upstreamTag, tag } = overlayBuild(overlay as keyof typeof overlayImages);
      expect(tag).toBe(`${upstreamTag}-kiosk.1`);
      const dockerfile = fs.readFileSync(path.join(projectRoot, "images", name, "Dockerfile"), "utf8");
      expect(dockerfile).toContain(`ARG UPSTREAM_TAG=${upstreamTag}`);
      expect(dockerfile).toContain(`FROM vanvalenlab/${name}:\${UPSTREAM_TAG}`);
    }
  });
});
