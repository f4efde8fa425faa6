// The one runner path: the CLI, the VS Code tasks and palette, and the tests all
// call runTask(). Phases: preflight → sandbox → engine → diff → check → tests →
// review → postflight → bundle. Every check that cannot complete is a blocker
// (fail closed); the first blocker in the contract's table decides the exit code.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { decideSafely, PolicyApprover, type Approver, type AskCallback } from "./approver";
import { faultsFromEnv, type Faults } from "./atomic";
import { BundleWriter, formatManifest, renderReportMd, reportCoreSha256, serializeReport, type TestSummary } from "./bundle";
import { ARTIFACTS, blockerRow, outcomeOf, REPORT_SCHEMA, type Blocker, type BlockerId, type ChangedFile, type CtoEvent, type EventSource, type Report } from "./contract";
import { checkChanges, reportedWriteEscapes, type Violation } from "./diffcheck";
import { sha256File, sha256Hex } from "./digest";
import { getEngine, ENGINE_IDS } from "./engines/registry";
import type { EngineAdapter, EngineProbe, EngineSink } from "./engines/types";
import { EventLog } from "./events";
import { checkEligibility } from "./gating";
import { git } from "./git";
import { planIsolation, wrapArgv, type IsolationPlan, type IsolationRequest } from "./isolation";
import { startProc, whichSync, type ProcResult } from "./proc";
import { createSandbox, inspectSource, stageAll, stagedChanges, stagedPatch, type Sandbox, type SourceInfo } from "./sandbox";
import { checkEngineOptions } from "./engineOptions";
import { checkTaskRepo } from "./repocheck";
import { defaultRunsDir } from "./runsdir";
import { loadTask, type Task } from "./task";
import { Trace } from "./trace";
import { HARNESS_VERSION } from "./version";

export interface RunOptions {
  engine: string;
  /** The task file (paths inside are relative to it). */
  taskFile: string;
  /** Runs folder; each run gets `<outDir>/<run_id>/`. Default `<cwd>/.cto/runs`, or outside the repo when that is in it (runsdir.ts). */
  outDir?: string;
  cwd?: string;
  /** Gated engines the caller explicitly enabled (`--enable-gated`, or the VS Code setting). */
  enableGated?: string[];
  /** Folder with the gate records; default: the CTO child workspace above the task file. */
  recordsDir?: string;
  /** "auto" (default; "required" for gated engines), "required" or "none". */
  isolation?: IsolationRequest;
  /** Environment for engines and tests (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Fault injection (default: from env CTO_FAULT_ARTIFACT_WRITE). */
  faults?: Faults;
  /** Keep the sandbox folder after the run (debugging). */
  keepSandbox?: boolean;
  /** Where sandboxes are created (default os.tmpdir()). */
  tmpRoot?: string;
  /** SIGTERM→SIGKILL grace for the engine and tests (ms; default 500). */
  killGraceMs?: number;
}

export interface RunHooks {
  /** Every normalized event as it happens (the VS Code layer streams these to a terminal). */
  onEvent?(e: CtoEvent): void;
  /** The person behind `approvals: { policy: ask }`. Without it, `ask` is answered with deny. */
  ask?: AskCallback;
  /** Replaces the task's policy approver entirely. */
  approver?: Approver;
  /** Cancels the run: the engine's group is killed and the run ends blocked (`timeout`, "cancelled"). */
  signal?: AbortSignal;
}

export interface RunResult {
  report: Report;
  /** The committed bundle folder, or null when none could be written. */
  bundleDir: string | null;
  exitCode: number;
  events: readonly CtoEvent[];
  /** Things the caller should tell the person (e.g. "ask was answered with deny"). */
  notes: string[];
}

/** Bad invocation (unknown engine, missing repo): the CLI exits 2, no bundle is written. */
export class RunUsageError extends Error {}

