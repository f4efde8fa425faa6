// OS isolation for the engine, the tests and the reviewer command: with
// bubblewrap the whole filesystem is read-only except the sandbox, /tmp is a
// fresh tmpfs, the network is unshared (unless an engine must reach its model
// provider), and the PID namespace dies with the harness (--die-with-parent).
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { dirname } from "node:path";
import type { IsolationKind } from "./contract";
import { whichSync } from "./proc";

export type IsolationRequest = "auto" | "required" | "none";

export interface IsolationPlan {
  kind: IsolationKind;
  /** Absolute path of bwrap (the child's PATH may not find it). */
  bin?: string;
  /** Why bubblewrap is not used, when kind is "none". */
  reason?: string;
}

type Probe = { ok: boolean; bin?: string; reason?: string };
const cache = new Map<string, Probe>();

/** Probes once per process (per binary) whether bubblewrap can actually build a sandbox here. */
export function bubblewrapWorks(bwrap = "bwrap"): Probe {
  const hit = cache.get(bwrap);
  if (hit) return hit;
  const bin = whichSync(bwrap, process.cwd());
  if (!bin) {
    const res = { ok: false, reason: `bubblewrap (${bwrap}) is not installed (Debian package 'bubblewrap')` };
    cache.set(bwrap, res);
    return res;
  }
  const r = spawnSync(bin, [...baseArgs(true), "--", "true"], { encoding: "utf8", timeout: 10_000 });
  const res = r.error
    ? { ok: false, reason: `bubblewrap not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` }
    : r.status === 0
      ? { ok: true }
      : { ok: false, reason: `bubblewrap cannot create a sandbox here: ${(r.stderr || "").trim().split("\n")[0] || `exit ${r.status}`}` };
  const out: Probe = res.ok ? { ok: true, bin } : res;
  cache.set(bwrap, out);
  return out;
}

/** Test seam: forget the cached probes. */
export function resetIsolationProbe(): void {
  cache.clear();
}

export function planIsolation(request: IsolationRequest, env: NodeJS.ProcessEnv = process.env): IsolationPlan {
  if (request === "none") return { kind: "none", reason: "isolation 'none' was requested" };
  // CTO_BWRAP lets a test (or a machine with bwrap elsewhere) name the binary; "" = pretend absent.
  const bin = env.CTO_BWRAP ?? "bwrap";
  const probe: Probe = bin === "" ? { ok: false, reason: "bubblewrap disabled by CTO_BWRAP=''" } : bubblewrapWorks(bin);
  if (probe.ok) return { kind: "bubblewrap", bin: probe.bin };
  return { kind: "none", reason: probe.reason };
}

function baseArgs(noNetwork: boolean): string[] {
  return [
    "--die-with-parent",
    "--unshare-pid",
    ...(noNetwork ? ["--unshare-net"] : []),
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--tmpfs", "/tmp",
  ];
}

export interface WrapOptions {
  /** The only writable place. */
  writable: string;
  /** Extra read-only paths that must stay visible (e.g. below /tmp, which is replaced). */
  readOnly?: string[];
  network: boolean;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Absolute paths below /tmp that the command was explicitly given (its program, its arguments,
 * its environment): the fresh /tmp would hide them, so their folders stay visible, read-only.
 */
export function explicitTmpInputs(argv: string[], env: NodeJS.ProcessEnv | undefined): string[] {
  const candidates = [...argv, ...Object.values(env ?? {}).flatMap((v) => (v ? v.split(":") : []))];
  const out = new Set<string>();
  for (const c of candidates) {
    if (!c.startsWith("/tmp/") || c.includes("\n")) continue;
    try {
      out.add(statSync(c).isDirectory() ? c : dirname(c));
    } catch {
      /* not a path that exists: nothing to keep visible */
    }
  }
  return [...out];
}

/** Wraps argv for the plan; with no isolation the argv is returned as is. */
export function wrapArgv(plan: IsolationPlan, argv: string[], o: WrapOptions): string[] {
  if (plan.kind !== "bubblewrap") return argv;
  const bin = plan.bin ?? "bwrap";
  const visible = [...new Set([...(o.readOnly ?? []), ...explicitTmpInputs(argv, o.env)])].filter((p) => p !== o.writable);
  const ro = visible.flatMap((p) => ["--ro-bind", p, p]);
  return [bin, ...baseArgs(!o.network), ...ro, "--bind", o.writable, o.writable, "--chdir", o.cwd, "--", ...argv];
}
