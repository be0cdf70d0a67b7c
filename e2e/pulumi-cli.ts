import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** One engine event of `--event-log` (the fields the e2e reads). */
/** A step's resource state in an event (the fields the e2e reads). */
export interface StepState {
  readonly type: string;
  readonly urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inputs?: Record<string, any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly outputs?: Record<string, any>;
}

export interface StepMetadata {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly new?: StepState;
}

export interface EngineEvent {
  readonly sequence?: number;
  readonly diagnosticEvent?: { readonly severity: string; readonly message: string; readonly urn?: string };
  readonly summaryEvent?: { readonly resourceChanges?: Record<string, number> };
  readonly resourcePreEvent?: { readonly metadata: StepMetadata };
  readonly resOutputsEvent?: { readonly metadata: StepMetadata };
  readonly resOpFailedEvent?: { readonly metadata: { readonly op: string; readonly urn: string; readonly type: string } };
  readonly preludeEvent?: unknown;
}

export interface CommandResult {
  readonly command: string;
  readonly exitCode: number;
  readonly seconds: number;
  readonly events: EngineEvent[];
  readonly stdout: string;
  readonly stderr: string;
  /** Changes by operation (create, update, delete, replace, same, ...), from the summary event. */
  readonly changes: Record<string, number>;
  /** Error diagnostics, each "urn: message" (or just the message). */
  readonly errors: string[];
  /** Resources an operation was done to, by operation (from the resource-outputs events). */
  readonly operations: { readonly op: string; readonly urn: string }[];
}

/** Runs the real `pulumi` CLI in a project directory with an event log, and reads that log. */
export class PulumiCli {
  private count = 0;

  constructor(
    private readonly bin: string,
    private readonly projectDir: string,
    private readonly logDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  run(args: string[], options: { readonly eventLog?: boolean } = {}): CommandResult {
    this.count += 1;
    const label = `${String(this.count).padStart(2, "0")}-${args.filter((a) => !a.startsWith("-")).slice(0, 2).join("-")}`;
    const eventLog = path.join(this.logDir, `${label}.events.jsonl`);
    const fullArgs = [...args, "--non-interactive", ...(options.eventLog === false ? [] : ["--event-log", eventLog])];
    const started = Date.now();
    const result = spawnSync(path.join(this.bin, "pulumi"), fullArgs, { cwd: this.projectDir, env: this.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const seconds = (Date.now() - started) / 1000;
    fs.writeFileSync(path.join(this.logDir, `${label}.out.log`), `$ pulumi ${fullArgs.join(" ")}\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
    const events: EngineEvent[] = fs.existsSync(eventLog)
      ? fs
          .readFileSync(eventLog, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
          .map((line) => JSON.parse(line) as EngineEvent)
      : [];
    const summary = events.find((event) => event.summaryEvent)?.summaryEvent;
    const errors = events
      .filter((event) => event.diagnosticEvent?.severity === "error")
      .map((event) => `${event.diagnosticEvent?.urn ? `${event.diagnosticEvent.urn}: ` : ""}${(event.diagnosticEvent?.message ?? "").trim()}`);
    const operations = events.filter((event) => event.resOutputsEvent).map((event) => ({ op: event.resOutputsEvent!.metadata.op, urn: event.resOutputsEvent!.metadata.urn }));
    return {
      command: `pulumi ${args.join(" ")}`,
      exitCode: result.status ?? -1,
      seconds,
      events,
      stdout: result.stdout ?? "",
      stderr: result.stderr ?? "",
      changes: summary?.resourceChanges ?? {},
      errors,
      operations,
    };
  }
}

/** Strips ANSI colour codes from CLI text for error messages. */
// eslint-disable-next-line no-control-regex -- ANSI escapes start with ESC
export const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "");
