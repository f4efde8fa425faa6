// Child processes the harness owns: each runs in its own process group
// (spawn detached → setsid), so a timeout or cancel can kill the whole tree with
// one `process.kill(-pgid)`, SIGTERM first and SIGKILL after a grace period.
// Nothing a run starts may outlive it: after a normal exit the group is swept too.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync, statSync, type WriteStream } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

export interface ProcSpec {
  argv: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Grace between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** "pipe" keeps stdin open for the adapter (approval replies); otherwise /dev/null. */
  stdin?: "pipe" | "ignore" | Buffer | string;
  /** Raw stdout/stderr are streamed here as they arrive (the bundle's raw/ logs). */
  stdoutFile?: string;
  stderrFile?: string;
  /** Merge stderr into the stdout file (test.log is one interleaved stream). */
  mergeStderr?: boolean;
  onStdoutLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ProcResult {
  /** Exit code; a death by signal is 128 + signal number, like a shell reports it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  spawnError?: NodeJS.ErrnoException;
  /** A raw log could not be written (disk full, fault injection). */
  writeError?: Error;
  durationMs: number;
  pid: number | undefined;
  /** true when no member of the process group survived the run. */
  groupGone: boolean;
}

export interface RunningProc {
  child: ChildProcess;
  /** Writes to the child's stdin (only when stdin: "pipe"); silently drops after exit. */
  write(text: string): void;
  kill(reason: "timeout" | "cancel"): void;
  done: Promise<ProcResult>;
}

const SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

export function startProc(spec: ProcSpec): RunningProc {
  const t0 = performance.now();
  const outStream = spec.stdoutFile ? createWriteStream(spec.stdoutFile) : undefined;
  const errStream = spec.mergeStderr ? outStream : spec.stderrFile ? createWriteStream(spec.stderrFile) : undefined;
  let writeError: Error | undefined;
  for (const s of new Set([outStream, errStream])) s?.on("error", (e) => (writeError ??= e));

  const stdinMode = spec.stdin === "pipe" || Buffer.isBuffer(spec.stdin) || typeof spec.stdin === "string" ? "pipe" : "ignore";
  let child: ChildProcess;
  try {
    child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true, // own process group (and session): the unit we kill
      stdio: [stdinMode, "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return failedStart(err, t0, outStream, errStream);
  }
  const pid = child.pid;
  let timedOut = false;
  let cancelled = false;
  let spawnError: NodeJS.ErrnoException | undefined;
  let exited = false;

  child.stdin?.on("error", () => {}); // EPIPE after the child exits is not our failure
  if (stdinMode === "pipe" && spec.stdin !== "pipe") child.stdin!.end(spec.stdin as Buffer | string);

  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    outStream?.write(chunk);
    if (spec.onStdoutLine) {
      pending += chunk.toString("utf8");
      let i: number;
      while ((i = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        safeLine(spec.onStdoutLine, line);
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => errStream?.write(chunk));

  const kill = (why: "timeout" | "cancel") => {
    if (exited && !groupAlive(pid)) return;
    if (why === "timeout") timedOut = true;
    else cancelled = true;
    terminateGroup(pid, spec.graceMs ?? 500);
  };
  const timer = setTimeout(() => kill("timeout"), Math.max(1, spec.timeoutMs));
  const onAbort = () => kill("cancel");
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();

  const done = new Promise<ProcResult>((resolveDone) => {
    let exitCode: number | null = null;
    let signal: NodeJS.Signals | null = null;
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    // 'exit' rather than 'close': a grandchild that escaped the group could hold the
    // pipes open forever; we stop reading a bounded time after the exit instead.
    child.on("exit", (code, sig) => {
      exited = true;
      exitCode = code;
      signal = sig;
      finish();
    });
    child.on("error", () => {
      if (!exited && pid === undefined) finish();
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      // Sweep the group: background children must not outlive the run.
      killGroupNow(pid);
      const streamsClosed = Promise.all(
        [child.stdout, child.stderr].map(
          (s) =>
            new Promise<void>((r) => {
              if (!s || s.destroyed || s.readableEnded) return r();
              const t = setTimeout(() => (s.destroy(), r()), 1000);
              s.once("close", () => (clearTimeout(t), r()));
            }),
        ),
      );
      void streamsClosed.then(async () => {
        if (pending && spec.onStdoutLine) safeLine(spec.onStdoutLine, pending);
        await closeStreams(outStream, errStream);
        const groupGone = await waitGroupGone(pid, 2000);
        const code = exitCode ?? (signal ? 128 + (SIGNUMS[signal] ?? 0) : spawnError ? null : null);
        resolveDone({ exitCode: code, signal, timedOut, cancelled, spawnError, writeError, durationMs: performance.now() - t0, pid, groupGone });
      });
    };
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

function safeLine(fn: (l: string) => void, line: string): void {
  try {
    fn(line.endsWith("\r") ? line.slice(0, -1) : line);
  } catch {
    /* an adapter's parse error is its own business: it records missing_event */
  }
}

function failedStart(err: NodeJS.ErrnoException, t0: number, ...streams: (WriteStream | undefined)[]): RunningProc {
  const done = closeStreams(...streams).then(() => ({
    exitCode: null,
    signal: null,
    timedOut: false,
    cancelled: false,
    spawnError: err,
    durationMs: performance.now() - t0,
    pid: undefined,
    groupGone: true,
  }));
  return { child: undefined as unknown as ChildProcess, write() {}, kill() {}, done };
}

async function closeStreams(...streams: (WriteStream | undefined)[]): Promise<void> {
  await Promise.all(
    [...new Set(streams)].map(
      (s) => new Promise<void>((r) => (s && !s.closed ? s.end(() => r()) : r())),
    ),
  );
}

/** SIGTERM to the group and every descendant now, SIGKILL after the grace period. */
export function terminateGroup(pgid: number | undefined, graceMs: number): void {
  if (!pgid) return;
  signalTree(pgid, "SIGTERM");
  setTimeout(() => killGroupNow(pgid), graceMs).unref();
}

/** SIGKILL to the group and to every descendant found through /proc (a child that setsid'd away). */
export function killGroupNow(pgid: number | undefined): void {
  if (!pgid) return;
  signalTree(pgid, "SIGKILL");
}

function signalTree(pgid: number, sig: NodeJS.Signals): void {
  const pids = new Set<number>(descendants(pgid));
  try {
    process.kill(-pgid, sig);
  } catch {
    /* group already gone */
  }
  for (const p of pids) {
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
      out.push({ pid: Number(n), state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]) });
    } catch {
      /* raced with exit */
    }
  }
  return out;
}

function descendants(root: number): number[] {
  const procs = listProcs();
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

/** true while a live (non-zombie) process is still in the group. */
export function groupAlive(pgid: number | undefined): boolean {
  if (!pgid) return false;
  if (process.platform !== "linux") {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return listProcs().some((p) => p.pgrp === pgid && p.state !== "Z" && p.state !== "X");
}

async function waitGroupGone(pgid: number | undefined, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() > end) return false;
    killGroupNow(pgid);
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Finds an executable on PATH (or checks a path with a slash against `cwd`). */
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

/** Runs a short helper command synchronously (git, --version probes). */
export function runSync(argv: string[], cwd: string, env?: NodeJS.ProcessEnv, input?: string): { status: number | null; stdout: string; stderr: string; error?: Error } {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: env ?? process.env, encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}
