// The task's `repo`, checked before anything runs (runTask calls checkTaskRepo).
// Refused, with the error located at the task file's `repo:` value:
// - what is not a readable folder;
// - the filesystem root, the user's home folder, or a folder holding either: the
//   sandbox would copy (and the engine would see) everything in it;
// - a folder holding the temp folder where sandboxes are made (the copy would
//   contain itself) or the run's evidence folder (every bundle would make the
//   repo dirty or the bundle stale);
// - for a plain folder (no git work tree at its top; it is copied file by file): one
//   holding a FIFO, socket or device (a copy would block or fail), or more than
//   REPO_LIMITS entries or bytes.
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Dirent } from "node:fs";
import { homedir, tmpdir, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join, parse, relative, resolve } from "node:path";
import { inside } from "./diffcheck";
import { TaskError, type Task } from "./task";

/** A plain folder is copied into every run's sandbox: beyond these, make it a git repo. */
export const REPO_LIMITS = { plain_entries: 100_000, plain_bytes: 1024 ** 3 } as const;

export interface RepoCheckOptions {
  /** The runs folder the bundle goes to (need not exist yet). */
  runsDir: string;
  /** Where sandboxes are created (default os.tmpdir()). */
  sandboxRoot?: string;
  env?: NodeJS.ProcessEnv;
  limits?: { plain_entries: number; plain_bytes: number };
}

/** Throws a TaskError located at `repo:` when the task's repo must not be used. */
export function checkTaskRepo(task: Task, o: RepoCheckOptions): void {
  const why = repoProblem(task.repo, o);
  if (why) {
    const pos = task.positions.values.repo ?? { line: 1, column: 1 };
    throw new TaskError(task.file, [{ ...pos, message: `repo '${task.repo}' ${why}` }]);
  }
}

/** Why `repo` (absolute) must not be used, or undefined. */
export function repoProblem(repo: string, o: RepoCheckOptions): string | undefined {
  let st;
  try {
    st = statSync(repo);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be read: ${(e as Error).message}`;
  }
  if (!st.isDirectory()) return "is not a folder";
  const real = realpathSync(repo);
  if (parse(real).root === real) return "is the filesystem root: name the project's own folder";
  for (const home of homeFolders(o.env)) {
    if (home === real) return "is your home folder: name the project's own folder";
    if (inside(real, home)) return `contains your home folder (${home}): name the project's own folder`;
  }
  const sandboxRoot = realish(o.sandboxRoot ?? tmpdir());
  if (inside(real, sandboxRoot)) return `contains the temp folder where sandboxes are made (${sandboxRoot}): the copy would contain itself`;
  const runs = realish(o.runsDir);
  if (inside(real, runs)) return `contains the evidence folder ${runs}: a bundle written there changes the repo it describes (choose --out outside the repo)`;
  try {
    readdirSync(real);
  } catch (e) {
    return `cannot be read: ${(e as Error).message}`;
  }
  if (!looksLikeGitTop(real)) {
    const bad = scanPlainFolder(real, o.limits);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * A folder git will treat as its own work tree: a `.git` folder with a HEAD, or a
 * `.git` file pointing at one (worktrees, submodules). Only its tracked files are
 * copied, so it is not scanned; anything else is copied file by file.
 */
function looksLikeGitTop(dir: string): boolean {
  const dotGit = join(dir, ".git");
  try {
    const st = lstatSync(dotGit);
    if (st.isDirectory()) return existsSync(join(dotGit, "HEAD"));
    if (st.isFile() && st.size < 4096) return readFileSync(dotGit, "utf8").startsWith("gitdir:");
  } catch {
    /* no .git */
  }
  return false;
}

/**
 * Walks a plain folder the way the sandbox copies it (`.git` entries skipped,
 * symlinks not followed) and says why it cannot be copied, or undefined.
 */
export function scanPlainFolder(root: string, limits: { plain_entries: number; plain_bytes: number } = REPO_LIMITS): string | undefined {
  let entries = 0;
  let bytes = 0;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      return `has a folder that cannot be read (${rel(root, dir)}): ${(e as Error).message}`;
    }
    for (const d of list) {
      if (d.name === ".git") continue;
      if (++entries > limits.plain_entries) return `is a plain folder with more than ${limits.plain_entries} entries: make it a git repo (only tracked files are copied then)`;
      const abs = join(dir, d.name);
      let kind = direntKind(d);
      let size = 0;
      if (kind === "file" || kind === "unknown") {
        try {
          const st = lstatSync(abs);
          kind = st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : "a device";
          size = st.size;
        } catch (e) {
          return `has an entry that cannot be read (${rel(root, abs)}): ${(e as Error).message}`;
        }
      }
      if (kind === "dir") stack.push(abs);
      else if (kind === "file") {
        bytes += size;
        if (bytes > limits.plain_bytes) return `is a plain folder of more than ${limits.plain_bytes} bytes: make it a git repo (only tracked files are copied then)`;
      } else if (kind !== "link") return `holds ${kind} (${rel(root, abs)}), which cannot be copied into a sandbox`;
    }
  }
  return undefined;
}

function direntKind(d: Dirent): string {
  if (d.isDirectory()) return "dir";
  if (d.isFile()) return "file";
  if (d.isSymbolicLink()) return "link";
  if (d.isFIFO()) return "a FIFO";
  if (d.isSocket()) return "a socket";
  if (d.isCharacterDevice() || d.isBlockDevice()) return "a device";
  return "unknown";
}

const rel = (root: string, p: string) => relative(root, p) || basename(p);

/** The user's home folders (real paths): $HOME and the account's, when they exist. */
function homeFolders(env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Set<string>();
  const add = (p: string | undefined) => {
    if (!p || !isAbsolute(p)) return;
    try {
      out.add(realpathSync(p));
    } catch {
      /* not there: nothing to protect */
    }
  };
  add(env.HOME);
  add(homedir());
  try {
    add(userInfo().homedir);
  } catch {
    /* no passwd entry */
  }
  // A home that is "/" (some service accounts) is covered by the root check.
  return [...out].filter((h) => parse(h).root !== h);
}

/** The real path of `p`, resolving its deepest existing ancestor (p itself may not exist yet). */
export function realish(p: string): string {
  let probe = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(probe), ...rest.reverse());
    } catch {
      const up = dirname(probe);
      if (up === probe) return resolve(p);
      rest.push(basename(probe));
      probe = up;
    }
  }
}
