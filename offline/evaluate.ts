/**
 * Evaluates a whole stack offline, as `pulumi preview` or `pulumi up --stack <name>` would run the
 * program, but against `pulumi.runtime.setMocks`, and returns every resource the program registered.
 *
 * Config comes from `Pulumi.<stack>.yaml`, completed with the defaults that `Pulumi.yaml` declares,
 * exactly as the Pulumi CLI hands project config to the program.
 *
 * Two modes:
 * - "update" (the default): every resource exists and reports what its provider computes (offline/mocks).
 * - "preview": the first preview of a brand-new stack, with the engine's rules for it. Nothing exists
 *   yet, so a resource reports its inputs and every computed output is unknown; reading an existing
 *   object (`Service.get`) finds nothing unless its provider's configuration is unknown, in which case
 *   the engine returns an empty result without asking; and a remote component such as `helm.v4.Chart`
 *   constructed through a provider whose configuration is unknown is registered by the engine itself,
 *   with no outputs and nothing beneath it: the preview cannot show what it will install
 *   (pulumi/pulumi pkg/resource/plugin/provider_plugin.go, Construct, `if !pcfg.known`, since v3.130.0;
 *   engines 3.76.1 to 3.129 failed there with "cannot construct components if the provider is
 *   configured with unknown values").
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { loadConfig, KioskConfig } from "../infra/config";
import { deployKiosk } from "../infra/kiosk";
import { mockCall, mockOutputs } from "./mocks";

// Internal runtime modules: the public mocks API hands `newResource` neither the parent nor the
// dependencies of a resource, and the tests need both to check how the graph is wired.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc");

export const projectRoot = path.resolve(__dirname, "..");

export interface RegisteredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Inputs with secrets unwrapped. */
  readonly inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Names of the inputs that were passed as Pulumi secrets. */
  readonly secretInputs: ReadonlySet<string>;
  readonly parent?: string;
  /** URN of the explicit provider, if any. */
  readonly provider?: string;
  /** URNs this resource depends on (explicit dependsOn and those implied by its inputs). */
  readonly dependencies: readonly string[];
  /** Input paths the resource's `ignoreChanges` option names. */
  readonly ignoreChanges: readonly string[];
  /** The `deleteBeforeReplace` option. */
  readonly deleteBeforeReplace: boolean;
  /** How many transforms the resource's `transforms` option registers (they run in the engine, also inside components). */
  readonly transformCount: number;
  /** Top-level inputs whose value was unknown when the resource was registered (only in preview). */
  readonly unknownInputs: ReadonlySet<string>;
  /** True for a component implemented by a provider plugin (e.g. helm.v4.Chart, eks.Cluster). */
  readonly remote: boolean;
  /**
   * True for a remote component that a preview registers without constructing it, because its
   * provider's configuration is unknown: none of its objects or outputs are in the plan.
   */
  readonly unconstructedInPreview: boolean;
  /** Outputs a component registered (registerOutputs); empty for custom resources. */
  outputs: Record<string, unknown>;
}

export type EvaluationMode = "update" | "preview";

export interface EvaluationOptions {
  readonly mode?: EvaluationMode;
}

export type ConfigOverrides = Record<string, string | number | boolean | string[] | undefined>;

/**
 * Every optional component on (TLS with a placeholder domain), to evaluate and check everything a stack can
 * install. A Let's Encrypt certificate needs a portal that answers everyone (kiosk:portalAccess), so it is public.
 */
export function everyComponentOn(stack: string): ConfigOverrides {
  return {
    "kiosk:portalAccess": "public",
    "kiosk:portalAllowedCidrs": undefined,
    "kiosk:monitoring": true,
    "kiosk:logging": true,
    "kiosk:vpn": true,
    // With a domain the clouds' front doors hold a managed certificate; cert-manager is the local stack's.
    "kiosk:tls": stack === "local",
    "kiosk:domain": "kiosk.example.org",
    "kiosk:acmeEmail": "ops@example.org",
  };
}

export class StackGraph {
  constructor(
    readonly stack: string,
    readonly config: KioskConfig,
    readonly resources: readonly RegisteredResource[],
    readonly outputs: Record<string, unknown>,
    readonly secretOutputs: ReadonlySet<string>,
    readonly mode: EvaluationMode = "update",
    /** Messages the program logged with pulumi.log.warn. */
    readonly warnings: readonly string[] = [],
  ) {}

