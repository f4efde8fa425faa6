// Child processes the harness owns. Each runs in its own process group (spawn
// detached → setsid), carries a run marker in its environment, and is killed as
// a tree: the group, every descendant found through /proc, and every process
// that still carries the marker (a double fork + setsid leaves the group and the
// parent chain, not its environment). Nothing a run starts may outlive it.
//
// Output is kept in memory, bounded (head and tail; the cut is said), and only
// written to the bundle once every child is gone — a live engine can never
// reach its own evidence. stdout lines are split in linear time after UTF-8
// decoding that survives characters split across pipe chunks; an over-long line
// is cut, never accumulated without bound.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StringDecoder } from "node:string_decoder";

export const MARKER_VAR = "CTO_RUN_MARKER";
/** Node's timers overflow above this (they then fire at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CaptureLimits {
  /** Bytes kept from the start of a stream. */
  head: number;
  /** Bytes kept from its end, once the head is full. */
  tail: number;
  /** Longest stdout line handed to onStdoutLine (longer ones are cut). */
  line: number;
}

export const DEFAULT_CAPTURE: CaptureLimits = { head: 8 * 1024 * 1024, tail: 1024 * 1024, line: 1024 * 1024 };

export interface ProcSpec {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Grace between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** "pipe": the adapter speaks a protocol on stdin; a Buffer: exactly these bytes; otherwise /dev/null. */
  stdin?: "pipe" | "ignore" | Buffer;
  /** Run as this uid/gid (a root harness without bubblewrap drops root here). */
  uid?: number;
  gid?: number;
  /** Merge stderr into the stdout capture (test.log is one interleaved stream). */
  mergeStderr?: boolean;
  onStdoutLine?: (line: string, info: { truncated: boolean }) => void;
  signal?: AbortSignal;
  /** Marker value set as CTO_RUN_MARKER in the child's env and swept for at the end. */
  marker?: string;
  limits?: CaptureLimits;
}

export interface Captured {
  /** What was kept: the head, a line saying how much was cut, the tail. */
  data: Buffer;
  totalBytes: number;
  cutBytes: number;
}

export interface ProcResult {
  /** Exit code; a death by signal is 128 + signal number, like a shell reports it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Why the caller's kill() was called, when it was (e.g. "stalled"). */
  killedFor?: string;
  spawnError?: NodeJS.ErrnoException;
  durationMs: number;
  pid: number | undefined;
  /** true when no member of the process group (nor marked process) survived the run. */
  groupGone: boolean;
  stdout: Captured;
  stderr: Captured;
}

export interface RunningProc {
  child: ChildProcess | undefined;
  /** Writes to the child's stdin (only when stdin: "pipe"); silently drops after exit. */
  write(text: string): void;
  /** Stops the whole tree; `why` is recorded ("timeout" and "cancel" set their flags). */
  kill(why: string): void;
  done: Promise<ProcResult>;
}

const SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** A byte stream kept as head + tail. */
export class BoundedBuffer {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  total = 0;
  constructor(private readonly limits: Pick<CaptureLimits, "head" | "tail">) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.limits.head) {
      const take = Math.min(chunk.length, this.limits.head - this.headLen);
      this.head.push(chunk.subarray(0, take));
      this.headLen += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    if (this.limits.tail <= 0) return;
    this.tail.push(chunk);
    this.tailLen += chunk.length;
    while (this.tailLen - this.tail[0]!.length >= this.limits.tail) this.tailLen -= this.tail.shift()!.length;
  }

  result(): Captured {
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.limits.tail) tail = tail.subarray(tail.length - this.limits.tail);
    const cut = this.total - this.headLen - tail.length;
    const parts = [...this.head];
    if (cut > 0) parts.push(Buffer.from(`\n[cto: ${cut} bytes cut here; ${this.total} bytes in all]\n`));
    parts.push(tail);
    return { data: Buffer.concat(parts), totalBytes: this.total, cutBytes: cut };
  }
}

