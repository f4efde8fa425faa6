// The engine adapter interface: one per backend (fake, codex, pi, case). The
// runner owns the process (spawn, isolation, timeout, group kill); an adapter
// only says what to launch and turns the engine's raw output into normalized
// events through an EngineSink. The VS Code layer lists adapters through the
// registry (id, gated, summary) and never talks to one directly.
import type { ProcResult } from "../proc";
import type { Task } from "../task";
import type { SeedReport } from "./home";

/** What a normalizer reports while reading an engine's own stream. */
export interface EngineSink {
  /** A normalized engine event (source "engine"); `type` is a cto.event/v1 type. */
  event(type: string, data?: Record<string, unknown>): void;
  /**
   * The engine says it wrote/deleted/linked this path (checked against the sandbox boundary; an
   * attempt that failed still counts as an attempt to leave it). `ok: false`: the engine says it failed.
   */
  fileTouched(path: string, action: string, ok?: boolean): void;
  /** Something in the engine's own stream looks like an approval decision → self_approval. */
  selfApproval(what: string, data?: Record<string, unknown>): void;
  /**
   * The stream cannot be read or trusted → missing_event. "unreadable": bad or
   * unknown content, gaps. "incomplete": it ended without its finish event or log
   * — explained away when the engine was killed or itself exited nonzero.
   */
  missing(reason: string, kind: "unreadable" | "incomplete"): void;
  /**
   * The engine's structured stream says its model provider could not be reached
   * (a failed turn, retries exhausted, no credentials) → provider_unavailable.
   * Decided from the stream's structure; `message` is only the reason shown.
   */
  providerError(message: string): void;
  /**
   * A provider error the engine reported but may still recover from (a retry,
   * a reconnect): not a verdict. The watchdog names the last one when it stops a stalled engine.
   */
  providerTrouble(message: string): void;
  /** The engine's own stream says the run failed (Case's pipeline_end outcome failed, exit 0) → engine_failed. */
  engineFailed(reason: string): void;
  /** The engine reports an action declined by its sandbox policy (codex `declined`) → approval.denied. */
  declined(action: string, detail?: Record<string, unknown>): void;
  /** The engine's own finish event was seen. */
  finished(data?: Record<string, unknown>): void;
  /** Real progress (a model response, a tool run): resets the no-progress watchdog (`watchProgress`). */
  progress(): void;
}

/** A line-oriented normalizer of one engine's raw format (pure: testable on recorded logs). */
export interface Normalizer {
  line(text: string): void;
  /** End of stream: reports a missing finish event, truncated input, … */
  end(): void;
}

/** Where the engine's program is, found without running anything (the version is probed inside the isolation). */
export interface EngineProbe {
  available: boolean;
  version: string | null;
  /** Absolute path of the executable (hashed for Case's admission record). */
  executable?: string;
  reason?: string;
}

export interface EngineRunContext {
  runId: string;
  task: Task;
  workTree: string;
  /** The engine's per-run home (host path): empty, writable by the engine, deleted after the run. */
  home: string;
  /** The caller's real environment: where to find the user's own config to seed the home from. */
  userEnv: NodeJS.ProcessEnv;
  /**
   * The engine's command as the harness located (absolute path), probed and — for a gated
   * engine — admitted it: launch exactly this, never `command(task, env)` again with the
   * engine's reduced env (CTO_*_COMMAND is the caller's, and the engine's PATH may differ).
   */
  command: string[];
  /** Harness-owned folder for the engine's inputs (readable under isolation). */
  inputs: string;
  options: Record<string, unknown>;
  /** The engine's environment: the allow-list, the per-run HOME/XDG/TMPDIR, and the declared passEnv. */
  env: NodeJS.ProcessEnv;
  sink: EngineSink;
  /** Asks the harness's approver; resolves to the approver's decision. */
  requestApproval(action: string, detail?: Record<string, unknown>): Promise<"grant" | "deny">;
  /** Keeps an extra raw log in the bundle's raw/ folder (name is a file name). */
  saveRaw(name: string, data: Buffer | string): void;
}

