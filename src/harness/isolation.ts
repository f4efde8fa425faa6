// OS isolation for the engine, its version probe, the tests and the reviewer
// command (CONTRACT §4 "Isolation and the engine's home"). With bubblewrap the
// child sees a minimal view: the system read-only (/usr, /etc, /opt and the
// /bin, /lib… links), the programs it was explicitly given read-only (the
// engine's installation, its inputs), and read-write only its sandbox work
// tree, its per-run home and its per-run tmp. Never the rest of the user's
// home, the evidence folder, the signing key or other runs.
//
// Nothing runs with privileges. As root, bubblewrap sets the view up and the
// child then becomes the unprivileged uid 65534 with every capability gone
// (setpriv: empty bounding set, no_new_privs): a root-only file that happens
// to be visible stays unreadable, and no mount can be undone. Not as root,
// bubblewrap's user namespace already maps the child to the caller's uid and
// `--cap-drop ALL` removes what the namespace would grant.
//
// Without bubblewrap (kind "none") there is no view to restrict; as root the
// child still runs as uid 65534 (the spawn drops it), so the harness's files,
// the key and the evidence stay out of its reach.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import type { IsolationKind } from "./contract";
import { whichSync } from "./proc";

export type IsolationRequest = "auto" | "required" | "none";

/** The unprivileged identity children of a root harness run as ("nobody" on Debian). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

export interface IsolationPlan {
  kind: IsolationKind;
  /** Absolute path of bwrap (the child's PATH may not find it). */
  bin?: string;
  /** Absolute path of setpriv, used to drop root inside bubblewrap. */
  setpriv?: string;
  /** The harness runs as root: children run as SANDBOX_UID/GID and the writable folders must be theirs. */
  dropRoot: boolean;
  /** Why bubblewrap is not used, when kind is "none". */
  reason?: string;
}

/** Folders that are "the system": visible read-only in every sandbox. */
export const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** true when `p` (absolute) is `root` or lies inside it. */
function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Is the path already visible as part of the system view? */
export function isSystemPath(p: string): boolean {
  return SYSTEM_PATHS.some((s) => within(s, p));
}

type Probe = { ok: boolean; bin?: string; setpriv?: string; reason?: string };
const cache = new Map<string, Probe>();

/** Probes once per process (per binary) whether bubblewrap can build this sandbox here. */
export function bubblewrapWorks(bwrap = "bwrap"): Probe {
  const hit = cache.get(bwrap);
  if (hit) return hit;
  const res = probe(bwrap);
  cache.set(bwrap, res);
  return res;
}

