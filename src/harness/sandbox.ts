// The disposable sandbox: a copy of the task's repo in a temp folder with its
// own git history, plus a separate harness-owned git dir used to capture the
// diff. The engine may rewrite the sandbox's .git as it likes; the evidence is
// taken through the harness's own index, which sits outside what the engine can
// write (under bubblewrap only the work tree is writable).
import { promises as fsp, copyFileSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import { git, gitAsync, gitRaw, statusEntries } from "./git";
import type { ChangedFile } from "./contract";

export interface SourceInfo {
  kind: "git" | "plain";
  /** Absolute, real path of the source folder. */
  path: string;
  head?: string;
  tree?: string;
  /** The source's object store (git sources): the harness git dir borrows it read-only. */
  objects?: string;
  /** Why the source cannot be used as a clean start (dirty_start), if so. */
  dirty?: string;
}

/** Looks at the source repo without changing it (one git call when it is a clean repo). */
export function inspectSource(repo: string): SourceInfo {
  const path = realpathSync(repo);
  let top: string, common: string, head: string | undefined, tree: string | undefined;
  try {
    [top = "", common = ""] = git(["rev-parse", "--show-toplevel", "--git-common-dir"], { cwd: path }).trim().split("\n");
  } catch {
    return { kind: "plain", path };
  }
  if (realpathSync(top) !== path) return { kind: "plain", path };
  try {
    [head, tree] = git(["rev-parse", "HEAD^{commit}", "HEAD^{tree}"], { cwd: path }).trim().split("\n");
  } catch {
    return { kind: "git", path, dirty: "the source repo has no commit yet (nothing to start from)" };
  }
  const entries = statusEntries({ cwd: path });
  const dirty = entries.length
    ? `the source repo's working tree is not clean (${entries.length} entr${entries.length === 1 ? "y" : "ies"}: ${entries
        .slice(0, 5)
        .map((e) => e.slice(3))
        .join(", ")}${entries.length > 5 ? ", …" : ""})`
    : undefined;
  return { kind: "git", path, head, tree, objects: join(isAbsolute(common) ? common : resolve(path, common), "objects"), dirty };
}

export interface Sandbox {
  /** Temp folder owning everything below; removed by dispose(). */
  root: string;
  /** The engine's work tree (the only writable place under isolation). */
  workTree: string;
  /** Harness-owned git dir (work tree = workTree) used for every capture. */
  harnessGit: string;
  /** Read-only inputs for the engine (e.g. Case's task file). */
  inputs: string;
  base: string;
  baseTree: string;
  dispose(): void;
}

export interface SandboxOptions {
  /** Work-tree-relative paths that are the engine's own runtime state (excluded from the diff). */
  statePaths?: string[];
  tmpRoot?: string;
}

export function createSandbox(src: SourceInfo, o: SandboxOptions = {}): Sandbox {
  const root = realpathSync(mkdtempSync(join(o.tmpRoot ?? tmpdir(), "cto-run-")));
  const workTree = join(root, "repo");
  const harnessGit = join(root, "harness.git");
  const inputs = join(root, "inputs");
  mkdirSync(inputs);
  const dispose = () => rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  try {
    let base: string;
    let baseTree: string;
    if (src.kind === "git") {
      // --no-hardlinks: a hardlinked object file written by the engine would be the
      // source's own file. --template= keeps hooks out. The remote is dropped so a
      // `git push` from the sandbox cannot reach the source.
      git(["clone", "-q", "--no-hardlinks", "--template=", "--no-checkout", src.path, workTree], { cwd: root });
      git(["remote", "remove", "origin"], { cwd: workTree });
      git(["checkout", "-q", "--detach", src.head!], { cwd: workTree });
      // The harness's git dir borrows the source's (immutable) objects and starts
      // from the fresh checkout's index, whose stat data makes later `add -A` cheap.
      bareSkeleton(harnessGit);
      writeFileSync(join(harnessGit, "objects", "info", "alternates"), src.objects + "\n");
      copyFileSync(join(workTree, ".git", "index"), join(harnessGit, "index"));
      base = src.head!;
      baseTree = src.tree!;
    } else {
      cpSync(src.path, workTree, { recursive: true, verbatimSymlinks: true, filter: (s) => basename(s) !== ".git" });
      git(["init", "-q", "--template=", workTree], { cwd: root });
      git(["add", "-A"], { cwd: workTree });
      git(["commit", "-q", "--allow-empty", "--no-verify", "-m", "cto: base"], { cwd: workTree });
      [base = "", baseTree = ""] = git(["rev-parse", "HEAD", "HEAD^{tree}"], { cwd: workTree }).trim().split("\n");
      // A private copy, taken before the engine runs: whatever it later does to
      // the sandbox's .git, the base objects and index the harness uses stay intact.
      cpSync(join(workTree, ".git"), harnessGit, { recursive: true });
    }
    mkdirSync(join(harnessGit, "info"), { recursive: true });
    const excludes = (o.statePaths ?? []).map((p) => "/" + p.replace(/^\/+/, "")).join("\n");
    writeFileSync(join(harnessGit, "info", "exclude"), excludes ? excludes + "\n" : "");
    return { root, workTree, harnessGit, inputs, base, baseTree, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** A minimal git dir written directly (saves a `git init` process). */
function bareSkeleton(dir: string): void {
  for (const d of ["objects/info", "objects/pack", "refs/heads", "refs/tags", "info"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "HEAD"), "ref: refs/heads/main\n");
  writeFileSync(join(dir, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n");
}

/** Stages everything in the work tree into the harness index; returns the tree id. */
export function stageAll(sb: Sandbox): string {
  const o = { cwd: sb.root, gitDir: sb.harnessGit, workTree: sb.workTree };
  git(["add", "-A"], o);
  return git(["write-tree"], o).trim();
}

/** The staged change against the base, as `git diff --binary` (applies with `git apply`). */
export function stagedPatch(sb: Sandbox): Buffer {
  return gitRaw(["diff", "--cached", "--binary", "--no-renames", "--full-index", sb.base], { cwd: sb.root, gitDir: sb.harnessGit, workTree: sb.workTree, binary: true });
}

export function stagedChanges(sb: Sandbox): ChangedFile[] {
  const raw = git(["diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", sb.base], { cwd: sb.root, gitDir: sb.harnessGit, workTree: sb.workTree });
  const parts = raw.split("\0");
  const out: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i]!;
    const path = parts[i + 1]!;
    if (!meta.startsWith(":")) break;
    const [, newMode, , , letter] = meta.slice(1).split(" ");
    const status = letter === "A" ? "added" : letter === "D" ? "deleted" : letter === "T" ? "type_changed" : "modified";
    out.push(status === "deleted" ? { path, status } : { path, status, mode: newMode });
  }
  return out;
}

/**
 * The tree a plain folder would have as a sandbox base, computed without
 * touching it (a copy and a throwaway git dir in the temp folder); verify uses it.
 */
export async function plainTreeOf(dir: string): Promise<string> {
  const tmp = await fsp.mkdtemp(join(tmpdir(), "cto-tree-"));
  try {
    const copy = join(tmp, "repo");
    await fsp.cp(dir, copy, { recursive: true, verbatimSymlinks: true, filter: (s) => basename(s) !== ".git" });
    const gd = join(tmp, "g.git");
    bareSkeleton(gd);
    await gitAsync(["add", "-A"], { cwd: tmp, gitDir: gd, workTree: copy });
    return (await gitAsync(["write-tree"], { cwd: tmp, gitDir: gd, workTree: copy })).trim();
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
