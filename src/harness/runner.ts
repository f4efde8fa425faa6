// The one runner path: the CLI, the VS Code tasks and palette, and the tests all
// call runTask(). Phases: preflight → sandbox (+ version probe inside it) →
// engine → diff → tests → review → postflight → bundle. Every check that cannot
// complete is a blocker (fail closed); blockers are listed in the contract's
// table order, and the first decides the exit code. Nothing runs on the host
// with the user's environment: every child is wrapped by isolation.ts and gets
// an allow-listed environment (childenv.ts). The bundle is written only after
// every child of the run is gone.
import { randomBytes } from "node:crypto";
import { accessSync, constants, lstatSync, mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { decideSafely, PolicyApprover, type Approver, type AskCallback } from "./approver";
import { bundleAttestation, bundleSigner } from "./attest";
import { faultHits, faultsFromEnv, type Faults } from "./atomic";
import { BundleWriter, formatManifest, renderReportMd, reportCoreSha256, serializeReport, TMP_PREFIX, type TestSummary } from "./bundle";
import { homeEnv, pick } from "./childenv";
import { ARTIFACTS, blockerRow, outcomeOf, REPORT_SCHEMA, sortBlockers, type Blocker, type BlockerId, type ChangedFile, type CtoEvent, type EventSource, type Report, type SandboxRepoRef } from "./contract";
import { checkChanges, reportedWriteEscapes, type Violation } from "./diffcheck";
import { sha256File, sha256Hex } from "./digest";
import { getEngine, ENGINE_IDS } from "./engines/registry";
import type { EngineAdapter, EngineSink } from "./engines/types";
import { EventLog } from "./events";
import { checkEligibility } from "./gating";
import { installationOf } from "./installation";
import { planIsolation, SANDBOX_GID, SANDBOX_UID, wrapCommand, type IsolationPlan, type IsolationRequest, type SandboxView, type WrappedCommand } from "./isolation";
import { collectLeftovers, killOrphans, ownerTag } from "./leftovers";
import { MAX_TIMER_MS, startProc, whichSync, type ProcResult } from "./proc";
import { emptyFolder } from "./rmtree";
import { captureTree, chownTree, createSandbox, inspectSource, treeChanges, treePatch, type Sandbox, type SourceInfo } from "./sandbox";
import { checkEngineOptions } from "./engineOptions";
import { checkTaskRepo } from "./repocheck";
import { applySandboxRepo, SandboxRepoError } from "./sandboxRepo";
import { defaultRunsDir } from "./runsdir";
import { loadTask, type Task } from "./task";
import { Trace } from "./trace";
import type { TreeProblem } from "./tree";
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
  /** Folder with the gate records; default: the CTO child workspace of `cwd` (never the task's folder). */
  recordsDir?: string;
  /** "auto" (default; "required" for gated engines), "required" or "none". */
  isolation?: IsolationRequest;
  /** The caller's environment (default process.env). Children get only parts of it (childenv.ts). */
  env?: NodeJS.ProcessEnv;
  /** Names of caller variables passed to the engine as well (the caller's choice, never the task's). */
  passEnv?: string[];
  /** Host paths made visible read-only inside the isolation (the caller's choice, never the task's). */
  expose?: string[];
  /** Fault injection (default: from env CTO_FAULT_ARTIFACT_WRITE). */
  faults?: Faults;
  /** Keep the sandbox folder after the run (debugging). */
  keepSandbox?: boolean;
  /** Where sandboxes are created (default os.tmpdir()). */
  tmpRoot?: string;
  /** SIGTERM→SIGKILL grace for the engine and tests (ms; default 500). */
  killGraceMs?: number;
  /**
   * A throwaway repo made from the task's repo by `cto sandbox-repo create` (sandboxRepo.ts): the
   * run uses it instead of the task's repo, and the report names it (freshness.sandbox_repo).
   */
  sandboxRepo?: string;
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
/** Reasons of one kind kept in a blocker (the rest are counted). */
const MAX_REASONS = 10;
/** Longest blocker reason kept (a hostile engine writes long messages). */
const MAX_REASON_CHARS = 2000;
/** Engine events kept in the normalized log (the rest are counted in one event). */
const MAX_ENGINE_EVENTS = 20_000;
/** An extra raw log an adapter saves (Case's event log). */
const MAX_SAVED_RAW = 16 * 1024 * 1024;
const SANDBOX_PREFIX = "cto-run-";
const VERSION_TIMEOUT_MS = 15_000;

export async function runTask(opts: RunOptions, hooks: RunHooks = {}): Promise<RunResult> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const adapter = getEngine(opts.engine);
  if (!adapter) throw new RunUsageError(`unknown engine '${opts.engine}' (known: ${ENGINE_IDS.join(", ")})`);
  // Everything a task file can get wrong is a usage error (TaskError, located) before anything runs.
  let task = loadTask(resolve(cwd, opts.taskFile));
  checkEngineOptions(task, adapter);
  const runs = opts.outDir !== undefined ? { dir: resolve(cwd, opts.outDir), note: undefined } : defaultRunsDir({ cwd, repo: task.repo, taskFile: task.file, env });
  let sandboxRef: SandboxRepoRef | undefined;
  if (opts.sandboxRepo !== undefined) {
    try {
      ({ task, ref: sandboxRef } = await applySandboxRepo(task, resolve(cwd, opts.sandboxRepo), { env, runsDir: runs.dir }));
    } catch (e) {
      if (e instanceof SandboxRepoError) throw new RunUsageError(`--sandbox-repo: ${e.message}`);
      throw e;
    }
  }
  checkTaskRepo(task, { runsDir: runs.dir, sandboxRoot: opts.tmpRoot, env });
  const run = new Run({ ...opts, outDir: runs.dir }, hooks, adapter, task, cwd, env, sandboxRef);
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

const clip = (s: string) => (s.length > MAX_REASON_CHARS ? `${s.slice(0, MAX_REASON_CHARS)}… (${s.length - MAX_REASON_CHARS} more characters cut)` : s);
const versions = new Map<string, string | null>();

class Run {
  readonly runId = newRunId();
  readonly events: EventLog;
  readonly trace = new Trace();
  readonly blockers: Blocker[] = [];
  readonly notes: string[] = [];
  readonly faults: Faults;
  readonly runsDir: string;
  runStart = new Date();
  version: string | null = null;
  executable: string | undefined;
  command: string[] = [];
  isolation: IsolationPlan = { kind: "none", dropRoot: false };
  source: SourceInfo | undefined;
  sb: Sandbox | undefined;
  changes: ChangedFile[] = [];
  endTree: string | null = null;
  patch: Buffer = Buffer.alloc(0);
  backendExit: number | null = null;
  /** The engine did not run to its own end (timeout, cancel, self-approval, provider failure, crash): later verdicts are moot. */
  aborted = false;
  tests: TestSummary;
  readonly reported: Violation[] = [];
  /** Files the engine said it wrote (checked at the end: each must be in the work tree). */
  readonly reportedWrites = new Map<string, string>();
  /** Bundle artifacts kept in memory until every child is gone. */
  readonly raw = new Map<string, Buffer>();
  readonly cut: Record<string, number> = {};
  homeSeeded: string[] = [];
  private approvals = 0;
  private engineEvents = 0;
  private engineEventsDropped = 0;

  constructor(
    readonly opts: RunOptions,
    readonly hooks: RunHooks,
    readonly adapter: EngineAdapter,
    readonly task: Task,
    readonly cwd: string,
    readonly env: NodeJS.ProcessEnv,
    readonly sandboxRef?: SandboxRepoRef,
  ) {
    this.events = new EventLog(this.runId, hooks.onEvent);
    this.faults = opts.faults ?? faultsFromEnv(env);
    this.runsDir = resolve(cwd, opts.outDir ?? ".cto/runs");
    this.tests = { command: task.test_command, ran: false, exit_code: null, timed_out: false, duration_ms: 0 };
  }

  /** Emits the row's characteristic event (unless already emitted) and `blocker.raised`. */
  raise(id: BlockerId, reason: string, data: Record<string, unknown> = {}, source: EventSource = "harness", emitCharacteristic = true): void {
    reason = clip(reason);
    if (emitCharacteristic) this.events.emit(source, blockerRow(id).event, { ...data, reason });
    this.blockers.push({ id, reason });
    this.events.emit("harness", "blocker.raised", { id, reason });
  }

  /** "<owner tag>/<run id>/<phase>": a later run recognizes orphans of a dead harness by the tag. */
  marker(phase: string): string {
    return `${ownerTag()}/${this.runId}/${phase}`;
  }

  has(...ids: BlockerId[]): boolean {
    return this.blockers.some((b) => ids.includes(b.id));
  }

  async execute(): Promise<RunResult> {
    try {
      this.events.emit("harness", "run.started", { engine: this.adapter.id, task_id: this.task.id, task_sha256: this.task.sha256, harness_version: HARNESS_VERSION });
      this.collectLeftovers();
      await this.trace.time("preflight", () => this.preflight());
      if (this.blockers.length === 0) {
        await this.trace.time("sandbox", () => this.prepareSandbox());
        if (this.blockers.length === 0) await this.trace.time("engine", () => this.runEngine());
        else {
          // It never started (its probe failed, or the sandbox could not be made): nothing it did
          // can be judged, so no diff-based row (no_diff) may stand beside the reason.
          this.aborted = true;
          this.trace.skip("engine", "the engine cannot start inside the isolation");
        }
        await this.trace.time("diff", () => this.captureDiff());
        // Tests run only on a change that passed the diff checks, after an engine that ran to its end.
        const why = this.aborted
          ? "the engine did not run to its own end (timeout, cancel, self-approval, provider failure or crash)"
          : this.has("no_diff", "disallowed_file")
            ? "the change did not pass the diff checks"
            : undefined;
        if (why) {
          for (const p of ["tests", "review"]) this.trace.skip(p, why);
          this.tests.note = why;
          this.events.emit("harness", "tests.skipped", { reason: why });
        } else {
          await this.trace.time("tests", () => this.runTests());
          await this.trace.time("review", () => this.review());
        }
        await this.trace.time("postflight", () => this.postflight());
      } else {
        for (const p of ["sandbox", "engine", "diff", "tests", "review", "postflight"]) this.trace.skip(p, "refused at preflight");
        this.tests.note = "refused at preflight";
      }
      return await this.writeBundle();
    } finally {
      if (this.sb && !this.opts.keepSandbox) {
        try {
          this.sb.dispose();
        } catch (e) {
          // The bundle is written; a sandbox that cannot be removed is the next run's leftover, not a crash.
          this.notes.push(`the sandbox ${this.sb.root} could not be removed: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Sandboxes and half-written bundles of harness processes that are gone (a `kill -9`). */
  private collectLeftovers(): void {
    const killed = killOrphans();
    const removed = [...collectLeftovers(this.opts.tmpRoot ?? tmpdir(), SANDBOX_PREFIX), ...collectLeftovers(this.runsDir, TMP_PREFIX)];
    if (removed.length || killed) this.events.emit("harness", "leftovers.collected", { folders: removed.slice(0, 20), count: removed.length, orphans_killed: killed });
  }

  // ---------------------------------------------------------------- preflight
  private preflight(): void {
    const a = this.adapter;
    const request: IsolationRequest = this.opts.isolation ?? (a.gated ? "required" : "auto");
    this.isolation = planIsolation(request, this.env);
    this.events.emit("harness", "preflight.isolation", { requested: request, kind: this.isolation.kind, unprivileged: this.isolation.dropRoot ? SANDBOX_UID : null, ...(this.isolation.reason ? { reason: this.isolation.reason } : {}) });
    // A gated engine runs only isolated, whatever was asked: its evidence must be able to count.
    if ((request === "required" || a.gated) && this.isolation.kind === "none") {
      // Not eligible to run under the conditions at hand — blocked, never quietly weakened.
      this.raise("not_eligible", `isolation is required${a.gated ? ` for the gated engine '${a.id}'` : ""} but unavailable: ${this.isolation.reason}`, { requirement: "isolation" });
    }

    const enabled = (this.opts.enableGated ?? []).includes(a.id);
    if (a.gated && !enabled) {
      // Refused before anything about the engine is even looked at.
      this.raise("engine_not_enabled", `'${a.id}' is a gated engine; enable it explicitly (--enable-gated ${a.id}, or the cto.harness.enabledGatedEngines setting)`, { engine: a.id });
    } else {
      // Located, never run: the version is probed inside the isolation, once the sandbox exists.
      this.command = a.command(this.task, this.env);
      const exe = whichSync(this.command[0]!, this.cwd, this.env);
      this.executable = exe ? realpathSync(exe) : undefined;
      // What is probed, admitted and launched is this one program, by the path found here: the
      // engine's own (allow-listed) env and PATH must not make the launch pick another.
      if (exe) this.command = [exe, ...this.command.slice(1)];
      if (!this.executable) this.raise("provider_unavailable", `'${this.command[0]}' not found${this.command[0]!.includes("/") ? "" : " on PATH"}`, { engine: a.id });
      else if (a.gated) {
        const elig = checkEligibility(a.id, { program: this.executable, args: this.command.slice(1) }, {
          cwd: this.cwd,
          recordsDir: this.opts.recordsDir ? resolve(this.cwd, this.opts.recordsDir) : undefined,
          exclude: [dirname(this.task.file), this.task.repo],
        });
        if (!elig.ok) this.raise("not_eligible", elig.reasons.join("; "), { engine: a.id, workspace: elig.workspace ?? null });
        else this.events.emit("harness", "eligibility.granted", { engine: a.id, admission: elig.admission, decision: elig.decision, workspace: elig.workspace });
      }
    }

    const tc = this.task.test_command;
    if (!tc || tc.length === 0) this.raise("missing_test_command", "the task has no test_command", {});
    else if (!whichSync(tc[0]!, this.task.repo, this.env)) this.raise("missing_test_command", `test command '${tc[0]}' is not found (PATH or the repo)`, { command: tc });

    // The evidence folder must be writable now: finding out after the engine ran wastes the run.
    try {
      mkdirSync(this.runsDir, { recursive: true });
      accessSync(this.runsDir, constants.W_OK);
      if (faultHits(this.faults, "<runs>")) throw new Error("injected fault (CTO_FAULT_ARTIFACT_WRITE=<runs>)");
    } catch (e) {
      this.raise("artifact_write_failed", `the evidence folder ${this.runsDir} is not writable: ${(e as Error).message}`, { path: this.runsDir });
    }

    this.source = inspectSource(this.task.repo);
    if (this.source.dirty) this.raise("dirty_start", this.source.dirty, { repo: this.source.path });
  }

  // ------------------------------------------------------------------ sandbox
  private async prepareSandbox(): Promise<void> {
    const owner = this.isolation.dropRoot ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : undefined;
    let tmpRoot = this.opts.tmpRoot ?? tmpdir();
    // Without bubblewrap's binds an unprivileged child must be able to walk to its sandbox.
    if (owner && this.isolation.kind === "none" && !traversable(tmpRoot)) {
      this.notes.push(`${tmpRoot} cannot be traversed by the unprivileged sandbox user; the sandbox is made in /tmp instead`);
      tmpRoot = "/tmp";
    }
    this.sb = createSandbox(this.source!, { statePaths: this.adapter.statePaths, tmpRoot, owner, prefix: `${SANDBOX_PREFIX}${ownerTag()}-` });
    this.events.emit("harness", "sandbox.created", { kind: this.source!.kind, base: this.sb.base, base_tree: this.sb.baseTree });
    await this.probeVersion();
  }

  /** Never shown: the user's home, the evidence, the source repo (a program must not expose them). */
  private forbidden(): string[] {
    return [this.env.HOME ?? "", homedir(), this.runsDir, this.task.repo, this.sb?.root ?? ""].filter(Boolean);
  }

  private installation(exe: string | undefined): string[] {
    if (!exe) return [];
    const inst = installationOf(exe, this.env, this.forbidden());
    for (const r of inst.refused) this.notes.push(`${r.path} was not made visible inside the sandbox: ${r.reason}`);
    return inst.paths;
  }

  private view(o: { network: boolean; readOnly: string[]; home: string }): SandboxView {
    const sb = this.sb!;
    return { writable: [sb.workTree, o.home, sb.tmp], readOnly: [...o.readOnly, ...(this.opts.expose ?? []).map((p) => resolve(this.cwd, p))], network: o.network, cwd: sb.workTree };
  }

  /**
   * Why a program did not start, and where: as root without bubblewrap it runs as the unprivileged
   * uid, which cannot reach a CLI installed under a private folder (/root, a 0700 temp folder);
   * bubblewrap exposes the installation itself, so there it starts.
   */
  private cannotStart(e: Error): string {
    const where = this.isolation.kind === "none" ? `without isolation${this.isolation.dropRoot ? ` as the unprivileged uid ${SANDBOX_UID}` : ""}` : `inside the isolation (${this.isolation.kind})`;
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === "EACCES" && this.isolation.kind === "none" && this.isolation.dropRoot ? `: uid ${SANDBOX_UID} may not read or run it where it is installed; install it where every user can, or install bubblewrap` : "";
    return `could not be started ${where}: ${e.message}${hint}`;
  }

  /** `--version` inside the same isolation as the run, with the engine's environment; cached per binary. */
  private async probeVersion(): Promise<void> {
    const a = this.adapter;
    if (a.fixedVersion) return void (this.version = a.fixedVersion);
    if (!a.versionArgs || !this.executable) return;
    const st = statSync(this.executable);
    const key = `${this.executable}:${st.size}:${st.mtimeMs}:${JSON.stringify(this.command)}`;
    if (versions.has(key)) return void (this.version = versions.get(key)!);
    const sb = this.sb!;
    const wrapped = wrapCommand(this.isolation, [...this.command, ...a.versionArgs], this.view({ network: false, readOnly: this.installation(this.executable), home: sb.testHome }));
    const env = { ...homeEnv(this.env, sb.testHome, sb.tmp), ...pick(this.env, [...(a.passEnv ?? []), ...(this.opts.passEnv ?? [])]) };
    const r = await startProc({ argv: wrapped.argv, uid: wrapped.uid, gid: wrapped.gid, cwd: sb.workTree, env, timeoutMs: VERSION_TIMEOUT_MS, marker: this.marker("probe"), limits: { head: 64 * 1024, tail: 0, line: 4096 } }).done;
    if (r.spawnError) {
      this.raise("provider_unavailable", `'${this.command[0]}' ${this.cannotStart(r.spawnError)}`, { engine: a.id });
      return;
    }
    // Some CLIs print their version on stderr (pi).
    const first = (b: Buffer) => b.toString("utf8").split("\n").map((l) => l.trim()).find(Boolean);
    const v = r.exitCode === 0 ? first(r.stdout.data) ?? first(r.stderr.data) : undefined;
    this.version = v ? v.slice(0, 200) : null;
    if (r.exitCode !== 0) this.notes.push(`'${[...this.command, ...a.versionArgs].join(" ")}' exited ${r.exitCode} inside the isolation; version unknown`);
    versions.set(key, this.version);
  }

  // ------------------------------------------------------------------- engine
  private async runEngine(): Promise<void> {
    const sb = this.sb!;
    const missing: { reason: string; kind: "unreadable" | "incomplete" }[] = [];
    const providerErrors: string[] = [];
    /** Provider errors the engine may still recover from: only named if the watchdog stops it. */
    const providerTroubles: string[] = [];
    /** The engine's own stream says the run failed (exit 0 notwithstanding). */
    const streamFailures: string[] = [];
    let sawFinish = false;
    let selfApproved = false;
    let killProc: ((why: string) => void) | undefined;
    let killedForSelfApproval = false;
    let stallTimer: NodeJS.Timeout | undefined;
    let troubleTimer: NodeJS.Timeout | undefined;
    let waitedMs = 0;
    const stallMs = Math.min(MAX_TIMER_MS, (this.task.progress_timeout_s ?? 60) * 1000);
    // Once the engine itself says it cannot reach its provider, half the wait is enough: it has
    // told us why it makes no progress (codex with no network retries forever).
    const troubleMs = Math.max(1, Math.floor(stallMs / 2));
    const stall = (ms: number) => () => {
      waitedMs = ms;
      killProc?.("stalled");
    };
    const armStall = () => {
      if (!this.adapter.watchProgress) return;
      if (stallTimer) clearTimeout(stallTimer);
      if (troubleTimer) clearTimeout(troubleTimer);
      troubleTimer = undefined;
      stallTimer = setTimeout(stall(stallMs), stallMs);
    };
    const armTrouble = () => {
      if (this.adapter.watchProgress && !troubleTimer) troubleTimer = setTimeout(stall(troubleMs), troubleMs);
    };

    const sink: EngineSink = {
      event: (type, data = {}) => {
        if (++this.engineEvents > MAX_ENGINE_EVENTS) return void this.engineEventsDropped++;
        this.events.emit("engine", type, data);
      },
      fileTouched: (path, action, ok = true) => {
        const why = reportedWriteEscapes(sb.workTree, path);
        if (why) {
          if (this.reported.length < 1000) this.reported.push({ path, reason: `engine reported a ${why}${ok ? "" : " (it says the write failed)"}` });
        } else if (ok && this.reportedWrites.size < 10_000) this.reportedWrites.set(path, action);
      },
      selfApproval: (what, data = {}) => {
        if (!selfApproved) this.raise("self_approval", `the engine's own stream carries an approval (${clip(what)}); approvals come only from the approver`, { ...data, claimed: clip(what) }, "engine");
        selfApproved = true;
        // An engine that approves itself is not trusted to go on.
        if (killProc && !killedForSelfApproval) {
          killedForSelfApproval = true;
          killProc("self_approval");
        }
      },
      missing: (reason, kind) => {
        if (missing.length < 1000) missing.push({ reason: clip(reason), kind });
        else missing.push({ reason: "", kind });
      },
      providerError: (message) => {
        if (providerErrors.length < 100) providerErrors.push(clip(message));
      },
      providerTrouble: (message) => {
        providerTroubles.push(clip(message));
        if (providerTroubles.length > 5) providerTroubles.shift();
        armTrouble();
      },
      engineFailed: (reason) => {
        if (streamFailures.length < 10) streamFailures.push(clip(reason));
      },
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
      progress: () => armStall(),
    };
    const approver = this.hooks.approver ?? new PolicyApprover(this.task.approvals.policy, this.hooks.ask);
    const ac = new AbortController();
    this.hooks.signal?.addEventListener("abort", () => ac.abort(), { once: true });
    const baseEnv = { ...homeEnv(this.env, sb.home, sb.tmp), ...pick(this.env, [...(this.adapter.passEnv ?? []), ...(this.opts.passEnv ?? [])]) };
    const session = this.adapter.start({
      runId: this.runId,
      task: this.task,
      workTree: sb.workTree,
      inputs: sb.inputs,
      home: sb.home,
      userEnv: this.env,
      command: this.command,
      options: this.task.engine_options,
      env: baseEnv,
      sink,
      saveRaw: (name, data) => this.keepRaw(`raw/${name.replace(/[^A-Za-z0-9._-]/g, "_")}`, Buffer.isBuffer(data) ? data : Buffer.from(data), MAX_SAVED_RAW),
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
    // What the adapter seeded into the home becomes the sandbox user's; the bundle names it (never its content).
    this.homeSeeded = listNames(sb.home);
    for (const h of session.home ?? []) {
      this.events.emit("harness", "engine.home", {
        variable: h.variable,
        seeded_from: h.from,
        copied: h.copied.slice(0, 200),
        skipped: h.skipped.slice(0, 50),
        ...(h.written ? { written: h.written } : {}),
        ...(h.credentials_from_env?.length ? { credentials_from_env: h.credentials_from_env } : {}),
      });
    }
    if (sb.owner) chownTree(sb.home, sb.owner);
    const env = { ...baseEnv, ...launch.env };
    const wrapped = wrapCommand(this.isolation, launch.argv, this.view({ network: launch.network, readOnly: [...this.installation(this.executable), sb.inputs, ...(launch.readOnly ?? [])], home: sb.home }));
    this.events.emit("harness", "engine.started", {
      engine: this.adapter.id,
      version: this.version,
      command: launch.argv.map((s) => (s.length > 200 ? s.slice(0, 60) + "…" : s)),
      isolation: this.isolation.kind,
      network: this.isolation.kind === "bubblewrap" ? launch.network : true,
      unprivileged: this.isolation.dropRoot,
      timeout_s: this.task.timeout_s,
      home_seeded: this.homeSeeded,
    });
    let reply: (t: string) => void = () => {};
    const proc = startProc({
      argv: wrapped.argv,
      uid: wrapped.uid,
      gid: wrapped.gid,
      cwd: sb.workTree,
      env,
      timeoutMs: this.task.timeout_s * 1000,
      graceMs: this.opts.killGraceMs,
      stdin: launch.stdin === "pipe" ? "pipe" : "ignore",
      marker: this.marker("engine"),
      onStdoutLine: (line) => session.stdoutLine(line, (t) => reply(t)),
      signal: this.hooks.signal,
    });
    reply = (t) => proc.write(t);
    killProc = proc.kill;
    armStall();
    const r: ProcResult = await proc.done;
    if (stallTimer) clearTimeout(stallTimer);
    if (troubleTimer) clearTimeout(troubleTimer);
    await session.finish(r);
    ac.abort();
    this.keepRaw(ARTIFACTS.raw_stdout, r.stdout.data, Infinity, r.stdout.cutBytes);
    this.keepRaw(ARTIFACTS.raw_stderr, r.stderr.data, Infinity, r.stderr.cutBytes);
    if (this.engineEventsDropped) this.events.emit("harness", "engine.events_cut", { kept: MAX_ENGINE_EVENTS, cut: this.engineEventsDropped });

    this.backendExit = r.exitCode;
    const killedByUs = r.timedOut || r.cancelled || r.killedFor !== undefined;
    this.events.emit("harness", "engine.finished", {
      exit_code: r.exitCode,
      signal: r.signal,
      duration_ms: Math.round(r.durationMs),
      finish_event_seen: sawFinish,
      process_group_gone: r.groupGone,
      ...(r.killedFor ? { stopped_for: r.killedFor } : {}),
    });
    refuseTooLong(r.spawnError, `the engine '${this.adapter.id}'`, wrapped.argv, env);
    if (r.spawnError) {
      this.raise("provider_unavailable", `the engine ${this.cannotStart(r.spawnError)}`, { engine: this.adapter.id });
      this.aborted = true;
      return;
    }
    if (r.timedOut) {
      this.aborted = true;
      this.raise("timeout", `the engine ran past timeout_s=${this.task.timeout_s}; its process group was killed${r.groupGone ? "" : " (some processes resisted SIGKILL)"}`, { timeout_s: this.task.timeout_s, process_group_gone: r.groupGone });
    } else if (r.cancelled) {
      this.aborted = true;
      this.raise("timeout", "the run was cancelled before the engine finished; its process group was killed", { cancelled: true, process_group_gone: r.groupGone });
    }
    if (selfApproved) this.aborted = true;
    if (r.killedFor === "stalled") {
      this.aborted = true;
      const lastError = providerErrors[providerErrors.length - 1] ?? providerTroubles[providerTroubles.length - 1];
      const last = lastError ? `; last provider error: ${lastError}` : "";
      const waited = waitedMs === troubleMs ? `${troubleMs / 1000} s after it reported trouble reaching its provider (half of progress_timeout_s=${stallMs / 1000})` : `progress_timeout_s=${stallMs / 1000}`;
      this.raise("provider_unavailable", `no progress from the engine for ${waited}; its process group was stopped${last}`, { engine: this.adapter.id, stalled_s: waitedMs / 1000, messages: [...providerErrors, ...providerTroubles].slice(-5) });
    } else if (providerErrors.length) {
      // A provider that could not be reached means the engine never really ran: later verdicts are moot.
      this.aborted = true;
      this.raise("provider_unavailable", `the engine reports its model provider unavailable: ${providerErrors[0]}`, { engine: this.adapter.id, messages: providerErrors.slice(0, 5) });
    }
    // A missing finish is explained when we stopped the engine or it failed on its own.
    const exitedBad = r.exitCode !== 0;
    const counted = missing.filter((m) => !killedByUs && !killedForSelfApproval && (m.kind === "unreadable" || !exitedBad));
    if (counted.length) {
      const shown = counted.slice(0, MAX_REASONS).map((m) => m.reason);
      const more = counted.length > MAX_REASONS ? `; and ${counted.length - MAX_REASONS} more` : "";
      this.raise("missing_event", shown.join("; ") + more, { reasons: shown, count: counted.length });
    }
    // engine_failed: a nonzero exit or a crash that nothing above explains. Its diff-based rows and tests are moot.
    if (streamFailures.length && !killedByUs && !this.has("provider_unavailable", "self_approval", "timeout")) {
      // An engine that exits 0 on failure (Case) says so in its stream.
      this.aborted = true;
      this.raise("engine_failed", `${streamFailures[0]}${r.exitCode === 0 ? " (it exited 0)" : ` (it exited ${r.exitCode})`}`, { exit_code: r.exitCode, from_stream: true });
    } else if (exitedBad && !killedByUs && !this.has("provider_unavailable", "self_approval", "timeout")) {
      this.aborted = true;
      this.raise("engine_failed", `the engine exited ${r.exitCode}${r.signal ? ` (${r.signal})` : ""}${sawFinish ? "" : " without its finish event"}`, { exit_code: r.exitCode, signal: r.signal });
    }
  }

  private keepRaw(rel: string, data: Buffer, max: number, alreadyCut = 0): void {
    let d = data;
    let cut = alreadyCut;
    if (d.length > max) {
      cut += d.length - max;
      d = Buffer.concat([d.subarray(0, max), Buffer.from(`\n[cto: ${d.length - max} bytes cut here]\n`)]);
    }
    this.raw.set(rel, d);
    if (cut > 0) this.cut[rel] = cut;
  }

  // --------------------------------------------------------------------- diff
  private captureDiff(): void {
    const sb = this.sb!;
    let problems: TreeProblem[] = [];
    try {
      const cap = captureTree(sb);
      this.endTree = cap.tree;
      problems = cap.problems;
      this.changes = treeChanges(sb, sb.baseTree, this.endTree);
      this.patch = treePatch(sb, sb.baseTree, this.endTree);
    } catch (e) {
      this.raise("disallowed_file", `the change cannot be captured: ${(e as Error).message}`, { path: null });
      return;
    }
    for (const c of this.changes.slice(0, 1000)) this.events.emit("harness", "file.changed", { ...c });
    if (this.changes.length > 1000) this.events.emit("harness", "file.changed_cut", { shown: 1000, total: this.changes.length });
    if (this.changes.length === 0 && problems.length === 0 && !this.aborted) this.raise("no_diff", "the engine changed no file", {});
    const violations = [
      ...this.reported,
      ...problems.map((p) => ({ path: p.path, reason: p.reason })),
      ...checkChanges(sb.workTree, this.changes, this.task.allowed_files),
      ...this.vanishedWrites(),
    ];
    violations.slice(0, MAX_VIOLATION_BLOCKERS).forEach((v) => this.raise("disallowed_file", `${v.path}: ${v.reason}`, { path: v.path }));
    if (violations.length > MAX_VIOLATION_BLOCKERS) this.raise("disallowed_file", `${violations.length - MAX_VIOLATION_BLOCKERS} more disallowed paths`, { more: violations.length - MAX_VIOLATION_BLOCKERS });
  }

  /**
   * A write the engine reported that left no file in the work tree (and was not deleted later):
   * it went somewhere else, e.g. through a symlinked folder removed right after.
   */
  private vanishedWrites(): Violation[] {
    const sb = this.sb!;
    const out: Violation[] = [];
    for (const [path, action] of this.reportedWrites) {
      if (!/^(write|add|update|edit|create)$/i.test(action)) continue;
      const abs = isAbsolute(path) ? path : resolve(sb.workTree, path);
      let ok = false;
      try {
        ok = lstatSync(abs).isFile() && realpathSync(abs) === abs;
      } catch {
        ok = false;
      }
      const deletedLater = [...this.reportedWrites.entries()].some(([p, a]) => p === path && /delete/i.test(a));
      if (!ok && !deletedLater) out.push({ path, reason: "the engine reported writing it, but no such file is in the sandbox (written through a link that was removed?)" });
    }
    return out;
  }

  // -------------------------------------------------------------------- tests
  /** The tests and the reviewer: no network, an empty home, the allow-listed environment only. */
  private checkerSetup(cmd: string[]): { wrapped: WrappedCommand; env: NodeJS.ProcessEnv } {
    const sb = this.sb!;
    // Whatever the engine left in the shared tmp is not part of the tree the tests must run on.
    emptyFolder(sb.tmp);
    const exe = whichSync(cmd[0]!, sb.workTree, this.env);
    const inside = exe && (exe === sb.workTree || exe.startsWith(sb.workTree + "/"));
    const wrapped = wrapCommand(this.isolation, cmd, this.view({ network: false, readOnly: inside ? [] : this.installation(exe), home: sb.testHome }));
    return { wrapped, env: { ...homeEnv(this.env, sb.testHome, sb.tmp), CTO_RUN_ID: this.runId } };
  }

  private async runTests(): Promise<void> {
    const sb = this.sb!;
    const cmd = this.task.test_command!;
    this.events.emit("tests", "tests.started", { command: cmd, timeout_s: this.task.test_timeout_s });
    const { wrapped, env } = this.checkerSetup(cmd);
    const r = await startProc({
      argv: wrapped.argv,
      uid: wrapped.uid,
      gid: wrapped.gid,
      cwd: sb.workTree,
      env,
      timeoutMs: this.task.test_timeout_s * 1000,
      graceMs: this.opts.killGraceMs,
      stdin: "ignore",
      mergeStderr: true,
      marker: this.marker("tests"),
      signal: this.hooks.signal,
    }).done;
    this.keepRaw(ARTIFACTS.test_log, r.stdout.data, Infinity, r.stdout.cutBytes);
    refuseTooLong(r.spawnError, "the test command", wrapped.argv, env);
    this.tests = { command: cmd, ran: !r.spawnError, exit_code: r.exitCode, timed_out: r.timedOut, duration_ms: r.durationMs };
    if (r.spawnError) {
      this.tests.note = r.spawnError.message;
      this.raise("missing_test_command", `test command '${cmd[0]}' ${this.cannotStart(r.spawnError)}`, { command: cmd }, "tests");
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
    const { wrapped, env } = this.checkerSetup(spec.command);
    const r = await startProc({
      argv: wrapped.argv,
      uid: wrapped.uid,
      gid: wrapped.gid,
      cwd: sb.workTree,
      env: { ...env, ...this.changedFilesEnv() },
      timeoutMs: this.task.test_timeout_s * 1000,
      graceMs: this.opts.killGraceMs,
      stdin: this.patch, // the reviewer reads the patch on stdin
      mergeStderr: true,
      marker: this.marker("review"),
      signal: this.hooks.signal,
    }).done;
    this.keepRaw("raw/reviewer.log", r.stdout.data, Infinity, r.stdout.cutBytes);
    // Not refuseTooLong here: CTO_CHANGED_FILES is the engine's doing, so an E2BIG is a rejection (fail closed).
    const by = `command:${spec.command.join(" ")}`;
    if (r.spawnError) this.raise("reviewer_rejected", `the reviewer command could not be started: ${r.spawnError.message}`, { by }, "reviewer");
    else if (r.timedOut) this.raise("reviewer_rejected", `the reviewer ran past ${this.task.test_timeout_s}s and was killed`, { by }, "reviewer");
    else if (r.exitCode !== 0) this.raise("reviewer_rejected", `the reviewer command exited ${r.exitCode}`, { by, exit_code: r.exitCode }, "reviewer");
    else this.events.emit("reviewer", "review.approved", { by });
  }

  /**
   * The changed paths for a reviewer command: all of them in a file (CTO_CHANGED_FILES_FILE, in the
   * read-only inputs), and as JSON in CTO_CHANGED_FILES while that stays small (the engine chose the
   * paths; it must not be able to make the reviewer's environment too large to start).
   */
  private changedFilesEnv(): NodeJS.ProcessEnv {
    const sb = this.sb!;
    const paths = this.changes.map((c) => c.path);
    const file = join(sb.inputs, "changed-files.json");
    writeFileSync(file, JSON.stringify(paths));
    const kept: string[] = [];
    let size = 2;
    for (const p of paths) {
      size += JSON.stringify(p).length + 1;
      if (size > 32 * 1024) break;
      kept.push(p);
    }
    return { CTO_CHANGED_FILES: JSON.stringify(kept), CTO_CHANGED_FILES_FILE: file, ...(kept.length < paths.length ? { CTO_CHANGED_FILES_CUT: String(paths.length - kept.length) } : {}) };
  }

  // --------------------------------------------------------------- postflight
  private postflight(): void {
    const sb = this.sb!;
    if (!this.endTree) return;
    try {
      const now = captureTree(sb).tree;
      if (now !== this.endTree) {
        const paths = treeChanges(sb, this.endTree, now).map((c) => c.path);
        this.raise("dirty_end", `the tests or the reviewer changed the tree after the diff was captured (${paths.slice(0, 5).join(", ")}${paths.length > 5 ? ", …" : ""})`, { paths: paths.slice(0, 50) });
      }
    } catch (e) {
      this.raise("dirty_end", `the ending tree cannot be checked: ${(e as Error).message}`, {});
    }
  }

  // ------------------------------------------------------------------- bundle
  /** Written only now, once every child is gone: nothing the engine ran can touch its own evidence. */
  private async writeBundle(): Promise<RunResult> {
    const b = new BundleWriter(this.runsDir, this.runId, this.faults, `${ownerTag()}-`);
    const runEnd = new Date();
    const fail = (rel: string, message: string) => this.raise("artifact_write_failed", message, { path: rel });
    const finish = (report: Report, bundleDir: string | null): RunResult => ({ report, bundleDir, exitCode: report.exit_code, events: this.events.all(), notes: this.notes });
    const settle = (report: Report) => {
      const sorted = sortBlockers(this.blockers);
      this.blockers.splice(0, this.blockers.length, ...sorted);
      Object.assign(report, outcomeOf(this.blockers), { blockers: [...this.blockers] });
    };
    try {
      b.init();
    } catch (e) {
      fail(TMP_PREFIX + this.runId, (e as Error).message);
      const report = this.buildReport(runEnd);
      settle(report);
      return finish(report, null);
    }
    // The harness's key signs the bundle (attest.ts); without one it is written unsigned and never verifies.
    const signer = bundleSigner([this.task.repo, b.runsDir], (m) => fail(ARTIFACTS.attestation, m));
    const signed = signer ? [ARTIFACTS.attestation] : [];
    await this.trace.time("bundle", async () => {
      for (const [rel, data] of this.raw) b.write(rel, data);
      b.write(ARTIFACTS.patch, this.patch);
      if (!this.raw.has(ARTIFACTS.test_log)) b.write(ARTIFACTS.test_log, `tests not run: ${this.tests.note ?? "no test command"}\n`);
      for (const f of b.failures.splice(0)) fail(f.rel, f.message);
    });
    b.write(ARTIFACTS.trace, this.trace.toJsonl());
    for (const f of b.failures.splice(0)) fail(f.rel, f.message);
    const report: Report = this.buildReport(runEnd);
    settle(report);
    // run.finished carries the outcome the report will carry, unless the events file itself fails.
    this.events.emit("harness", "run.finished", { status: report.status, exit_code: report.exit_code, blockers: this.blockers.map((x) => x.id) });
    if (!b.write(ARTIFACTS.events, this.events.toJsonl())) for (const f of b.failures.splice(0)) this.blockers.push({ id: "artifact_write_failed", reason: f.message });

    // Digests of everything written so far, then report.md (which states the report core digest).
    const digests: Record<string, string> = {};
    for (const rel of [...b.written].sort()) digests[rel] = await sha256File(b.path(rel));
    settle(report);
    report.artifacts = artifactsMap([...b.written, ARTIFACTS.report_md, ...signed]);
    const core = reportCoreSha256(report);
    const md = renderReportMd(report, { tests: this.tests, spans: this.trace.spans, digests, coreSha256: core });
    if (b.write(ARTIFACTS.report_md, md)) digests[ARTIFACTS.report_md] = sha256Hex(md);
    else {
      for (const f of b.failures.splice(0)) this.blockers.push({ id: "artifact_write_failed", reason: f.message });
      settle(report);
      report.artifacts = artifactsMap([...b.written, ...signed]);
    }
    const manifest = formatManifest(digests);
    report.digests = Object.fromEntries(Object.entries(digests).map(([k, v]) => [k, `sha256:${v}`]));
    report.freshness.manifest_sha256 = sha256Hex(manifest);
    let committed = b.write(ARTIFACTS.manifest, manifest) && b.write(ARTIFACTS.report, serializeReport(report)) && (!signer || b.write(ARTIFACTS.attestation, bundleAttestation(signer, report, digests, manifest)));
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
      settle(report);
      b.discard();
      return finish(report, null);
    }
    return finish(report, b.finalDir);
  }

  private buildReport(runEnd: Date): Report {
    const outcome = outcomeOf(this.blockers);
    return {
      schema: REPORT_SCHEMA,
      run_id: this.runId,
      engine: { id: this.adapter.id, version: this.version, gated: this.adapter.gated, ...(this.homeSeeded.length ? { home_seeded: this.homeSeeded } : {}) },
      task: { id: this.task.id, path: this.task.file, sha256: this.task.sha256, repo: this.source?.path ?? this.task.repo },
      run_start: this.runStart.toISOString(),
      run_end: runEnd.toISOString(),
      backend_exit_code: this.backendExit,
      changed_files: this.changes,
      blockers: [...this.blockers],
      status: outcome.status,
      exit_code: outcome.exit_code,
      isolation: this.isolation.kind,
      ...(Object.keys(this.cut).length ? { cut: { ...this.cut } } : {}),
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
        ...(this.sandboxRef ? { sandbox_repo: this.sandboxRef } : {}),
      },
    };
  }
}

/** Can any user walk down to `dir` (every folder on the way has o+x)? */
function traversable(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dirname(d) === d) return true;
  }
}

/** Relative paths of what is in a folder (names only, for the report), bounded. */
function listNames(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string, depth: number) => {
    if (depth > 4) return;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (out.length >= 200) return;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(abs, e.name), r, depth + 1);
      else out.push(r);
    }
  };
  try {
    walk(dir, "", 0);
  } catch {
    /* nothing seeded */
  }
  return out.sort();
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