function probe(bwrap: string): Probe {
  const bin = whichSync(bwrap, process.cwd());
  if (!bin) return { ok: false, reason: `bubblewrap (${bwrap}) is not installed (Debian package 'bubblewrap')` };
  const root = isRoot();
  const setpriv = root ? whichSync("setpriv", process.cwd(), { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" }) : undefined;
  if (root && !setpriv) return { ok: false, reason: "running as root, but setpriv (util-linux) is not installed to drop root inside the sandbox" };
  const plan: IsolationPlan = { kind: "bubblewrap", bin, setpriv, dropRoot: root };
  // The probe checks what matters: the child is unprivileged and / is read-only.
  const argv = wrapArgv(plan, ["/bin/sh", "-c", "test ! -w /usr && grep -q '^CapEff:[[:space:]]*0*$' /proc/self/status"], { writable: [], readOnly: [], network: false, cwd: "/" });
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 10_000, env: { PATH: "/usr/bin:/bin" } });
  if (r.error) return { ok: false, reason: `bubblewrap cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `bubblewrap cannot create an unprivileged sandbox here: ${(r.stderr || "").trim().split("\n")[0] || `exit ${r.status}`}` };
  return { ok: true, bin, setpriv };
}

/** Test seam: forget the cached probes. */
export function resetIsolationProbe(): void {
  cache.clear();
}

export function planIsolation(request: IsolationRequest, env: NodeJS.ProcessEnv = process.env): IsolationPlan {
  const dropRoot = isRoot();
  if (request === "none") return { kind: "none", dropRoot, reason: "isolation 'none' was requested" };
  // CTO_BWRAP lets a test (or a machine with bwrap elsewhere) name the binary; "" = pretend absent.
  const bin = env.CTO_BWRAP ?? "bwrap";
  const p: Probe = bin === "" ? { ok: false, reason: "bubblewrap disabled by CTO_BWRAP=''" } : bubblewrapWorks(bin);
  if (p.ok) return { kind: "bubblewrap", bin: p.bin, setpriv: p.setpriv, dropRoot };
  return { kind: "none", dropRoot, reason: p.reason };
}

/** What one child may see. Paths are host paths, bound at the same place. */
export interface SandboxView {
  /** Read-write: the work tree, the per-run home, the per-run tmp. */
  writable: string[];
  /** Read-only, beyond the system: the program's installation, inputs, paths the caller exposed. */
  readOnly: string[];
  network: boolean;
  cwd: string;
}

export interface WrappedCommand {
  argv: string[];
  /** Set when the spawn itself must drop root (no bubblewrap, harness is root). */
  uid?: number;
  gid?: number;
}

/** Wraps argv for the plan (see the file comment). */
export function wrapCommand(plan: IsolationPlan, argv: string[], view: SandboxView): WrappedCommand {
  if (plan.kind !== "bubblewrap") return plan.dropRoot ? { argv, uid: SANDBOX_UID, gid: SANDBOX_GID } : { argv };
  return { argv: wrapArgv(plan, argv, view) };
}

export function wrapArgv(plan: IsolationPlan, argv: string[], view: SandboxView): string[] {
  if (plan.kind !== "bubblewrap") return argv;
  const a: string[] = [plan.bin ?? "bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"];
  if (!view.network) a.push("--unshare-net");
  // Not root: the (implicit) user namespace maps us to ourselves; drop what it grants.
  if (!plan.dropRoot) a.push("--unshare-user", "--cap-drop", "ALL");
  a.push("--hostname", "cto-sandbox");
  for (const p of SYSTEM_PATHS) a.push(...systemBind(p));
  // A resolv.conf that links out of /etc (systemd-resolved) must stay resolvable.
  const resolv = linkTarget("/etc/resolv.conf");
  if (resolv && !isSystemPath(resolv)) a.push("--ro-bind-try", resolv, resolv);
  a.push("--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp");

  const made = new Set<string>(["/", "/tmp", "/var", "/var/tmp", "/proc", "/dev", ...SYSTEM_PATHS]);
  const binds: { path: string; rw: boolean }[] = [
    ...dedupe(view.readOnly.filter((p) => !isSystemPath(p))).map((path) => ({ path, rw: false })),
    ...dedupe(view.writable).map((path) => ({ path, rw: true })),
  ].sort((x, y) => depth(x.path) - depth(y.path) || (x.rw === y.rw ? 0 : x.rw ? 1 : -1));
  for (const b of binds) {
    // Parents bubblewrap would create 0700 (unreadable once root is dropped) are made 0755 first.
    for (const d of ancestors(b.path)) {
      if (made.has(d)) continue;
      made.add(d);
      a.push("--perms", "0755", "--dir", d);
    }
    made.add(b.path);
    a.push(b.rw ? "--bind" : "--ro-bind", b.path, b.path);
  }
  a.push("--chdir", view.cwd, "--");
  if (plan.dropRoot) {
    a.push(plan.setpriv ?? "/usr/bin/setpriv", `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_GID}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--");
  }
  return [...a, ...argv];
}

function systemBind(p: string): string[] {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return [];
  }
  if (st.isSymbolicLink()) return ["--symlink", readlinkSync(p), p];
  return st.isDirectory() ? ["--ro-bind", p, p] : [];
}

function linkTarget(p: string): string | undefined {
  try {
    if (!lstatSync(p).isSymbolicLink()) return undefined;
    const t = resolve(dirname(p), readlinkSync(p));
    return existsSync(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

function dedupe(paths: string[]): string[] {
  const abs = [...new Set(paths.map((p) => resolve(p)))].sort();
  // A path inside another bound path is already visible.
  return abs.filter((p) => !abs.some((q) => q !== p && within(q, p)));
}

const depth = (p: string) => p.split("/").length;

function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let d = dirname(p); d !== "/" && d !== "."; d = dirname(d)) out.unshift(d);
  return out;
}