/** Time-sortable, random run id: 20251125T180412345Z-a1b2c3d4e5. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(".", "");
  return `${t}-${randomBytes(5).toString("hex")}`;
}

const MAX_VIOLATION_BLOCKERS = 20;

export async function runTask(opts: RunOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const adapter = getEngine(opts.engine);
  if (!adapter) throw new RunUsageError(`unknown engine '${opts.engine}' (known: ${ENGINE_IDS.join(", ")})`);
  // Everything a task file can get wrong is a usage error (TaskError, located) before anything runs.
  const task = loadTask(resolve(cwd, opts.taskFile));
  checkEngineOptions(task, adapter);
  const runs = opts.outDir !== undefined ? { dir: resolve(cwd, opts.outDir), note: undefined } : defaultRunsDir({ cwd, repo: task.repo, taskFile: task.file, env });
  checkTaskRepo(task, { runsDir: runs.dir, sandboxRoot: opts.tmpRoot, env });
  const run = new Run({ ...opts, outDir: runs.dir }, hooks, adapter, task, cwd, env);
  if (runs.note) run.notes.push(runs.note);
  return run.execute();
}

/**
 * E2BIG: the command line and environment exceed the OS limit. The invocation's
 * fault (a usage error, no bundle), never the provider's or the tests'.
 */
function refuseTooLong(err: NodeJS.ErrnoException | undefined, what: string, argv: string[], env: NodeJS.ProcessEnv | undefined): void {
  if (err?.code !== "E2BIG") return;
  const bytes = (xs: string[]) => xs.reduce((n, x) => n + Buffer.byteLength(x) + 1, 0);
  const envBytes = bytes(Object.entries(env ?? {}).map(([k, v]) => `${k}=${v ?? ""}`));
  throw new RunUsageError(
    `${what} cannot be started: its command line (${bytes(argv)} bytes) and environment (${envBytes} bytes) exceed the system's limit (E2BIG; one argument is at most 128 KiB). Shorten the prompt, the command or the environment.`,
  );
}

class Run {
  readonly runId = newRunId();
  readonly events: EventLog;
  readonly trace = new Trace();
  readonly blockers: Blocker[] = [];
  readonly notes: string[] = [];
  readonly faults: Faults;
  readonly bundle: BundleWriter;
  bundleOk = true;
  runStart = new Date();
  probe: EngineProbe | undefined;
  isolation: IsolationPlan = { kind: "none" };
  source: SourceInfo | undefined;
  sb: Sandbox | undefined;
  changes: ChangedFile[] = [];
  endTree: string | null = null;
  patch: Buffer = Buffer.alloc(0);
  backendExit: number | null = null;
  /** The engine did not run to its own end (timeout, cancel, self-approval kill): later verdicts are moot. */
  aborted = false;
  tests: TestSummary;
  readonly reported: Violation[] = [];
  private approvals = 0;

  constructor(
    readonly opts: RunOptions,
    readonly hooks: RunHooks,
    readonly adapter: EngineAdapter,
    readonly task: Task,
    readonly cwd: string,
    readonly env: NodeJS.ProcessEnv,
  ) {
    this.events = new EventLog(this.runId, hooks.onEvent);
    this.faults = opts.faults ?? faultsFromEnv(env);
    this.bundle = new BundleWriter(resolve(cwd, opts.outDir ?? ".cto/runs"), this.runId, this.faults);
    this.tests = { command: task.test_command, ran: false, exit_code: null, timed_out: false, duration_ms: 0 };
  }

  /** Emits the row's characteristic event (unless already emitted) and `blocker.raised`. */
  raise(id: BlockerId, reason: string, data: Record<string, unknown> = {}, source: EventSource = "harness", emitCharacteristic = true): void {
    if (emitCharacteristic) this.events.emit(source, blockerRow(id).event, { ...data, reason });
    this.blockers.push({ id, reason });
    this.events.emit("harness", "blocker.raised", { id, reason });
  }

  async execute(): Promise<RunResult> {
    try {
      this.events.emit("harness", "run.started", { engine: this.adapter.id, task_id: this.task.id, task_sha256: this.task.sha256, harness_version: HARNESS_VERSION });
      try {
        this.bundle.init();
      } catch (e) {
        this.bundleOk = false;
        this.raise("artifact_write_failed", (e as Error).message, { path: this.bundle.tmpDir });
      }
      await this.trace.time("preflight", () => this.preflight());
      if (this.blockers.length === 0) {
        await this.trace.time("sandbox", () => this.prepareSandbox());
        await this.trace.time("engine", () => this.runEngine());
        await this.trace.time("diff", () => this.captureDiff());
        if (this.aborted) {
          const why = "the engine did not run to its own end (timeout, cancel, self-approval or provider failure)";
          for (const p of ["tests", "review"]) this.trace.skip(p, why);
          this.tests.note = why;
          this.events.emit("harness", "tests.skipped", { reason: why });
        } else {
          await this.trace.time("tests", () => this.runTests());
          await this.trace.time("review", () => this.review());
        }
        await this.trace.time("postflight", () => this.postflight());
        this.engineFailedIfUnexplained();
      } else {
        for (const p of ["sandbox", "engine", "diff", "tests", "review", "postflight"]) this.trace.skip(p, "refused at preflight");
        this.tests.note = "refused at preflight";
      }
      return await this.writeBundle();
    } catch (e) {
      // Unexpected: no bundle (nothing may claim anything), exit 1 from the caller.
      this.bundle.discard();
      throw e;
    } finally {
      if (this.sb && !this.opts.keepSandbox) this.sb.dispose();
    }
  }

