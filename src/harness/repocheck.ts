// The task's `repo`, checked before anything runs (runTask calls checkTaskRepo).
// Refused, with the error located at the task file's `repo:` value:
// - what is not a readable folder;
// - the filesystem root, the user's home folder, or a folder holding either: the
//   sandbox would copy (and the engine would see) everything in it;
// - a folder holding the harness's signing key, or one inside a hidden folder of the
//   home (~/.ssh, ~/.aws, ~/.config — where the key lives by default): the copy would
//   hand the engine the very secrets the sandbox view hides (the key would be copied,
//   and made the sandbox user's, before the signer refuses it);
// - a folder holding the temp folder where sandboxes are made (the copy would
//   contain itself) or the run's evidence folder (every bundle would make the
//   repo dirty or the bundle stale);
// - for a plain folder (no git work tree at its top; it is copied file by file): one
//   holding a FIFO, socket or device (the copy refuses it), or beyond the copy's
//   limits (REPO_LIMITS = the sandbox's tree limits: files, bytes, depth).
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from "node:fs";
import { homedir, tmpdir, userInfo } from "node:os";
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from "node:path";
import { inside } from "./diffcheck";
import { signingKeyPath } from "./keys";
import { locateGit } from "./gitsource";
import { DEFAULT_TREE_LIMITS } from "./tree";
import { TaskError, type Task } from "./task";

export interface PlainLimits {
  files: number;
  bytes: number;
  depth: number;
}

/** A plain folder is copied into every run's sandbox, within the sandbox's own tree limits. */
export const REPO_LIMITS: PlainLimits = { files: DEFAULT_TREE_LIMITS.files, bytes: DEFAULT_TREE_LIMITS.bytes, depth: DEFAULT_TREE_LIMITS.depth };

export interface RepoCheckOptions {
  /** The runs folder the bundle goes to (need not exist yet); absent when nothing is written (sandbox-repo create). */
  runsDir?: string;
  /** Where sandboxes are created (default os.tmpdir()). */
  sandboxRoot?: string;
  env?: NodeJS.ProcessEnv;
  limits?: PlainLimits;
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
    const top = inside(home, real) ? relative(home, real).split(sep)[0]! : "";
    if (top.startsWith(".")) return `lies in ${join(home, top)}, a hidden folder of your home (configuration and credentials the engine must never see): name the project's own folder`;
  }
  const key = realish(signingKeyPath(o.env ?? process.env).path);
  if (inside(real, key)) return `holds the harness's signing key (${key}): the engine would get a copy of it`;
  const sandboxRoot = realish(o.sandboxRoot ?? tmpdir());
  if (inside(real, sandboxRoot)) return `contains the temp folder where sandboxes are made (${sandboxRoot}): the copy would contain itself`;
  const runs = o.runsDir === undefined ? undefined : realish(o.runsDir);
  if (runs && inside(real, runs)) return `contains the evidence folder ${runs}: a bundle written there changes the repo it describes (choose --out outside the repo)`;
  try {
    readdirSync(real);
  } catch (e) {
    return `cannot be read: ${(e as Error).message}`;
  }
  // The sandbox's own test (gitsource.ts): a git work tree copies only tracked files.
  let git;
  try {
    git = locateGit(real);
  } catch (e) {
    return `has a .git that cannot be read as git metadata: ${(e as Error).message}`;
  }
  if (!git) {
    const bad = scanPlainFolder(real, o.limits);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Walks a plain folder the way the sandbox copies it (sandbox.ts copyPlain: `.git`
 * entries skipped, symlinks not followed, the same tree limits) and says why it
 * cannot be copied, or undefined: the copy's refusals, found before anything runs.
 */
export function scanPlainFolder(root: string, limits: PlainLimits = REPO_LIMITS): string | undefined {
  let files = 0;
  let bytes = 0;
  const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  while (stack.length) {
    const { dir, depth } = stack.pop()!;
    if (depth > limits.depth) return `has folders nested deeper than ${limits.depth} levels (${rel(root, dir)})`;
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      return `has a folder that cannot be read (${rel(root, dir)}): ${(e as Error).message}`;
    }
    for (const d of list) {
      if (d.name === ".git") continue;
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
      if (kind === "dir") {
        stack.push({ dir: abs, depth: depth + 1 });
        continue;
      }
      if (kind !== "file" && kind !== "link") return `holds ${kind} (${rel(root, abs)}), which cannot be copied into a sandbox`;
      if (++files > limits.files) return `is a plain folder of more than ${limits.files} files: make it a git repo (only tracked files are copied then)`;
      bytes += size;
      if (bytes > limits.bytes) return `is a plain folder of more than ${limits.bytes} bytes: make it a git repo (only tracked files are copied then)`;
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
