// The failure fixture matrix as data: fixtures/harness/<folder>/{task.yaml,expect.yaml}.
// The harness tests and `cto fixtures` read the rows through here, so both run
// a row exactly the same way (same setup, same env, same options).
//
// `expect.yaml` says how to run a row (engine, args, env, setup) and which row of the
// failure-matrix planning doc it reproduces (`row:`). `cto fixtures` takes the expected
// outcome from that doc (src/harness/matrix.ts); the blocker/event/status/exit kept here
// are a cross-check the harness's own tests pin to the contract, and a unit test keeps
// them equal to the doc's row.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { yaml } from "../core/libs";
import { BLOCKER_IDS, type BlockerId, type RunStatus } from "./contract";
import { readRegularFileSync } from "./bundleFs";
import { git } from "./git";
import { TASK_LIMITS } from "./task";
import type { RunOptions } from "./runner";

export interface FixtureExpectation {
  engine: string;
  blocker: BlockerId | null;
  event: string;
  status: RunStatus;
  exit: number;
  /** Extra `cto run` arguments (paths relative to the row folder). */
  args: string[];
  env: Record<string, string>;
  /** "git-dirty": the repo is made at run time as a dirty git repo. */
  setup: "none" | "git-dirty";
  /** The exact name of the failure-matrix doc row this folder reproduces (null: none named). */
  row: string | null;
}

export interface FixtureRow {
  name: string;
  dir: string;
  taskFile: string;
  expect: FixtureExpectation;
}

export function listFixtureRows(root: string): FixtureRow[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, "expect.yaml")))
    .map((d) => readFixtureRow(join(root, d.name)))
    .sort((a, b) => a.expect.exit - b.expect.exit || a.name.localeCompare(b.name));
}

export function readFixtureRow(dir: string): FixtureRow {
  const raw = yaml.parse(readFileSync(join(dir, "expect.yaml"), "utf8")) as Record<string, unknown>;
  const blocker = (raw.blocker ?? null) as BlockerId | null;
  if (blocker !== null && !BLOCKER_IDS.includes(blocker)) throw new Error(`${dir}/expect.yaml: unknown blocker '${String(blocker)}'`);
  const expect: FixtureExpectation = {
    engine: String(raw.engine ?? "fake"),
    blocker,
    event: String(raw.event),
    status: raw.status as RunStatus,
    exit: Number(raw.exit),
    args: Array.isArray(raw.args) ? raw.args.map(String) : [],
    env: (raw.env ?? {}) as Record<string, string>,
    setup: raw.setup === "git-dirty" ? "git-dirty" : "none",
    row: typeof raw.row === "string" && raw.row.trim() !== "" ? raw.row.trim() : null,
  };
  return { name: dir.split(/[\\/]/).pop()!, dir, taskFile: join(dir, "task.yaml"), expect };
}

export interface PreparedRow {
  taskFile: string;
  options: Pick<RunOptions, "engine" | "taskFile" | "enableGated" | "recordsDir">;
  env: Record<string, string>;
  /** The CLI argv equivalent (`cto run ...`), for the fixtures command and people. */
  argv: string[];
  cleanup(): void;
}

/** Prepares a row to run: performs its setup, resolves its args. */
export function prepareFixtureRow(row: FixtureRow): PreparedRow {
  let taskFile = row.taskFile;
  let tmp: string | undefined;
  if (row.expect.setup === "git-dirty") {
    // A git repo outside our own repo: copy the row's repo, commit, then dirty it.
    tmp = mkdtempSync(join(tmpdir(), tempPrefix(row)));
    const { text, srcRepo } = gitDirtyTask(row);
    const repo = join(tmp, "repo");
    cpSync(srcRepo, repo, { recursive: true });
    const g = { cwd: repo, gitDir: join(repo, ".git"), workTree: repo };
    git(["init", "-q"], g);
    git(["add", "-A"], g);
    git(["commit", "-q", "-m", "fixture base"], g);
    appendFileSync(join(repo, "src", "add.js"), "// uncommitted edit\n");
    taskFile = join(tmp, "task.yaml");
    writeFileSync(taskFile, text);
  }
  const enableGated: string[] = [];
  let recordsDir: string | undefined;
  const a = row.expect.args;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === "--enable-gated") enableGated.push(a[++i]!);
    else if (a[i] === "--records") recordsDir = resolve(row.dir, a[++i]!);
    else throw new Error(`${row.dir}/expect.yaml: unsupported arg ${a[i]}`);
  }
  const argv = ["run", "--engine", row.expect.engine, "--task", taskFile, ...enableGated.flatMap((g) => ["--enable-gated", g]), ...(recordsDir ? ["--records", recordsDir] : [])];
  return {
    taskFile,
    options: { engine: row.expect.engine, taskFile, enableGated, recordsDir },
    env: row.expect.env,
    argv,
    cleanup: () => tmp && rmSync(tmp, { recursive: true, force: true }),
  };
}

const tempPrefix = (row: FixtureRow) => `cto-fixture-${row.name}-`;

/** The task file a git-dirty row runs (its repo made at run time next to it), and the source repo. */
function gitDirtyTask(row: FixtureRow, text = readFileSync(row.taskFile, "utf8")): { text: string; srcRepo: string } {
  const doc = yaml.parseDocument(text);
  const srcRepo = resolve(row.dir, String(doc.get("repo")));
  doc.set("repo", "./repo");
  return { text: doc.toString(), srcRepo };
}

/**
 * How to recognize a bundle of this row from its report alone (`task.path`, `task.sha256`):
 * the row's own task.yaml with the content it has NOW (a bundle of an edited task is not the
 * row's evidence, even after the file is restored); or, for a row whose task is written at run
 * time (git-dirty), a `task.yaml` in a temp folder named after the row whose content digest is
 * the task that row writes today.
 */
export function isRowTask(row: FixtureRow, taskPath: string, taskSha256: string): boolean {
  if (resolve(taskPath) === resolve(row.taskFile)) return currentTaskSha256(row) === taskSha256;
  if (row.expect.setup !== "git-dirty") return false;
  const folder = dirname(taskPath).split(/[\\/]/).pop() ?? "";
  if (!folder.startsWith(tempPrefix(row)) || !taskPath.endsWith("task.yaml")) return false;
  return currentTaskSha256(row) === taskSha256;
}

/** Per row object (one listFixtureRows call): the digest of the task a run of it uses today. */
const taskDigests = new WeakMap<FixtureRow, string | null>();

/** sha256 of the task file a run of this row uses, as it is now (null: unreadable). */
function currentTaskSha256(row: FixtureRow): string | null {
  if (taskDigests.has(row)) return taskDigests.get(row)!;
  let hex: string | null = null;
  try {
    const bytes = readRegularFileSync(row.taskFile, { maxBytes: TASK_LIMITS.file_bytes, follow: true });
    hex = createHash("sha256").update(row.expect.setup === "git-dirty" ? gitDirtyTask(row, bytes.toString("utf8")).text : bytes).digest("hex");
  } catch {
    hex = null; // an unreadable task file has no bundles
  }
  taskDigests.set(row, hex);
  return hex;
}