  // ---------------------------------------------------------------- preflight
  private preflight(): void {
    const a = this.adapter;
    const request: IsolationRequest = this.opts.isolation ?? (a.gated ? "required" : "auto");
    this.isolation = planIsolation(request, this.env);
    this.events.emit("harness", "preflight.isolation", { requested: request, kind: this.isolation.kind, ...(this.isolation.reason ? { reason: this.isolation.reason } : {}) });
    if (request === "required" && this.isolation.kind === "none") {
      // Not eligible to run under the conditions at hand — blocked, never quietly weakened.
      this.raise("not_eligible", `isolation is required${a.gated ? ` for the gated engine '${a.id}'` : ""} but unavailable: ${this.isolation.reason}`, { requirement: "isolation" });
    }

    const enabled = (this.opts.enableGated ?? []).includes(a.id);
    if (a.gated && !enabled) {
      // Refused before anything about the engine is even probed.
      this.raise("engine_not_enabled", `'${a.id}' is a gated engine; enable it explicitly (--enable-gated ${a.id}, or the cto.harness.enabledGatedEngines setting)`, { engine: a.id });
    } else {
      this.probe = a.probe(this.task, this.env);
      if (!this.probe.available) this.raise("provider_unavailable", this.probe.reason ?? `'${a.id}' is not available`, { engine: a.id });
      else if (a.gated) {
        const elig = checkEligibility(a.id, this.probe.executable, this.task.file, this.opts.recordsDir ? resolve(this.cwd, this.opts.recordsDir) : undefined);
        if (!elig.ok) this.raise("not_eligible", elig.reasons.join("; "), { engine: a.id, workspace: elig.workspace ?? null });
        else this.events.emit("harness", "eligibility.granted", { engine: a.id, admission: elig.admission, decision: elig.decision, workspace: elig.workspace });
      }
    }

    const tc = this.task.test_command;
    if (!tc || tc.length === 0) this.raise("missing_test_command", "the task has no test_command", {});
    else if (!whichSync(tc[0]!, this.task.repo, this.env)) this.raise("missing_test_command", `test command '${tc[0]}' is not found (PATH or the repo)`, { command: tc });

    this.source = inspectSource(this.task.repo);
    if (this.source.dirty) this.raise("dirty_start", this.source.dirty, { repo: this.source.path });
  }

  // ------------------------------------------------------------------ sandbox
  private prepareSandbox(): void {
    this.sb = createSandbox(this.source!, { statePaths: this.adapter.statePaths, tmpRoot: this.opts.tmpRoot });
    this.events.emit("harness", "sandbox.created", { kind: this.source!.kind, base: this.sb.base, base_tree: this.sb.baseTree });
  }

