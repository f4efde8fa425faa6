// Throwaway repos for the `disposable-sandbox-repo` gate (issue 12): `cto sandbox-repo create
// --task T.yaml` makes a fresh git repo holding exactly the task's repo's base (its HEAD tree, or a
// plain folder's files) in one root commit, and `cto run --sandbox-repo DIR` runs the task on it
// instead of on the task's own repo. The run's report names it in `freshness.sandbox_repo`, so the
// gate can tell a throwaway repo from the original; its base tree is the original's (git trees
// are content-addressed), so the task still counts by task digest and base tree.
//
// The new repo's `.git/cto-sandbox-repo.json` is a marker signed with the harness's key
// (attest.ts, predicateType SANDBOX_REPO_PREDICATE_TYPE): what it was made from and its commit. A
// run accepts only a repo whose marker is signed by a trusted key, names this very folder and its
// current HEAD, and was made from the task's repo — a marker copied into the original repo, or a
// repo made by hand, is refused. As everywhere, no git command runs in the user's repo: the copy is
// unpacked from its object store by the harness (tree.ts), git only runs against git dirs we made.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { checkEnvelope, signStatement, STATEMENT_TYPE, type SignedStatement } from "./attest";
import { writeFileAtomic } from "./atomic";
import { readRegularFile } from "./bundleFs";
import type { SandboxRepoRef } from "./contract";
import { sha256Hex } from "./digest";
import { git, gitRaw } from "./git";
import { borrowingGitDir, locateGit, readHead } from "./gitsource";
import { loadSigningKey, loadTrustStore, type TrustStore } from "./keys";
import { repoProblem } from "./repocheck";
import { copyPlain, inspectSource } from "./sandbox";
import { loadTask, type Task } from "./task";
import { buildTree, materializeTree } from "./tree";
import { HARNESS_VERSION } from "./version";

export const SANDBOX_REPO_PREDICATE_TYPE = "https://cto-workbench.dev/sandbox-repo/v1";
export const SANDBOX_REPO_SCHEMA = "cto.sandbox-repo/v1";
/** Inside the throwaway repo's git dir: not part of its tree, so it never makes the repo dirty. */
export const SANDBOX_REPO_MARKER = "cto-sandbox-repo.json";
const MAX_MARKER_BYTES = 64 * 1024;

export class SandboxRepoError extends Error {}

export interface SandboxRepoPredicate {
  schema: typeof SANDBOX_REPO_SCHEMA;
  id: string;
  /** The throwaway repo (real path) and its one commit and tree. */
  path: string;
  head: string;
  tree: string;
  source: { path: string; kind: "git" | "plain"; head: string | null; tree: string };
  task: { id: string; path: string; sha256: string };
  created_at: string;
  harness_version: string;
}