/** Splits decoded text into lines in linear time, cutting lines above `max` characters. */
export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private pending = "";
  private dropping = false;
  constructor(
    private readonly max: number,
    private readonly emit: (line: string, info: { truncated: boolean }) => void,
  ) {}

  push(chunk: Buffer): void {
    this.take(this.decoder.write(chunk));
  }

  end(): void {
    this.take(this.decoder.end());
    if (this.pending && !this.dropping) this.line(this.pending, false);
    this.pending = "";
    this.dropping = false;
  }

  private take(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      if (this.dropping) this.dropping = false;
      else this.line(this.pending + piece, false);
      this.pending = "";
      start = nl + 1;
    }
    if (this.dropping) return;
    this.pending += text.slice(start);
    if (this.pending.length > this.max) {
      this.line(this.pending.slice(0, this.max), true);
      this.pending = "";
      this.dropping = true;
    }
  }

  private line(l: string, truncated: boolean): void {
    const text = l.endsWith("\r") ? l.slice(0, -1) : l;
    if (truncated) {
      this.emit(text.length > this.max ? text.slice(0, this.max) : text, { truncated: true });
      return;
    }
    if (text.length > this.max) this.emit(text.slice(0, this.max), { truncated: true });
    else this.emit(text, { truncated: false });
  }
}

export function startProc(spec: ProcSpec): RunningProc {
  const t0 = performance.now();
  const limits = spec.limits ?? DEFAULT_CAPTURE;
  const out = new BoundedBuffer(limits);
  const err = spec.mergeStderr ? out : new BoundedBuffer(limits);
  const env = { ...spec.env, ...(spec.marker ? { [MARKER_VAR]: spec.marker } : {}) };
  const stdinMode = spec.stdin === "pipe" || Buffer.isBuffer(spec.stdin) ? "pipe" : "ignore";
  let child: ChildProcess;
  try {
    child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env,
      detached: true, // own process group (and session): the unit we kill
      stdio: [stdinMode, "pipe", "pipe"],
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
    });
  } catch (e) {
    return failedStart(e as NodeJS.ErrnoException, t0, out, err);
  }
  const pid = child.pid;
  if (spec.marker && pid) markerSince.set(spec.marker, startTicks(pid));
  let timedOut = false;
  let cancelled = false;
  let killedFor: string | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  let exited = false;

  child.stdin?.on("error", () => {}); // EPIPE after the child exits is not our failure
  if (Buffer.isBuffer(spec.stdin)) child.stdin!.end(spec.stdin);

  const lines = spec.onStdoutLine ? new LineSplitter(limits.line, (l, info) => safeLine(spec.onStdoutLine!, l, info)) : undefined;
  child.stdout!.on("data", (chunk: Buffer) => {
    out.push(chunk);
    lines?.push(chunk);
  });
  child.stderr!.on("data", (chunk: Buffer) => err.push(chunk));

  const kill = (why: string) => {
    if (exited && !treeAlive(pid, spec.marker, spec.uid)) return;
    if (why === "timeout") timedOut = true;
    else if (why === "cancel") cancelled = true;
    killedFor ??= why;
    terminateTree(pid, spec.marker, spec.graceMs ?? 500, spec.uid);
  };
  const timer = setTimeout(() => kill("timeout"), Math.min(MAX_TIMER_MS, Math.max(1, spec.timeoutMs)));
  const onAbort = () => kill("cancel");
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();

  const done = new Promise<ProcResult>((resolveDone) => {
    let exitCode: number | null = null;
    let signal: NodeJS.Signals | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      // Sweep: background children must not outlive the run.
      killTreeNow(pid, spec.marker, spec.uid);
      const streamsClosed = Promise.all(
        [child.stdout, child.stderr].map(
          (s) =>
            new Promise<void>((r) => {
              if (!s || s.destroyed || s.readableEnded) return r();
              // 'exit' rather than 'close': an escaped grandchild could hold the pipes open forever.
              const t = setTimeout(() => (s.destroy(), r()), 1000);
              s.once("close", () => (clearTimeout(t), r()));
            }),
        ),
      );
      void streamsClosed.then(async () => {
        lines?.end();
        const groupGone = await waitTreeGone(pid, spec.marker, 2000, spec.uid);
        if (spec.marker) markerSince.delete(spec.marker);
        const code = exitCode ?? (signal ? 128 + (SIGNUMS[signal] ?? 0) : null);
        resolveDone({ exitCode: code, signal, timedOut, cancelled, killedFor, spawnError, durationMs: performance.now() - t0, pid, groupGone, stdout: out.result(), stderr: err.result() });
      });
    };
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
      if (pid === undefined) finish();
    });
    child.on("exit", (code, sig) => {
      exited = true;
      exitCode = code;
      signal = sig;
      finish();
    });
  });

  return {
    child,
    write(text) {
      if (!exited && child.stdin && !child.stdin.destroyed) child.stdin.write(text);
    },
    kill,
    done,
  };
}