  // ------------------------------------------------------------------- engine
  private async runEngine(): Promise<void> {
    const sb = this.sb!;
    const missing: { reason: string; kind: "unreadable" | "incomplete" }[] = [];
    const providerErrors: string[] = [];
    let sawFinish = false;
    let selfApproved = false;
    let killProc: ((why: "cancel") => void) | undefined;
    let killedForSelfApproval = false;

    const sink: EngineSink = {
      event: (type, data = {}) => this.events.emit("engine", type, data),
      fileTouched: (path) => {
        const why = reportedWriteEscapes(sb.workTree, path);
        if (why) this.reported.push({ path, reason: `engine reported a ${why}` });
      },
      selfApproval: (what, data = {}) => {
        selfApproved = true;
        this.raise("self_approval", `the engine's own stream carries an approval (${what}); approvals come only from the approver`, { ...data, claimed: what }, "engine");
        // An engine that approves itself is not trusted to go on.
        if (killProc && !killedForSelfApproval) {
          killedForSelfApproval = true;
          killProc("cancel");
        }
      },
      missing: (reason, kind) => missing.push({ reason, kind }),
      providerError: (message) => providerErrors.push(message),
      declined: (action, detail = {}) => {
        const requestId = `r${++this.approvals}`;
        this.events.emit("engine", "approval.requested", { request_id: requestId, action, ...detail });
        const by = "policy:engine-sandbox";
        this.events.emit("approver", "approval.denied", { request_id: requestId, action, by });
        this.raise("approval_denied", `'${action}' was declined by the sandbox policy the harness set (${by})`, {}, "approver", false);
      },
      finished: () => {
        sawFinish = true;
      },
    };
    const approver = this.hooks.approver ?? new PolicyApprover(this.task.approvals.policy, this.hooks.ask);
    const ac = new AbortController();
    this.hooks.signal?.addEventListener("abort", () => ac.abort(), { once: true });
    const session = this.adapter.start({
      runId: this.runId,
      task: this.task,
      workTree: sb.workTree,
      inputs: sb.inputs,
      options: this.task.engine_options,
      env: this.env,
      sink,
      saveRaw: (name, data) => {
        this.bundle.write(`raw/${name}`, data);
      },
      requestApproval: async (action, detail = {}) => {
        const requestId = String(detail.request_id ?? `r${++this.approvals}`);
        this.events.emit("engine", "approval.requested", { ...detail, request_id: requestId, action });
        const d = await decideSafely(approver, { runId: this.runId, engine: this.adapter.id, requestId, action, detail }, ac.signal);
        this.events.emit("approver", d.decision === "grant" ? "approval.granted" : "approval.denied", { request_id: requestId, action, by: d.by, ...(d.reason ? { reason: d.reason } : {}) });
        if (d.by === "cli:no-interactive-approver") this.notes.push(`approval '${action}' was asked for; the CLI answers 'ask' with deny`);
        if (d.decision === "deny") this.raise("approval_denied", `'${action}' was denied (${d.by}${d.reason ? `: ${d.reason}` : ""})`, {}, "approver", false);
        return d.decision;
      },
    });
    const launch = session.launch;
    const argv = wrapArgv(this.isolation, launch.argv, { writable: sb.workTree, readOnly: launch.readOnly, network: launch.network, cwd: sb.workTree, env: { ...this.env, ...launch.env } });
    this.events.emit("harness", "engine.started", {
      engine: this.adapter.id,
      version: this.probe?.version ?? null,
      command: launch.argv.map((s) => (s.length > 200 ? s.slice(0, 60) + "…" : s)),
      isolation: this.isolation.kind,
      network: this.isolation.kind === "bubblewrap" ? launch.network : true,
      timeout_s: this.task.timeout_s,
    });
    const outRel = ARTIFACTS.raw_stdout;
    const errRel = ARTIFACTS.raw_stderr;
    let reply: (t: string) => void = () => {};
    const proc = startProc({
      argv,
      cwd: sb.workTree,
      env: launch.env,
      timeoutMs: this.task.timeout_s * 1000,
      graceMs: this.opts.killGraceMs,
      stdin: launch.stdin,
      stdoutFile: this.bundleOk ? this.bundle.partPath(outRel) : undefined,
      stderrFile: this.bundleOk ? this.bundle.partPath(errRel) : undefined,
      onStdoutLine: (line) => session.stdoutLine(line, (t) => reply(t)),
      signal: this.hooks.signal,
    });
    reply = (t) => proc.write(t);
    killProc = proc.kill;
    const r: ProcResult = await proc.done;
    await session.finish(r);
    ac.abort();
    if (this.bundleOk) {
      this.bundle.finalizeStream(outRel, r.writeError);
      this.bundle.finalizeStream(errRel, r.writeError);
    }

    this.backendExit = r.exitCode;
    const killedByUs = r.timedOut || r.cancelled;
    this.events.emit("harness", "engine.finished", {
      exit_code: r.exitCode,
      signal: r.signal,
      duration_ms: Math.round(r.durationMs),
      finish_event_seen: sawFinish,
      process_group_gone: r.groupGone,
    });
    refuseTooLong(r.spawnError, `the engine '${this.adapter.id}'`, argv, launch.env);
    if (r.spawnError) {
      this.raise("provider_unavailable", `the engine could not be started: ${r.spawnError.message}`, { engine: this.adapter.id });
      this.aborted = true;
      return;
    }
    if (r.timedOut) {
      this.aborted = true;
      this.raise("timeout", `the engine ran past timeout_s=${this.task.timeout_s}; its process group was killed${r.groupGone ? "" : " (some processes resisted SIGKILL)"}`, { timeout_s: this.task.timeout_s, process_group_gone: r.groupGone });
    } else if (r.cancelled && !killedForSelfApproval) {
      this.aborted = true;
      this.raise("timeout", "the run was cancelled before the engine finished; its process group was killed", { cancelled: true, process_group_gone: r.groupGone });
    }
    if (selfApproved) this.aborted = true;
    // A provider that could not be reached means the engine never really ran: later verdicts are moot.
    if (providerErrors.length) this.aborted = true;
    if (providerErrors.length) this.raise("provider_unavailable", `the engine reports its model provider unavailable: ${providerErrors[0]}`, { engine: this.adapter.id, messages: providerErrors.slice(0, 5) });
    // A missing finish is explained when we killed the engine or it failed on its own.
    const exitedBad = r.exitCode !== 0;
    const counted = missing.filter((m) => !killedByUs && !killedForSelfApproval && (m.kind === "unreadable" || !exitedBad));
    if (counted.length) this.raise("missing_event", counted.map((m) => m.reason).join("; "), { reasons: counted.map((m) => m.reason).slice(0, 10) });
  }