export interface CreateSandboxRepoOptions {
  /** The folder to create (must not exist, or be empty); default a new `cto-sandbox-repo-*` temp folder. */
  out?: string;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

/** Makes the throwaway repo of a task's repo; returns its marker's content. */
export function createSandboxRepo(taskFile: string, o: CreateSandboxRepoOptions = {}): SandboxRepoPredicate {
  const env = o.env ?? process.env;
  const task = loadTask(taskFile);
  // What a run would refuse to copy (the home, a folder holding the signing key…) is not copied here either.
  const why = repoProblem(task.repo, { env });
  if (why) throw new SandboxRepoError(`${task.repo} ${why}`);
  const src = inspectSource(task.repo);
  if (src.dirty) throw new SandboxRepoError(`${task.repo}: ${src.dirty}; a throwaway repo copies the committed base, so commit or stash first`);
  const out = prepareOut(o.out);
  const work = mkdtempSync(join(tmpdir(), "cto-sbrepo-git-"));
  try {
    const gd = join(work, "g.git");
    let tree: string;
    if (src.kind === "git") {
      borrowingGitDir(gd, src.objects);
      tree = src.tree!;
      materializeTree(gd, tree, out);
    } else {
      borrowingGitDir(gd);
      copyPlain(src.path, out);
      const built = buildTree(out, { gitDir: gd, nestedGit: "report" });
      if (built.problems.length) throw new SandboxRepoError(`${built.problems[0]!.path}: ${built.problems[0]!.reason}`);
      tree = built.tree;
    }
    const id = `sbr-${(o.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\..*$/, "")}-${randomBytes(4).toString("hex")}`;
    const commit = git(["commit-tree", tree, "-m", `cto sandbox repo ${id}\n\nA throwaway copy of ${src.path} (base tree ${tree}) for the disposable-sandbox-repo gate.`], { cwd: work, gitDir: gd }).trim();
    exportRepo(gd, commit, out, work);
    const real = realpathSync(out);
    const predicate: SandboxRepoPredicate = {
      schema: SANDBOX_REPO_SCHEMA,
      id,
      path: real,
      head: commit,
      tree,
      source: { path: src.path, kind: src.kind, head: src.head ?? null, tree },
      task: { id: task.id, path: task.file, sha256: task.sha256 },
      created_at: (o.now ?? new Date()).toISOString(),
      harness_version: HARNESS_VERSION,
    };
    // The copy must be what a run starts from: a clean repo whose HEAD tree is the source's base.
    const check = inspectSource(real);
    if (check.kind !== "git" || check.head !== commit || check.tree !== tree || check.dirty) throw new SandboxRepoError(`the copy is not a clean repo of tree ${tree}: ${check.dirty ?? `HEAD ${check.head}, tree ${check.tree}`}`);
    let key;
    try {
      key = loadSigningKey(env, { forbiddenDirs: [real] });
    } catch (e) {
      throw new SandboxRepoError(`cannot sign the sandbox repo's marker: ${(e as Error).message}`);
    }
    const statement: SignedStatement<SandboxRepoPredicate> = { _type: STATEMENT_TYPE, subject: [{ name: `commit:${commit}`, digest: { sha256: sha256Hex(`${commit}\n${tree}\n${real}`) } }], predicateType: SANDBOX_REPO_PREDICATE_TYPE, predicate };
    writeFileAtomic(join(real, ".git", SANDBOX_REPO_MARKER), signStatement(statement, key));
    return predicate;
  } catch (e) {
    rmSync(out, { recursive: true, force: true });
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function prepareOut(out: string | undefined): string {
  if (!out) return mkdtempSync(join(tmpdir(), "cto-sandbox-repo-"));
  const dir = resolve(out);
  if (existsSync(dir)) {
    if (readdirSync(dir).length > 0) throw new SandboxRepoError(`${dir} exists and is not empty: a sandbox repo is made in a new folder`);
  } else mkdirSync(dir, { recursive: true });
  return dir;
}

/** The new repo's `.git`: the base commit's objects packed from our git dir, a branch, an index. */
function exportRepo(from: string, commit: string, workTree: string, cwd: string): void {
  const dotGit = join(workTree, ".git");
  borrowingGitDir(dotGit);
  writeFileSync(join(dotGit, "config"), "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n");
  const objects = git(["rev-list", "--objects", "--no-walk", commit], { cwd, gitDir: from })
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter(Boolean)
    .join("\n");
  const pack = gitRaw(["pack-objects", "--stdout", "-q"], { cwd, gitDir: from, input: objects + "\n", binary: true });
  gitRaw(["index-pack", "--stdin"], { cwd, gitDir: dotGit, input: pack, binary: true });
  writeFileSync(join(dotGit, "refs", "heads", "main"), commit + "\n");
  git(["read-tree", commit], { cwd, gitDir: dotGit });
  // Stat data for the index, so the repo reads as clean without rehashing every file.
  try {
    git(["update-index", "-q", "--refresh"], { cwd: workTree, gitDir: dotGit, workTree });
  } catch {
    /* --refresh exits nonzero when a file needs an update; inspectSource decides */
  }
}

// ------------------------------------------------------------------------------ reading

/** The marker of a throwaway repo, checked: signed by a trusted key, naming this folder and its HEAD. */
export async function readSandboxRepo(dir: string, trust: TrustStore): Promise<{ predicate: SandboxRepoPredicate; markerSha256: string }> {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (e) {
    throw new SandboxRepoError(`${dir} cannot be read: ${(e as Error).message}`);
  }
  const loc = locateGit(real);
  if (!loc) throw new SandboxRepoError(`${real} is not a git repo made by cto sandbox-repo create (no .git)`);
  let text: string;
  try {
    text = (await readRegularFile(join(loc.gitDir, SANDBOX_REPO_MARKER), { maxBytes: MAX_MARKER_BYTES })).toString("utf8");
  } catch (e) {
    throw new SandboxRepoError(`${real} has no sandbox-repo marker (.git/${SANDBOX_REPO_MARKER} ${(e as Error).message}): make one with cto sandbox-repo create`);
  }
  const c = checkEnvelope<SandboxRepoPredicate>(text, trust, SANDBOX_REPO_PREDICATE_TYPE);
  if (c.state !== "trusted" || !c.statement || c.problems.length) throw new SandboxRepoError(`${real}'s sandbox-repo marker is ${c.state === "trusted" ? "malformed" : c.state === "untrusted" ? "signed by an untrusted key" : "not validly signed"}${c.problems[0] ? `: ${c.problems[0]}` : ""}`);
  const p = c.statement.predicate;
  const hex = (x: unknown) => typeof x === "string" && /^[0-9a-f]{40,64}$/.test(x);
  if (p.schema !== SANDBOX_REPO_SCHEMA || typeof p.id !== "string" || !hex(p.head) || !hex(p.tree) || !p.source || typeof p.source.path !== "string" || !hex(p.source.tree)) throw new SandboxRepoError(`${real}'s sandbox-repo marker is malformed`);
  if (p.path !== real) throw new SandboxRepoError(`${real}'s sandbox-repo marker was made for ${p.path}: a marker is not moved or copied`);
  let head: string | undefined;
  try {
    head = readHead(loc);
  } catch (e) {
    throw new SandboxRepoError(`${real}: ${(e as Error).message}`);
  }
  if (head !== p.head) throw new SandboxRepoError(`${real}'s HEAD is ${head ?? "unborn"}, not the commit it was made with (${p.head}): a sandbox repo is used as made`);
  return { predicate: p, markerSha256: sha256Hex(text) };
}

/** The task, pointed at a throwaway repo made from its own repo; the reference the report carries. */
export async function applySandboxRepo(task: Task, dir: string, o: { env?: NodeJS.ProcessEnv; trust?: TrustStore; runsDir: string }): Promise<{ task: Task; ref: SandboxRepoRef }> {
  const { predicate: p, markerSha256 } = await readSandboxRepo(dir, o.trust ?? loadTrustStore({ ...(o.env ? { env: o.env } : {}) }));
  let source: string;
  try {
    source = realpathSync(task.repo);
  } catch {
    source = resolve(task.repo);
  }
  if (p.source.path !== source) throw new SandboxRepoError(`${p.path} was made from ${p.source.path}, not from this task's repo ${source}`);
  const why = repoProblem(p.path, { runsDir: o.runsDir, ...(o.env ? { env: o.env } : {}) });
  if (why) throw new SandboxRepoError(`${p.path} ${why}`);
  return {
    task: { ...task, repo: p.path },
    ref: { id: p.id, source_repo: p.source.path, source_head: p.source.head, source_tree: p.source.tree, marker_sha256: markerSha256 },
  };
}
