// The disposable sandbox. One temp folder per run:
//   repo/         the engine's work tree (a byte-exact copy of the source's base)
//   home/         the engine's per-run home (seeded by its adapter)
//   tmp/          the per-run TMPDIR (not inside home: codex refuses that)
//   test-home/    an empty home for the tests and the reviewer command
//   inputs/       read-only inputs (the fake's scenario, a task file…)
//   harness.git/  the harness's own git dir: base objects, every capture
// Nothing here runs git in the source repo (gitsource.ts), and no git porcelain
// touches the work tree: the base is unpacked and every later state is hashed
// by tree.ts, so .gitignore, .gitattributes, nested repos and submodule folders
// hide nothing and change nothing. The engine gets its own `.git` (a shallow
// copy of the base commit) to use as it likes; the evidence never reads it.
import { chmodSync, copyFileSync, cpSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChangedFile } from "./contract";
import { git, gitRaw } from "./git";
import { borrowingGitDir, GitSourceError, locateGit, readGitSource } from "./gitsource";
import { removeTree } from "./rmtree";
import { buildTree, DEFAULT_TREE_LIMITS, materializeTree, TreeLimitError, writeObject, type StatCache, type TreeProblem } from "./tree";

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

/** Looks at the source repo without changing it and without running anything it configures. */
export function inspectSource(repo: string): SourceInfo {
  const path = realpathSync(repo);
  try {
    const loc = locateGit(path);
    if (!loc) return { kind: "plain", path };
    const s = readGitSource(loc);
    if (!s.head) return { kind: "git", path, objects: s.objects, dirty: s.dirty[0] };
    const dirty = s.dirty.length
      ? `the source repo's working tree is not clean (${s.dirty.length} entr${s.dirty.length === 1 ? "y" : "ies"}: ${s.dirty
          .slice(0, 5)
          .map((e) => e.slice(3))
          .join(", ")}${s.dirty.length > 5 ? ", …" : ""})`
      : undefined;
    return { kind: "git", path, head: s.head, tree: s.tree, objects: s.objects, dirty };
  } catch (e) {
    if (e instanceof GitSourceError || (e as Error).name === "GitError") return { kind: "git", path, dirty: `the source repo cannot be read: ${(e as Error).message}` };
    throw e;
  }
}

export interface Owner {
  uid: number;
  gid: number;
}

export interface Sandbox {
  /** Temp folder owning everything below; removed by dispose(). */
  root: string;
  /** The engine's work tree. */
  workTree: string;
  /** The engine's per-run home. */
  home: string;
  /** The per-run TMPDIR. */
  tmp: string;
  /** An empty home for the tests and the reviewer. */
  testHome: string;
  /** Read-only inputs for the engine. */
  inputs: string;
  /** Harness-owned git dir used for every capture. */
  harnessGit: string;
  base: string;
  baseTree: string;
  /** Submodule folders of the base (gitlinks), kept as such while untouched. */
  gitlinks: Map<string, string>;
  cache: StatCache;
  /** Work-tree-relative folders that are the engine's runtime state (not evidence of a change). */
  statePaths: string[];
  owner?: Owner;
  dispose(): void;
}

export interface SandboxOptions {
  statePaths?: string[];
  tmpRoot?: string;
  /** Who the children run as (root harness: the unprivileged sandbox uid); writable folders become theirs. */
  owner?: Owner;
  /** Folder-name prefix; leftovers.ts uses it to find a dead run's sandbox. */
  prefix?: string;
}

export class SourceCopyError extends Error {}

export function createSandbox(src: SourceInfo, o: SandboxOptions = {}): Sandbox {
  const root = realpathSync(mkdtempSync(join(o.tmpRoot ?? tmpdir(), o.prefix ?? "cto-run-")));
  // 0711: an unprivileged child can reach its own folders below, never list or read the rest.
  chmodSync(root, 0o711);
  const sb = {
    root,
    workTree: join(root, "repo"),
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    testHome: join(root, "test-home"),
    inputs: join(root, "inputs"),
    harnessGit: join(root, "harness.git"),
    gitlinks: new Map<string, string>(),
    cache: new Map(),
    statePaths: o.statePaths ?? [],
    owner: o.owner,
    base: "",
    baseTree: "",
    dispose: () => removeTree(root),
  } satisfies Sandbox;
  try {
    for (const d of [sb.workTree, sb.home, sb.tmp, sb.testHome, sb.inputs]) mkdirSync(d, { mode: 0o755 });
    chmodSync(sb.tmp, 0o1777);
    mkdirSync(sb.harnessGit, { mode: 0o700 });
    if (src.kind === "git") {
      borrowingGitDir(sb.harnessGit, src.objects);
      sb.base = src.head!;
      sb.baseTree = src.tree!;
      sb.gitlinks = materializeTree(sb.harnessGit, sb.baseTree, sb.workTree, sb.cache, o.owner);
    } else {
      borrowingGitDir(sb.harnessGit);
      copyPlain(src.path, sb.workTree, o.owner);
      const built = buildTree(sb.workTree, { gitDir: sb.harnessGit, nestedGit: "report", cache: sb.cache });
      if (built.problems.length) throw new SourceCopyError(`${built.problems[0]!.path}: ${built.problems[0]!.reason}`);
      sb.baseTree = built.tree;
      // A fixed identity and date: the same folder always gets the same base commit (what
      // `git commit-tree` writes with the harness's pinned environment, without the process).
      sb.base = writeObject(sb.harnessGit, "commit", Buffer.from(`tree ${sb.baseTree}\nauthor ${BASE_IDENT}\ncommitter ${BASE_IDENT}\n\ncto: base\n`));
    }
    exportBaseRepo(sb, src.kind);
    if (o.owner) for (const d of [sb.workTree, sb.home, sb.tmp, sb.testHome]) chownTree(d, o.owner, d === sb.workTree ? new Set([join(d, ".git")]) : undefined);
    return sb;
  } catch (e) {
    sb.dispose();
    throw e;
  }
}