  // --------------------------------------------------------------------- diff
  private captureDiff(): void {
    const sb = this.sb!;
    try {
      this.endTree = stageAll(sb);
      this.changes = stagedChanges(sb);
      this.patch = stagedPatch(sb);
    } catch (e) {
      this.raise("disallowed_file", `the change cannot be captured (the sandbox was damaged?): ${(e as Error).message}`, { path: null });
      return;
    }
    for (const c of this.changes) this.events.emit("harness", "file.changed", { ...c });
    if (this.changes.length === 0 && !this.aborted) this.raise("no_diff", "the engine changed no file", {});
    const violations = [...this.reported, ...checkChanges(sb.workTree, this.changes, this.task.allowed_files)];
    violations.slice(0, MAX_VIOLATION_BLOCKERS).forEach((v) => this.raise("disallowed_file", `${v.path}: ${v.reason}`, { path: v.path }));
    if (violations.length > MAX_VIOLATION_BLOCKERS) this.raise("disallowed_file", `${violations.length - MAX_VIOLATION_BLOCKERS} more disallowed paths`, { more: violations.length - MAX_VIOLATION_BLOCKERS });
  }

  // -------------------------------------------------------------------- tests
  private async runTests(): Promise<void> {
    const sb = this.sb!;
    const cmd = this.task.test_command!;
    this.events.emit("tests", "tests.started", { command: cmd, timeout_s: this.task.test_timeout_s });
    const rel = ARTIFACTS.test_log;
    const argv = wrapArgv(this.isolation, cmd, { writable: sb.workTree, network: false, cwd: sb.workTree, env: this.env });
    const r = await startProc({
      argv,
      cwd: sb.workTree,
      env: { ...this.env, CTO_RUN_ID: this.runId },
      timeoutMs: this.task.test_timeout_s * 1000,
      graceMs: this.opts.killGraceMs,
      stdin: "ignore",
      stdoutFile: this.bundleOk ? this.bundle.partPath(rel) : undefined,
      mergeStderr: true,
      signal: this.hooks.signal,
    }).done;
    if (this.bundleOk) this.bundle.finalizeStream(rel, r.writeError);
    refuseTooLong(r.spawnError, "the test command", argv, this.env);
    this.tests = { command: cmd, ran: !r.spawnError, exit_code: r.exitCode, timed_out: r.timedOut, duration_ms: r.durationMs };
    if (r.spawnError) {
      this.tests.note = r.spawnError.message;
      this.raise("missing_test_command", `test command '${cmd[0]}' could not be started: ${r.spawnError.message}`, { command: cmd }, "tests");
      return;
    }
    this.events.emit("tests", "tests.finished", { exit_code: r.exitCode, timed_out: r.timedOut, duration_ms: Math.round(r.durationMs), passed: r.exitCode === 0 && !r.timedOut });
    if (r.timedOut) this.raise("tests_failed", `the tests ran past test_timeout_s=${this.task.test_timeout_s} and were killed`, { timed_out: true }, "tests");
    else if (r.cancelled) this.raise("tests_failed", "the run was cancelled while the tests ran", { cancelled: true }, "tests");
    else if (r.exitCode !== 0) this.raise("tests_failed", `the test command exited ${r.exitCode}`, { exit_code: r.exitCode }, "tests");
  }