  ofType(type: string): RegisteredResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of `type` (whose name is `name`, if given); fails loudly on none or several. */
  one(type: string, name?: string): RegisteredResource {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length} (${type} names: ${names.join(", ") || "none"})`);
    }
    return found[0];
  }

  byUrn(urn: string): RegisteredResource {
    const found = this.resources.find((r) => r.urn === urn);
    if (!found) throw new Error(`no resource with URN ${urn}`);
    return found;
  }

  has(type: string): boolean {
    return this.resources.some((r) => r.type === type);
  }

  childrenOf(resource: RegisteredResource): RegisteredResource[] {
    return this.resources.filter((r) => r.parent === resource.urn);
  }

  /** Every resource below `resource` in the parent tree. */
  descendantsOf(resource: RegisteredResource): RegisteredResource[] {
    const children = this.childrenOf(resource);
    return children.flatMap((child) => [child, ...this.descendantsOf(child)]);
  }

  /** The nearest ancestor of `resource` of type `type`, if any. */
  ancestorOfType(resource: RegisteredResource, type: string): RegisteredResource | undefined {
    let current = resource.parent ? this.byUrn(resource.parent) : undefined;
    while (current && current.type !== type) current = current.parent ? this.byUrn(current.parent) : undefined;
    return current;
  }

  /** True when `resource` depends on `other`, directly or through its dependencies and parents' dependencies. */
  dependsOn(resource: RegisteredResource, other: RegisteredResource): boolean {
    const seen = new Set<string>();
    const visit = (urn: string): boolean => {
      if (urn === other.urn) return true;
      if (seen.has(urn)) return false;
      seen.add(urn);
      const r = this.resources.find((x) => x.urn === urn);
      if (!r) return false;
      return r.dependencies.some(visit) || (r.parent !== undefined && visit(r.parent));
    };
    return resource.dependencies.some(visit) || (resource.parent !== undefined && visit(resource.parent));
  }
}

/** Reads the stack's config as the Pulumi CLI would hand it to the program: stack file over project defaults. */
export function stackConfig(stack: string, overrides: ConfigOverrides = {}): Record<string, string> {
  const project = readYaml("Pulumi.yaml");
  const stackFile = path.join(projectRoot, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) throw new Error(`no stack file Pulumi.${stack}.yaml`);
  const stackValues: Record<string, unknown> = readYaml(`Pulumi.${stack}.yaml`).config ?? {};
  const values: Record<string, unknown> = {};
  for (const [key, declaration] of Object.entries<{ default?: unknown }>(project.config ?? {})) {
    if (declaration.default !== undefined) values[`${project.name}:${key}`] = declaration.default;
  }
  Object.assign(values, stackValues);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete values[key];
    else values[key] = value;
  }
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    raw[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return raw;
}

export function projectName(): string {
  return readYaml("Pulumi.yaml").name;
}

let lastRegistrations = new Map<string, RegisteredResource>();

/** How many resources the latest evaluation registered, including one that failed. */
export function registeredByLastEvaluation(): number {
  return lastRegistrations.size;
}

/**
 * Runs the Kiosk program for `stack` under mocks and returns the resource graph.
 * Rejects with the program's own error (a ConfigError for bad config) if it fails.
 */
export async function evaluateStack(stack: string, overrides: ConfigOverrides = {}, options: EvaluationOptions = {}): Promise<StackGraph> {
  // Config is read first, as index.ts does: a bad config throws before anything is registered.
  return evaluateProgram(stack, (config) => deployKiosk(config), overrides, options);
}

/** Runs `program` with the config of `stack` under mocks, in the given mode, and returns the resource graph. */
export async function evaluateProgram(
  stack: string,
  program: (config: KioskConfig) => object | void,
  overrides: ConfigOverrides = {},
  options: EvaluationOptions = {},
): Promise<StackGraph> {
  const mode = options.mode ?? "update";
  const preview = mode === "preview";
  const resources = new Map<string, RegisteredResource>();
  lastRegistrations = resources;
  const project = projectName();
  const unknownConfigProviders = new Set<string>();
  const failures: unknown[] = [];
  const unconstructed = new Set<string>();

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (!preview) return { id: `${args.name}-id`, state: { ...args.inputs, ...(mockOutputs[args.type]?.(args) ?? {}) } };
        if (args.id !== undefined && args.id !== "") {
          if (!unknownConfigProviders.has(providerUrn(args.provider))) {
            failures.push(new Error(`${args.type} ${args.id} not found: a first preview reads an object that nothing has created yet`));
          }
          return { id: args.id, state: {} };
        }
        if (unconstructed.has(typeAndName(args.type, args.name))) return { id: undefined, state: {} };
        return { id: undefined, state: { ...args.inputs } };
      },
      call: (args) => mockCall(args),
    },
    project,
    stack,
    preview,
  );
  pulumi.runtime.setAllConfig(stackConfig(stack, overrides));
  recordRegistrations(resources, { preview, unknownConfigProviders, unconstructed, failures });

  // A failing program rejects runInPulumiStack and, through the stack resource, promises nobody
  // awaits; collect those too and report the program's first error.
  // Config is read before the listener is added: a ConfigError must not leave it behind.
  const config = loadConfig();
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  // What `pulumi up` would show the user as warnings.
  const warnings: string[] = [];
  const log = pulumi.log as { warn: typeof pulumi.log.warn };
  const warn = log.warn;
  log.warn = (message, resource, streamId, ephemeral) => {
    warnings.push(message);
    return warn(message, resource, streamId, ephemeral);
  };
  let outputs: Record<string, unknown> = {};
  try {
    outputs = ((await pulumi.runtime.runInPulumiStack(async () => program(config))) as Record<string, unknown> | undefined) ?? {};
    await settings.waitForRPCs();
  } catch (error) {
    failures.unshift(error);
  } finally {
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", onRejection);
    log.warn = warn;
  }
  if (failures.length > 0) throw failures[0];

  const stackResource = [...resources.values()].find((r) => r.type === "pulumi:pulumi:Stack");
  const secretOutputs = new Set(
    Object.entries(stackResource?.outputs ?? {})
      .filter(([, value]) => isRpcSecret(value))
      .map(([key]) => key),
  );
  return new StackGraph(stack, config, [...resources.values()], outputs, secretOutputs, mode, warnings);
}

/** Type and name: what both the monitor and the mock see of a resource (the mock is not told its parent). */
function typeAndName(type: string, name: string): string {
  return `${type}::${name}`;
}

/** A provider reference is `<urn>::<id>`; the URN names the provider. */
function providerUrn(reference: string | undefined): string {
  return reference ? reference.split("::").slice(0, -1).join("::") : "";
}

/** True when a serialized value holds the engine's unknown sentinel anywhere (secrets included). */
function holdsUnknown(value: unknown): boolean {
  if (value === rpc.unknownValue) return true;
  if (Array.isArray(value)) return value.some(holdsUnknown);
  if (typeof value === "object" && value !== null) return Object.values(value).some(holdsUnknown);
  return false;
}

interface RecordingContext {
  readonly preview: boolean;
  /** Filled in here: URNs of providers registered with unknown configuration. */
  readonly unknownConfigProviders: Set<string>;
  /** Filled in here: remote components (type and name) a preview registers without constructing them. */
  readonly unconstructed: Set<string>;
  /**
   * Filled in here: registrations and reads that failed. The SDK turns them into rejected promises that
   * nobody awaits, and jest's sandbox does not deliver those to `process.on("unhandledRejection")`.
   */
  readonly failures: unknown[];
}

function recordRegistrations(resources: Map<string, RegisteredResource>, context: RecordingContext): void {
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const parent: string = req.getParent();
    const type: string = req.getType();
    const name: string = req.getName();
    const serialized: Record<string, unknown> = req.getObject()?.toJavaScript() ?? {};
    const rawInputs: Record<string, unknown> = rpc.deserializeProperties(req.getObject());
    const urn: string = monitor.newUrn(parent, type, name);
    const unknownInputs = new Set(Object.keys(serialized).filter((key) => holdsUnknown(serialized[key])));
    const remote: boolean = req.getRemote();
    if (type.startsWith("pulumi:providers:") && unknownInputs.size > 0) context.unknownConfigProviders.add(urn);
    const unconstructedInPreview = context.preview && remote && context.unknownConfigProviders.has(providerUrn(req.getProvidersMap().get(type.split(":")[0]) ?? req.getProvider()));
    if (unconstructedInPreview) context.unconstructed.add(typeAndName(type, name));
    const propertyDependencies: string[] = [];
    req.getPropertydependenciesMap().forEach((deps: any) => propertyDependencies.push(...deps.getUrnsList())); // eslint-disable-line @typescript-eslint/no-explicit-any
    const provider: string = req.getProvider();
    resources.set(urn, {
      urn,
      type,
      name,
      custom: req.getCustom(),
      inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
      secretInputs: new Set(Object.keys(rawInputs).filter((key) => isRpcSecret(rawInputs[key]))),
      parent: parent || undefined,
      provider: provider ? provider.split("::").slice(0, -1).join("::") : undefined,
      dependencies: [...new Set([...req.getDependenciesList(), ...propertyDependencies])],
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      transformCount: req.getTransformsList().length,
      unknownInputs,
      remote,
      unconstructedInPreview,
      outputs: {},
    });
    return register(req, failuresRecordedIn(context.failures, callback));
  };
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req: any, callback: any) => read(req, failuresRecordedIn(context.failures, callback)); // eslint-disable-line @typescript-eslint/no-explicit-any
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req: any, callback: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const resource = resources.get(req.getUrn());
    if (resource) resource.outputs = rpc.deserializeProperties(req.getOutputs());
    return registerOutputs(req, callback);
  };
}

function failuresRecordedIn(failures: unknown[], callback: (error: unknown, response: unknown) => void) {
  return (error: unknown, response: unknown) => {
    if (error) failures.push(error);
    callback(error, response);
  };
}

function isRpcSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

function unwrapSecrets(value: unknown): unknown {
  if (isRpcSecret(value)) return unwrapSecrets((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readYaml(file: string): any {
  return YAML.parse(fs.readFileSync(path.join(projectRoot, file), "utf8"));
}