/** The identity and date (2000-01-01T00:00:00Z) of a plain folder's base commit. */
const BASE_IDENT = "cto-harness <harness@cto.invalid> 946684800 +0000";

/** The engine's own `.git`: the base commit alone (shallow), to diff and commit against as it likes. */
function exportBaseRepo(sb: Sandbox, kind: SourceInfo["kind"]): void {
  const dotGit = join(sb.workTree, ".git");
  borrowingGitDir(dotGit);
  writeFileSync(join(dotGit, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n");
  if (kind === "plain") {
    // The harness git dir holds exactly the base's loose objects so far: a copy is the export.
    cpSync(join(sb.harnessGit, "objects"), join(dotGit, "objects"), { recursive: true, filter: (p) => !p.endsWith("/info/alternates") });
  } else {
    const objects = git(["rev-list", "--objects", "--no-walk", sb.base], { cwd: sb.root, gitDir: sb.harnessGit })
      .split("\n")
      .map((l) => l.split(" ")[0])
      .filter(Boolean)
      .join("\n");
    const pack = gitRaw(["pack-objects", "--stdout", "-q"], { cwd: sb.root, gitDir: sb.harnessGit, input: objects + "\n", binary: true });
    gitRaw(["index-pack", "--stdin"], { cwd: sb.root, gitDir: dotGit, input: pack, binary: true });
  }
  writeFileSync(join(dotGit, "shallow"), sb.base + "\n");
  writeFileSync(join(dotGit, "HEAD"), sb.base + "\n");
  git(["read-tree", sb.base], { cwd: sb.root, gitDir: dotGit });
  if (sb.owner) chownTree(dotGit, sb.owner);
}

/** Hands a folder (and everything in it) to the sandbox's unprivileged owner. */
export function chownTree(dir: string, owner: Owner, skip?: Set<string>): void {
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.uid !== owner.uid || st.gid !== owner.gid) lchownSync(p, owner.uid, owner.gid);
    if (st.isDirectory()) for (const n of readdirSync(p)) if (!skip?.has(join(p, n))) walk(join(p, n));
  };
  walk(dir);
}

/**
 * Copies a plain folder: regular files, symlinks as they are (never followed), folders;
 * every `.git` skipped (a nested repo's files are copied, its metadata is not). Anything
 * else (FIFO, socket, device) or a copy beyond the tree limits is refused.
 */
export function copyPlain(from: string, to: string, owner?: Owner): void {
  let files = 0;
  let bytes = 0;
  const lim = DEFAULT_TREE_LIMITS;
  const walk = (src: string, dst: string, rel: string, depth: number) => {
    if (depth > lim.depth) throw new SourceCopyError(`${rel}: folders nested deeper than ${lim.depth} levels`);
    for (const name of readdirSync(src).sort()) {
      if (name === ".git") continue;
      const s = join(src, name);
      const d = join(dst, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(s);
      if (st.isDirectory()) {
        mkdirSync(d, { mode: 0o755 });
        walk(s, d, r, depth + 1);
        continue;
      }
      if (++files > lim.files) throw new SourceCopyError(`the repo folder holds more than ${lim.files} files`);
      if (st.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
      else if (st.isFile()) {
        bytes += st.size;
        if (bytes > lim.bytes) throw new SourceCopyError(`the repo folder holds more than ${lim.bytes} bytes`);
        copyFileSync(s, d);
        chmodSync(d, st.mode & 0o100 ? 0o755 : 0o644);
      } else throw new SourceCopyError(`${r} is not a regular file, folder or symlink`);
      if (owner) lchownSync(d, owner.uid, owner.gid);
    }
  };
  walk(from, to, "", 0);
}

export interface Capture {
  tree: string;
  /** Things in the work tree that cannot be evidence (nested .git, FIFOs, over-limit files). */
  problems: TreeProblem[];
}

/** The work tree's current tree (its objects written into the harness git dir). */
export function captureTree(sb: Sandbox): Capture {
  const state = sb.statePaths.map((p) => p.replace(/^\/+|\/+$/g, ""));
  try {
    const r = buildTree(sb.workTree, {
      gitDir: sb.harnessGit,
      nestedGit: "report",
      cache: sb.cache,
      gitlinks: sb.gitlinks,
      exclude: (rel) => rel === ".git" || state.includes(rel),
    });
    return { tree: r.tree, problems: r.problems };
  } catch (e) {
    if (e instanceof TreeLimitError) throw new SourceCopyError(`the work tree cannot be captured: ${e.message}`);
    throw e;
  }
}

/** The change between two trees, as `git apply`-able binary diff. */
export function treePatch(sb: Sandbox, from: string, to: string): Buffer {
  return gitRaw(["diff-tree", "-r", "-p", "--binary", "--full-index", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color", from, to], { cwd: sb.root, gitDir: sb.harnessGit, binary: true });
}

export function treeChanges(sb: Sandbox, from: string, to: string): ChangedFile[] {
  const raw = git(["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-abbrev", from, to], { cwd: sb.root, gitDir: sb.harnessGit });
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

/** The tree a plain folder would have as a sandbox base, hashed in place (verify uses it). */
export async function plainTreeOf(dir: string): Promise<string> {
  return buildTree(dir, { nestedGit: "skip" }).tree;
}