  // ------------------------------------------------------------------- review
  private async review(): Promise<void> {
    const spec = this.task.reviewer;
    if ("policy" in spec) {
      if (spec.policy === "approve") this.events.emit("reviewer", "review.approved", { by: "policy:approve" });
      else this.raise("reviewer_rejected", "the task's reviewer policy is reject", { by: "policy:reject" }, "reviewer");
      return;
    }
    const sb = this.sb!;
    const argv = wrapArgv(this.isolation, spec.command, { writable: sb.workTree, network: false, cwd: sb.workTree, env: this.env });
    const rel = "raw/reviewer.log";
    const r = await startProc({
      argv,
      cwd: sb.workTree,
      env: { ...this.env, CTO_RUN_ID: this.runId, CTO_CHANGED_FILES: JSON.stringify(this.changes.map((c) => c.path)) },
      timeoutMs: this.task.test_timeout_s * 1000,
      graceMs: this.opts.killGraceMs,
      stdin: this.patch, // the reviewer reads the patch on stdin
      stdoutFile: this.bundleOk ? this.bundle.partPath(rel) : undefined,
      mergeStderr: true,
      signal: this.hooks.signal,
    }).done;
    if (this.bundleOk) this.bundle.finalizeStream(rel, r.writeError);
    // Not refuseTooLong here: CTO_CHANGED_FILES is the engine's doing, so an E2BIG is a rejection (fail closed).
    const by = `command:${spec.command.join(" ")}`;
    if (r.spawnError) this.raise("reviewer_rejected", `the reviewer command could not be started: ${r.spawnError.message}`, { by }, "reviewer");
    else if (r.timedOut) this.raise("reviewer_rejected", `the reviewer ran past ${this.task.test_timeout_s}s and was killed`, { by }, "reviewer");
    else if (r.exitCode !== 0) this.raise("reviewer_rejected", `the reviewer command exited ${r.exitCode}`, { by, exit_code: r.exitCode }, "reviewer");
    else this.events.emit("reviewer", "review.approved", { by });
  }

  // --------------------------------------------------------------- postflight
  private postflight(): void {
    const sb = this.sb!;
    if (!this.endTree) return;
    try {
      const now = stageAll(sb);
      if (now !== this.endTree) {
        const paths = git(["diff-tree", "-r", "--name-only", "--no-renames", this.endTree, now], { cwd: sb.root, gitDir: sb.harnessGit }).split("\n").filter(Boolean);
        this.raise("dirty_end", `the tests or the reviewer changed the tree after the diff was captured (${paths.slice(0, 5).join(", ")}${paths.length > 5 ? ", …" : ""})`, { paths: paths.slice(0, 50) });
      }
    } catch (e) {
      this.raise("dirty_end", `the ending tree cannot be checked: ${(e as Error).message}`, {});
    }
  }

  /** engine_failed: a nonzero exit that nothing else explains. */
  private engineFailedIfUnexplained(): void {
    if (this.backendExit !== null && this.backendExit !== 0 && this.blockers.length === 0) {
      this.raise("engine_failed", `the engine exited ${this.backendExit}`, { exit_code: this.backendExit });
    }
  }

