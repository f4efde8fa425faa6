// Reading a user's git repo without ever running git *in* it. Git always
// honours a repo's own .git/config (core.fsmonitor, filters, diff.external,
// textconv, hooks paths…), so `git status` in a hostile repo runs its
// commands on the host. Instead the repo's files are read as data: HEAD and
// refs are parsed here, and every git command runs against a harness-owned
// git dir (our config only) that borrows the repo's object store through
// `objects/info/alternates` (objects are immutable data) and, for a status,
// a copy of the repo's index (stat data only).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { git } from "./git";

export class GitSourceError extends Error {}

export interface GitLocation {
  /** The work tree's top (the folder holding `.git`). */
  top: string;
  gitDir: string;
  /** Where objects and refs live (differs from gitDir for a linked worktree). */
  commonDir: string;
}

const SHA1 = /^[0-9a-f]{40}$/;
const MAX_META = 64 * 1024 * 1024; // packed-refs / index beyond this are not plausible

/** `path/.git` as a folder or a `gitdir:` file; undefined when `path` is not the top of a work tree. */
export function locateGit(path: string): GitLocation | undefined {
  const dotGit = join(path, ".git");
  let st;
  try {
    st = statSync(dotGit);
  } catch {
    return undefined;
  }
  let gitDir = dotGit;
  if (st.isFile()) {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(readSmall(dotGit, 4096));
    if (!m) return undefined;
    gitDir = isAbsolute(m[1]!) ? m[1]! : resolve(path, m[1]!);
  } else if (!st.isDirectory()) return undefined;
  if (!existsSync(join(gitDir, "HEAD"))) return undefined;
  let commonDir = gitDir;
  if (existsSync(join(gitDir, "commondir"))) {
    const c = readSmall(join(gitDir, "commondir"), 4096).trim();
    commonDir = isAbsolute(c) ? c : resolve(gitDir, c);
  }
  return { top: path, gitDir, commonDir };
}

function readSmall(file: string, max: number): string {
  const st = statSync(file);
  if (!st.isFile() || st.size > max) throw new GitSourceError(`${file} is not a plausible git metadata file`);
  return readFileSync(file, "utf8");
}

/** HEAD's commit id, read from the files; undefined on an unborn branch. */
export function readHead(loc: GitLocation): string | undefined {
  const head = readSmall(join(loc.gitDir, "HEAD"), 4096).trim();
  if (SHA1.test(head)) return head;
  const m = /^ref:\s*(refs\/[^\s]+)$/.exec(head);
  if (!m || m[1]!.split("/").includes("..")) throw new GitSourceError(`HEAD of ${loc.top} is neither a commit id nor a ref`);
  return readRef(loc, m[1]!);
}

function readRef(loc: GitLocation, ref: string): string | undefined {
  for (const base of [loc.gitDir, loc.commonDir]) {
    const f = join(base, ...ref.split("/"));
    if (existsSync(f)) {
      const v = readSmall(f, 4096).trim();
      if (SHA1.test(v)) return v;
      if (v.startsWith("ref:")) throw new GitSourceError(`${ref} in ${loc.top} is a symbolic ref; not supported`);
      if (/^[0-9a-f]{64}$/.test(v)) throw new GitSourceError(`${loc.top} uses SHA-256 object ids; not supported`);
      throw new GitSourceError(`${ref} in ${loc.top} does not hold a commit id`);
    }
  }
  const packed = join(loc.commonDir, "packed-refs");
  if (existsSync(packed)) {
    for (const line of readSmall(packed, MAX_META).split("\n")) {
      const [sha, name] = line.split(" ");
      if (name === ref && sha && SHA1.test(sha)) return sha;
    }
  }
  return undefined;
}

/** A harness-owned bare git dir: our config, the source's objects borrowed read-only. */
export function borrowingGitDir(dir: string, objects?: string): void {
  for (const d of ["objects/info", "objects/pack", "refs/heads", "refs/tags", "info"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "HEAD"), "ref: refs/heads/main\n");
  writeFileSync(join(dir, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n");
  if (objects) writeFileSync(join(dir, "objects", "info", "alternates"), objects + "\n");
}

export interface GitSourceState {
  top: string;
  objects: string;
  head?: string;
  tree?: string;
  /** `git status` entries (porcelain v1 without the leading codes' meaning needed here). */
  dirty: string[];
}

/**
 * HEAD, its tree and the uncommitted changes of the repo at `top`, read without its config.
 * `.gitignore` is honoured (it is data: ignored files are not copied into a sandbox either).
 */
export function readGitSource(loc: GitLocation): GitSourceState {
  const objects = join(loc.commonDir, "objects");
  const head = readHead(loc);
  const tmp = mkdtempSync(join(tmpdir(), "cto-src-"));
  try {
    const gd = join(tmp, "g.git");
    borrowingGitDir(gd, realpathSync(objects));
    if (!head) return { top: loc.top, objects, dirty: ["the source repo has no commit yet (nothing to start from)"] };
    const [commit, tree] = git(["rev-parse", `${head}^{commit}`, `${head}^{tree}`], { cwd: tmp, gitDir: gd }).trim().split("\n");
    if (commit !== head || !tree || !SHA1.test(tree)) throw new GitSourceError(`HEAD ${head} of ${loc.top} is not a readable commit`);
    writeFileSync(join(gd, "HEAD"), head + "\n");
    const index = join(loc.gitDir, "index");
    if (existsSync(index) && statSync(index).isFile() && statSync(index).size <= MAX_META) copyFileSync(index, join(gd, "index"));
    else git(["read-tree", head], { cwd: tmp, gitDir: gd });
    const out = git(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=all", "--no-renames"], { cwd: loc.top, gitDir: gd, workTree: loc.top });
    return { top: loc.top, objects, head, tree, dirty: out.split("\0").filter(Boolean) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
