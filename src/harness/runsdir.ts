// Where a run's bundle goes when the caller names no runs folder. Never inside
// the task's repo: a bundle there changes the repo it describes (a plain repo's
// tree, so the bundle is stale at once; a git repo's status, so the next run is
// `dirty_start`). In order, the first folder outside the repo:
//   1. <cwd>/.cto/runs
//   2. <CTO child workspace above the task file>/.cto/runs (where `cto gates` reads)
//   3. $XDG_STATE_HOME/cto-workbench/runs (default ~/.local/state/cto-workbench/runs)
// A runs folder the caller names is used as given; checkTaskRepo refuses it when
// it lies inside the repo.
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { inside } from "./diffcheck";
import { findWorkspaceRoot } from "./records";
import { realish } from "./repocheck";

export interface RunsDirChoice {
  dir: string;
  /** Said to the person when the default moved out of the repo. */
  note?: string;
}

export function defaultRunsDir(o: { cwd: string; repo: string; taskFile: string; env?: NodeJS.ProcessEnv }): RunsDirChoice {
  const env = o.env ?? process.env;
  const repo = realish(o.repo);
  const first = resolve(o.cwd, ".cto", "runs");
  const outside = (d: string) => !inside(repo, realish(d));
  if (outside(first)) return { dir: first };
  const ws = findWorkspaceRoot(o.taskFile);
  const candidates = [ws ? join(ws, ".cto", "runs") : undefined, userStateRuns(env)].filter((d): d is string => !!d);
  const dir = candidates.find(outside) ?? first; // none outside: checkTaskRepo refuses the run
  return dir === first ? { dir } : { dir, note: `the default runs folder ${first} is inside the task's repo (${repo}); bundles go to ${dir}` };
}

function userStateRuns(env: NodeJS.ProcessEnv): string | undefined {
  const state = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), ".local", "state");
  return join(state, "cto-workbench", "runs");
}