function safeLine(fn: NonNullable<ProcSpec["onStdoutLine"]>, line: string, info: { truncated: boolean }): void {
  try {
    fn(line, info);
  } catch {
    /* an adapter's parse error is its own business: it records missing_event */
  }
}

function failedStart(e: NodeJS.ErrnoException, t0: number, out: BoundedBuffer, err: BoundedBuffer): RunningProc {
  const done = Promise.resolve<ProcResult>({ exitCode: null, signal: null, timedOut: false, cancelled: false, spawnError: e, durationMs: performance.now() - t0, pid: undefined, groupGone: true, stdout: out.result(), stderr: err.result() });
  return { child: undefined, write() {}, kill() {}, done };
}

/** When each live marker's first process started: marked processes can only have started since. */
const markerSince = new Map<string, number>();

function startTicks(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[19]) || 0;
  } catch {
    return 0;
  }
}

/** SIGTERM to the tree now, SIGKILL after the grace period. */
export function terminateTree(pgid: number | undefined, marker: string | undefined, graceMs: number, uid?: number): void {
  if (!pgid) return;
  signalTree(pgid, marker, "SIGTERM", uid);
  setTimeout(() => killTreeNow(pgid, marker, uid), graceMs).unref();
}

export function killTreeNow(pgid: number | undefined, marker?: string, uid?: number): void {
  if (!pgid) return;
  signalTree(pgid, marker, "SIGKILL", uid);
}

function signalTree(pgid: number, marker: string | undefined, sig: NodeJS.Signals, uid?: number): void {
  const procs = listProcs();
  const pids = new Set<number>(descendants(procs, pgid));
  for (const p of procs) if (p.pgrp === pgid) pids.add(p.pid);
  if (marker) for (const p of marked(procs, marker)) pids.add(p);
  if (marker && uid !== undefined) for (const p of strays(procs, marker, uid)) pids.add(p);
  try {
    process.kill(-pgid, sig);
  } catch {
    /* group already gone */
  }
  for (const p of pids) {
    if (p === process.pid) continue;
    try {
      process.kill(p, sig);
    } catch {
      /* gone */
    }
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  /** Start time in clock ticks since boot (a process's children never start earlier). */
  start: number;
}

/** All processes, from /proc (Linux); empty elsewhere. */
export function listProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const s = readFileSync(`/proc/${n}/stat`, "utf8");
      // comm may contain spaces and parens: fields start after the last ')'
      const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(n), state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]), start: Number(rest[19]) });
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

