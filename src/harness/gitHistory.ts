// History questions about a user's repo — is commit A an ancestor of HEAD, which paths differ
// between two commits — answered without running git in it (gitsource.ts): each question runs
// against a harness-owned git dir that borrows the repo's object store read-only. Commit ids are
// checked to be 40 hex digits before they reach git (a record is input: "--output=…" must never
// become an option). Answers about immutable commits are cached for the process.
import { mkdtempSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { git, GitError } from "./git";
import { borrowingGitDir, locateGit, type GitLocation } from "./gitsource";

const SHA1 = /^[0-9a-f]{40}$/;
export const isCommitId = (s: unknown): s is string => typeof s === "string" && SHA1.test(s);

/** The git work tree holding `dir`: `dir` itself or the nearest folder above it with a `.git`. */
export function findGitTop(dir: string): GitLocation | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const loc = locateGit(d);
    if (loc) return loc;
    if (dirname(d) === d) return undefined;
  }
}

export interface HistoryAnswer {
  /** `a` is HEAD or one of its ancestors. */
  ancestor: boolean;
  /** `a` is not in the object store at all (a shallow clone, or history rewritten and pruned). */
  missing: boolean;
  /** Repo-relative paths that differ between a and b (when `a` is an ancestor). */
  changed: string[];
}

const answers = new Map<string, HistoryAnswer>();
const MAX_CACHED = 512;

/** A borrowing git dir over one repo's objects, for several questions; dispose() removes it. */
export class HistoryReader {
  private dir: string | undefined;
  constructor(private readonly objects: string) {}

  static of(loc: GitLocation): HistoryReader {
    return new HistoryReader(realpathSync(join(loc.commonDir, "objects")));
  }

  private gitDir(): string {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), "cto-hist-"));
      borrowingGitDir(join(this.dir, "g.git"), this.objects);
    }
    return join(this.dir, "g.git");
  }

  /** How commit `a` relates to commit `b` (HEAD). Throws GitError when git cannot answer. */
  relate(a: string, b: string): HistoryAnswer {
    if (!isCommitId(a) || !isCommitId(b)) throw new GitError("a commit id must be 40 hex digits");
    const key = `${this.objects}\0${a}\0${b}`;
    const hit = answers.get(key);
    if (hit) return hit;
    const answer = this.ask(a, b);
    if (answers.size >= MAX_CACHED) answers.delete(answers.keys().next().value!);
    answers.set(key, answer);
    return answer;
  }

  private ask(a: string, b: string): HistoryAnswer {
    const gd = this.gitDir();
    const o = { cwd: dirname(gd), gitDir: gd };
    if (a === b) return { ancestor: true, missing: false, changed: [] };
    try {
      if (git(["cat-file", "-t", a], o).trim() !== "commit") return { ancestor: false, missing: true, changed: [] };
    } catch {
      return { ancestor: false, missing: true, changed: [] };
    }
    let base: string;
    try {
      base = git(["merge-base", a, b], o).trim();
    } catch (e) {
      // merge-base exits 1 with no output when the two share no history.
      if (e instanceof GitError && /exit 1$|: $/.test(e.message)) return { ancestor: false, missing: false, changed: [] };
      throw e;
    }
    if (base !== a) return { ancestor: false, missing: false, changed: [] };
    const raw = git(["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--no-commit-id", a, b], o);
    return { ancestor: true, missing: false, changed: raw.split("\0").filter(Boolean) };
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/** Test seam: forget cached answers. */
export function resetHistoryCache(): void {
  answers.clear();
}

/** The repo's object store exists (a `.git` that is only a stub has none). */
export function hasObjects(loc: GitLocation): boolean {
  try {
    return statSync(join(loc.commonDir, "objects")).isDirectory();
  } catch {
    return false;
  }
}