  // ------------------------------------------------------------------- bundle
  private async writeBundle(): Promise<RunResult> {
    const b = this.bundle;
    const runEnd = new Date();
    const report: Report = this.buildReport(runEnd);
    const fail = (rel: string, message: string) => this.raise("artifact_write_failed", message, { path: rel });
    if (!this.bundleOk) {
      Object.assign(report, outcomeOf(this.blockers), { blockers: [...this.blockers] });
      return { report, bundleDir: null, exitCode: report.exit_code, events: this.events.all(), notes: this.notes };
    }
    await this.trace.time("bundle", async () => {
      b.write(ARTIFACTS.patch, this.patch);
      if (!b.written.has(ARTIFACTS.test_log) && !b.failures.some((f) => f.rel === ARTIFACTS.test_log)) {
        b.write(ARTIFACTS.test_log, `tests not run: ${this.tests.note ?? "no test command"}\n`);
      }
      for (const f of b.failures.splice(0)) fail(f.rel, f.message);
    });
    b.write(ARTIFACTS.trace, this.trace.toJsonl());
    for (const f of b.failures.splice(0)) fail(f.rel, f.message);
    // run.finished carries the outcome the report will carry, unless the events file itself fails.
    let outcome = outcomeOf(this.blockers);
    this.events.emit("harness", "run.finished", { ...outcome, blockers: this.blockers.map((x) => x.id) });
    if (!b.write(ARTIFACTS.events, this.events.toJsonl())) for (const f of b.failures.splice(0)) this.blockers.push({ id: "artifact_write_failed", reason: f.message });

    // Digests of everything written so far, then report.md (which states the report core digest).
    const digests: Record<string, string> = {};
    for (const rel of [...b.written].sort()) digests[rel] = await sha256File(b.path(rel));
    outcome = outcomeOf(this.blockers);
    Object.assign(report, outcome, { blockers: [...this.blockers] });
    report.artifacts = artifactsMap([...b.written, ARTIFACTS.report_md]);
    const core = reportCoreSha256(report);
    const md = renderReportMd(report, { tests: this.tests, spans: this.trace.spans, digests, coreSha256: core });
    if (b.write(ARTIFACTS.report_md, md)) digests[ARTIFACTS.report_md] = sha256Hex(md);
    else {
      for (const f of b.failures.splice(0)) this.blockers.push({ id: "artifact_write_failed", reason: f.message });
      Object.assign(report, outcomeOf(this.blockers), { blockers: [...this.blockers] });
      report.artifacts = artifactsMap([...b.written]);
    }
    const manifest = formatManifest(digests);
    report.digests = Object.fromEntries(Object.entries(digests).map(([k, v]) => [k, `sha256:${v}`]));
    report.freshness.manifest_sha256 = sha256Hex(manifest);
    let committed = b.write(ARTIFACTS.manifest, manifest) && b.write(ARTIFACTS.report, serializeReport(report));
    if (committed) {
      try {
        b.commit();
      } catch (e) {
        committed = false;
        b.failures.push({ rel: "<commit>", message: (e as Error).message });
      }
    }
    if (!committed) {
      // No bundle at all rather than one that could claim anything.
      for (const f of b.failures.splice(0)) this.blockers.push({ id: "artifact_write_failed", reason: f.message });
      Object.assign(report, outcomeOf(this.blockers), { blockers: [...this.blockers] });
      b.discard();
      return { report, bundleDir: null, exitCode: report.exit_code, events: this.events.all(), notes: this.notes };
    }
    return { report, bundleDir: b.finalDir, exitCode: report.exit_code, events: this.events.all(), notes: this.notes };
  }

  private buildReport(runEnd: Date): Report {
    const outcome = outcomeOf(this.blockers);
    return {
      schema: REPORT_SCHEMA,
      run_id: this.runId,
      engine: { id: this.adapter.id, version: this.probe?.version ?? null, gated: this.adapter.gated },
      task: { id: this.task.id, path: this.task.file, sha256: this.task.sha256, repo: this.source?.path ?? this.task.repo },
      run_start: this.runStart.toISOString(),
      run_end: runEnd.toISOString(),
      backend_exit_code: this.backendExit,
      changed_files: this.changes,
      blockers: [...this.blockers],
      status: outcome.status,
      exit_code: outcome.exit_code,
      isolation: this.isolation.kind,
      artifacts: {},
      digests: {},
      freshness: {
        repo_kind: this.source?.kind ?? "plain",
        repo_head: this.sb?.base ?? this.source?.head ?? null,
        base_tree: this.sb?.baseTree ?? this.source?.tree ?? null,
        end_tree: this.endTree,
        harness_version: HARNESS_VERSION,
        generated_at: new Date().toISOString(),
        manifest_sha256: "",
      },
    };
  }
}

function artifactsMap(written: string[]): Record<string, string> {
  const out: Record<string, string> = { report: ARTIFACTS.report, manifest: ARTIFACTS.manifest };
  const byPath = new Map<string, string>(Object.entries(ARTIFACTS).map(([k, v]) => [v, k]));
  for (const rel of written) {
    const name = byPath.get(rel) ?? (rel.startsWith("raw/") ? `raw_${rel.slice(4).replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9]+/g, "_")}` : rel);
    out[name] = rel;
  }
  return out;
}