function descendants(procs: ProcStat[], root: number): number[] {
  const kids = new Map<number, number[]>();
  for (const p of procs) {
    if (!kids.has(p.ppid)) kids.set(p.ppid, []);
    kids.get(p.ppid)!.push(p.pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    for (const c of kids.get(p) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Live processes whose environment carries the marker (only those started since the child: cheap). */
function marked(procs: ProcStat[], marker: string): number[] {
  const needle = Buffer.from(`${MARKER_VAR}=${marker}\0`);
  const since = markerSince.get(marker) ?? 0;
  const out: number[] = [];
  for (const p of procs) {
    if (p.state === "Z" || p.pid === process.pid || p.start < since) continue;
    try {
      if (readFileSync(`/proc/${p.pid}/environ`).includes(needle)) out.push(p.pid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/**
 * Processes of the unprivileged uid a child was dropped to (no bubblewrap: nothing else ties them
 * to it) that started since the child did and belong to no other run: a double fork + setsid +
 * `env -i` leaves the group, the parent chain and the marker behind, not its uid. Spared: a process
 * carrying another run's marker, and its descendants (a concurrent run's children).
 */
function strays(procs: ProcStat[], marker: string, uid: number): number[] {
  const since = markerSince.get(marker);
  if (since === undefined) return [];
  const candidates = procs.filter((p) => p.state !== "Z" && p.pid !== process.pid && p.start >= since && ownerUid(p.pid) === uid);
  if (candidates.length === 0) return [];
  const others = new Set<number>();
  for (const p of procs) {
    if (p.state === "Z" || p.start < since) continue;
    const m = markerOf(p.pid);
    if (m !== undefined && m !== marker) others.add(p.pid);
  }
  const spared = new Set<number>(others);
  for (const o of others) for (const d of descendants(procs, o)) spared.add(d);
  return candidates.filter((p) => !spared.has(p.pid)).map((p) => p.pid);
}

function ownerUid(pid: number): number | undefined {
  try {
    return statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
}

function markerOf(pid: number): string | undefined {
  try {
    const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${pid}/environ`)]);
    const needle = Buffer.from(`\0${MARKER_VAR}=`);
    const i = env.indexOf(needle);
    if (i < 0) return undefined;
    const end = env.indexOf(0, i + needle.length);
    return env.subarray(i + needle.length, end < 0 ? env.length : end).toString("utf8");
  } catch {
    return undefined;
  }
}

/** Every live process carrying some run marker, with its value (leftovers.ts finds orphans of a dead harness). */
export function markedProcesses(): { pid: number; marker: string }[] {
  const needle = Buffer.from(`\0${MARKER_VAR}=`);
  const out: { pid: number; marker: string }[] = [];
  for (const p of listProcs()) {
    if (p.state === "Z" || p.pid === process.pid) continue;
    try {
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${p.pid}/environ`)]);
      const i = env.indexOf(needle);
      if (i < 0) continue;
      const start = i + needle.length;
      const end = env.indexOf(0, start);
      out.push({ pid: p.pid, marker: env.subarray(start, end < 0 ? env.length : end).toString("utf8") });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** true while a live (non-zombie) process is in the group, carries the marker or is a stray of its uid. */
export function treeAlive(pgid: number | undefined, marker?: string, uid?: number): boolean {
  if (!pgid) return false;
  if (process.platform !== "linux") {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const procs = listProcs();
  if (procs.some((p) => p.pgrp === pgid && p.state !== "Z" && p.state !== "X")) return true;
  if (!marker) return false;
  return marked(procs, marker).length > 0 || (uid !== undefined && strays(procs, marker, uid).length > 0);
}

async function waitTreeGone(pgid: number | undefined, marker: string | undefined, ms: number, uid?: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (treeAlive(pgid, marker, uid)) {
    if (Date.now() > end) return false;
    killTreeNow(pgid, marker, uid);
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Finds an executable on PATH (or checks a path with a slash against `cwd`). Runs nothing. */
export function whichSync(cmd: string, cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const isExec = (p: string) => {
    try {
      const st = statSync(p);
      return st.isFile() && (st.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) {
    const p = isAbsolute(cmd) ? cmd : resolve(cwd, cmd);
    return isExec(p) ? p : undefined;
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (isExec(p)) return p;
  }
  return undefined;
}

/** Runs a short helper command synchronously (never an engine or anything from a task). */
export function runSync(argv: string[], cwd: string, env?: NodeJS.ProcessEnv, input?: string): { status: number | null; stdout: string; stderr: string; error?: Error } {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: env ?? process.env, encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}
