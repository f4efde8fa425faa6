// The task facts the core's task-set checks and gates compare (src/core/taskSets.ts): for every
// task file a task-set record names, its digest, id, repo and allowed_files (loadTask: the same
// reader and limits as `cto run`), and its repo's base tree now and whether it is a clean start —
// read the harness's way (sandbox.ts inspectSource / gitsource.ts: HEAD and the index as data,
// git only against a harness-owned git dir; a plain folder hashed as verify hashes it). Nothing
// here runs git in the user's repo or anything its config names.
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { taskSetsOf, type CtoWorkspace, type TaskFacts } from "../core";
import { repoProblem } from "./repocheck";
import { inspectSource, plainTreeOf } from "./sandbox";
import { loadTask, TaskError } from "./task";

export interface TaskFactsOptions {
  /** The workspace's runs folder (a repo holding it is refused, as `cto run` refuses it); default <root>/.cto/runs. */
  runsDir?: string;
  env?: NodeJS.ProcessEnv;
}

type RepoFacts = Pick<TaskFacts, "repoKind" | "baseTree" | "head" | "repoProblem" | "repoDirty">;

/** Reads the facts of every task file the workspace's task sets name, keyed by workspace-relative path. */
export async function readTaskFacts(ws: CtoWorkspace, o: TaskFactsOptions = {}): Promise<Map<string, TaskFacts>> {
  const out = new Map<string, TaskFacts>();
  const repos = new Map<string, Promise<RepoFacts>>();
  const runsDir = o.runsDir ?? join(ws.root, ".cto", "runs");
  for (const set of taskSetsOf(ws)) {
    for (const row of set.rows) {
      if (out.has(row.file)) continue;
      out.set(row.file, await factsOf(ws.root, row.file, runsDir, repos, o.env));
    }
  }
  return out;
}

/** Reads the facts and sets them on the workspace; returns the task-set docs to re-validate. */
export async function loadTaskFacts(ws: CtoWorkspace, o: TaskFactsOptions = {}): Promise<Set<string>> {
  return ws.setTaskFacts(await readTaskFacts(ws, o));
}

async function factsOf(root: string, rel: string, runsDir: string, repos: Map<string, Promise<RepoFacts>>, env?: NodeJS.ProcessEnv): Promise<TaskFacts> {
  const abs = resolve(root, rel);
  try {
    statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { file: rel, problem: code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be read: ${(e as Error).message}` };
  }
  // Inside the workspace means inside it on disk too: a symlink out of it is not read (a task
  // set would otherwise make the validator read, and quote, any file the user can read).
  const real = realpathSync(abs);
  const top = realpathSync(root);
  const within = relative(top, real);
  if (within === "" || within.startsWith("..") || isAbsolute(within)) return { file: rel, problem: `leads out of the workspace (to ${real}): a task file of a task set lies inside it` };
  let task;
  try {
    task = loadTask(abs);
  } catch (e) {
    if (e instanceof TaskError) {
      const p = e.problems[0];
      return { file: rel, problem: `is not a valid task file: ${p ? `${p.line}:${p.column}: ${p.message}` : e.message}${e.problems.length > 1 ? ` (and ${e.problems.length - 1} more)` : ""}` };
    }
    return { file: rel, problem: `cannot be read: ${(e as Error).message}` };
  }
  const base: TaskFacts = { file: rel, id: task.id, sha256: task.sha256, repo: task.repo, allowedFiles: [...task.allowed_files] };
  let p = repos.get(task.repo);
  if (!p) {
    p = repoFacts(task.repo, runsDir, env);
    repos.set(task.repo, p);
  }
  return { ...base, ...(await p) };
}

async function repoFacts(repo: string, runsDir: string, env?: NodeJS.ProcessEnv): Promise<RepoFacts> {
  const why = repoProblem(repo, { runsDir, ...(env ? { env } : {}) });
  if (why) return { repoProblem: why };
  try {
    const s = inspectSource(repo);
    if (s.kind === "plain") return { repoKind: "plain", baseTree: await plainTreeOf(s.path) };
    return { repoKind: "git", ...(s.tree ? { baseTree: s.tree } : {}), ...(s.head ? { head: s.head } : {}), ...(s.dirty ? { repoDirty: s.dirty } : {}) };
  } catch (e) {
    return { repoProblem: `cannot be read: ${(e as Error).message}` };
  }
}
