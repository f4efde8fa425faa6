// Thin, explicit git calls. Every call pins an environment that ignores the
// user's and the system's git config (hooks, templates, autocrlf, signing), so a
// run's evidence does not depend on who runs it. The harness only ever runs git
// against git dirs it made itself (gitsource.ts): never inside a user's repo,
// whose own .git/config git would honour.
import { execFile, spawnSync } from "node:child_process";

export class GitError extends Error {}

const FIXED_DATE = "2000-01-01T00:00:00Z";

export function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "cto-harness",
    GIT_AUTHOR_EMAIL: "harness@cto.invalid",
    GIT_COMMITTER_NAME: "cto-harness",
    GIT_COMMITTER_EMAIL: "harness@cto.invalid",
    // Fixed dates: the synthetic base commit of a plain folder is reproducible.
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_DATE: FIXED_DATE,
    ...extra,
  };
}

const CONFIG = [
  "-c", "core.autocrlf=false", "-c", "core.symlinks=true", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false",
  "-c", "init.defaultBranch=main", "-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-c", "core.attributesFile=/dev/null",
  "-c", "core.excludesFile=/dev/null", "-c", "core.pager=cat", "-c", "protocol.allow=never",
];

export interface GitOpts {
  cwd: string;
  /** Always a harness-owned git dir: with it explicit, git never discovers (and configures itself from) a user's repo. */
  gitDir: string;
  workTree?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Return stdout as a Buffer (binary diffs). */
  binary?: boolean;
}

/** Runs git; throws GitError with stderr on a nonzero exit. */
export function git(args: string[], o: GitOpts): string {
  return gitRaw(args, o).toString("utf8");
}

export function gitRaw(args: string[], o: GitOpts): Buffer {
  const pre = [...CONFIG, "--git-dir", o.gitDir];
  if (o.workTree) pre.push("--work-tree", o.workTree);
  const r = spawnSync("git", [...pre, ...args], { cwd: o.cwd, env: gitEnv(o.env), input: o.input, maxBuffer: 1024 * 1024 * 1024, timeout: 120_000 });
  if (r.error) throw new GitError(`git ${args[0]}: ${r.error.message}`);
  if (r.status !== 0) throw new GitError(`git ${args.join(" ")}: ${(r.stderr?.toString("utf8") ?? "").trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** Async git (verify runs it alongside hashing, so the two overlap on two cores). */
export function gitAsync(args: string[], o: GitOpts): Promise<string> {
  const pre = [...CONFIG, "--git-dir", o.gitDir];
  if (o.workTree) pre.push("--work-tree", o.workTree);
  return new Promise((resolve, reject) => {
    execFile("git", [...pre, ...args], { cwd: o.cwd, env: gitEnv(o.env), maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new GitError(`git ${args.join(" ")}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}