export interface EngineLaunch {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** "pipe" when the adapter answers approval requests on stdin. */
  stdin: "pipe" | "ignore";
  /** Whether the engine needs the network (a model provider). Tests never get it. */
  network: boolean;
  /** Extra paths the engine must see read-only under isolation. */
  readOnly?: string[];
}

/** One folder of the per-run home an adapter seeded: where from, what (names only). */
export interface HomeRecord extends SeedReport {
  /** The variable that points the CLI at it (CODEX_HOME, PI_CODING_AGENT_DIR, CASE_DATA_DIR). */
  variable: string;
  /** Names of the user's environment variables passed on because the config names them as credentials. */
  credentials_from_env?: string[];
  /** Files the adapter wrote itself (e.g. case's projects.json naming the sandbox). */
  written?: string[];
}

export interface EngineSession {
  launch: EngineLaunch;
  /** What the adapter seeded into the per-run home (the bundle records it). */
  home?: HomeRecord[];
  /** Each stdout line; `reply` writes to the engine's stdin. */
  stdoutLine(line: string, reply: (text: string) => void): void;
  /** After the process ended (normally, by timeout or by signal): final reading. */
  finish(result: ProcResult): Promise<void>;
}

/**
 * One option a task may set in `engine_options` for this engine. Each adapter
 * declares all of its options; any other key, or a value of the wrong type, is a
 * usage error located at it (a typo such as `netwrok: false` must not give the
 * engine the network).
 */
export type OptionSpec =
  | { readonly type: "boolean"; readonly description: string }
  /** A non-empty list of strings, bounded like every argv in a task file. */
  | { readonly type: "argv"; readonly description: string }
  | { readonly type: "enum"; readonly values: readonly string[]; readonly description: string };

export interface EngineAdapter {
  readonly id: string;
  /** Gated engines run only when enabled, admitted and eligible. */
  readonly gated: boolean;
  readonly summary: string;
  /** Every engine_options key this adapter reads, with its type. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Work-tree-relative folders that are the engine's runtime state, kept out of the diff. */
  readonly statePaths: string[];
  /** The argv prefix the adapter executes (located for availability, hashed for admission). */
  command(task: Task, env: NodeJS.ProcessEnv): string[];
  /** Arguments that print the version, run inside the isolation (null: the CLI has none). */
  readonly versionArgs: string[] | null;
  /** A version known without running anything (the fake is the harness's own). */
  readonly fixedVersion?: string;
  /** Names of the caller's environment variables the engine needs (credentials, provider settings). */
  readonly passEnv?: readonly string[];
  /** The runner stops the engine after `progress_timeout_s` without `sink.progress()` (provider_unavailable). */
  readonly watchProgress?: boolean;
  start(ctx: EngineRunContext): EngineSession;
}

/** Approval-looking names: any such event from an engine's own stream is a self-approval. */
export function looksLikeApproval(s: unknown): boolean {
  return typeof s === "string" && /approv|permission[._-]?grant|consent[._-]?grant|\bgranted\b|self[._-]?grant/i.test(s);
}

/** Parses one JSONL line into an object, or undefined. */
export function parseJsonLine(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Harness-owned event types an engine stream may never produce verbatim. */
export const RESERVED_TYPES = new Set([
  "run.started",
  "run.finished",
  "engine.started",
  "engine.finished",
  "engine.timeout",
  "engine.failed",
  "engine.unavailable",
  "engine.gated",
  "blocker.raised",
  "tests.started",
  "tests.finished",
  "tests.failed",
  "tests.missing_command",
  "review.approved",
  "review.rejected",
  "diff.empty",
  "diff.disallowed_file",
  "preflight.dirty_tree",
  "postflight.dirty_tree",
  "artifact.write_failed",
  "eligibility.denied",
  "events.missing",
]);
