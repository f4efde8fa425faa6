// `cto compare`: engines side by side on the same tasks — what `candidate-default` asks for.
// Each engine × task is run through runTask (the one runner path), or, given a runs folder, the
// newest fresh, verified bundle of that engine on that exact task (same path, same content
// digest) is reused. An engine that cannot run here is reported as unavailable with the blocker
// that refused it — it is never left out. The result is a signed comparison (comparisonFile.ts)
// naming every bundle by the digest of its attestation.
//
// `--shard K/N` runs only the cells of one shard (shard.ts) and writes shard.json beside their
// bundles, for `cto compare --merge` (merge.ts) to build the comparison from.
import { mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { writeFileAtomic } from "./atomic";
import {
  bundleDigest,
  bundleRef,
  COMPARISON_SCHEMA,
  summarize,
  unavailableOf,
  UNAVAILABLE_BLOCKERS,
  writeComparison,
  type Comparison,
  type ComparisonCell,
  type ComparisonTask,
} from "./comparisonFile";
import { renderComparisonMd } from "./comparisonMd";
import type { CtoEvent, Report } from "./contract";
import { checkEngineOptions } from "./engineOptions";
import { getEngine } from "./engines/registry";
import { scanEvidence, type EvidenceEntry } from "./evidence";
import type { IsolationRequest } from "./isolation";
import { loadSigningKey, loadTrustStore, type SigningKey, type TrustStore } from "./keys";
import { findWorkspaceRoot } from "./records";
import { runTask, RunUsageError } from "./runner";
import { cellsOfShard, formatShard, type Shard } from "./shard";
import { loadTask, type Task } from "./task";
import { verifyBundle } from "./verify";
import { HARNESS_VERSION } from "./version";

export const SHARD_SCHEMA = "cto.compare-shard/v1";
export const SHARD_FILE = "shard.json";
/** The engines `candidate-default` compares, the default of `cto compare`. */
export const DEFAULT_COMPARE_ENGINES = ["case", "fake", "codex", "pi"];

export interface CompareOptions {
  engines: string[];
  /** Task files (YAML). */
  tasks: string[];
  /** Where comparison.json, comparison.md and attestation.json are written (shard: shard.json). */
  outDir: string;
  /** The CTO workspace: task paths are recorded relative to it, its .cto/trusted-keys are trusted. Default: the workspace holding the first task file. */
  root?: string;
  /** The task-set record the tasks come from (recorded in the comparison). */
  taskSet?: { record: string; gate: string };
  /** Run only this shard's cells and write shard.json instead of a comparison. */
  shard?: Shard;
  /** Reuse the newest fresh, verified bundle per engine × task from here; new runs go here too. Default: run everything into `<outDir>/runs`. */
  runsDir?: string;
  enableGated?: string[];
  /** The gate records (admission, eligibility) for gated engines; default: the workspace. */
  recordsDir?: string;
  passEnv?: string[];
  expose?: string[];
  isolation?: IsolationRequest;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs at once (default os.cpus().length). */
  concurrency?: number;
  /** Maximum bundle age for reuse and the verdicts (verifyBundle's default when absent). */
  maxAgeDays?: number;
  /** Keys whose signatures count for the verdicts (default: the local key and the workspace's trusted keys). */
  trust?: TrustStore;
  /** Signs the comparison (default: the harness's key, loaded before anything runs). */
  key?: SigningKey;
  signal?: AbortSignal;
  onProgress?: (e: { engine: string; task: string; phase: "started" | "finished"; cell?: ComparisonCell }) => void;
  onEvent?: (engine: string, task: string, e: CtoEvent) => void;
}

export interface ShardRecord {
  schema: typeof SHARD_SCHEMA;
  shard: string;
  generated_at: string;
  harness_version: string;
  task_set: Comparison["task_set"];
  engines: string[];
  tasks: ComparisonTask[];
  /** This shard's cells only; bundles relative to the shard folder. */
  cells: ComparisonCell[];
}

/** Bad invocation: the CLI exits 2. */
export class CompareUsageError extends Error {}
/** The comparison cannot be made (no signing key, a merge that does not add up): exit 1. */
export class CompareError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n${problems.map((p) => `  - ${p}`).join("\n")}` : message);
  }
}

export interface PreparedSet {
  root: string | undefined;
  tasks: Task[];
  recorded: ComparisonTask[];
  engines: string[];
  trust: TrustStore;
  env: NodeJS.ProcessEnv;
  cwd: string;
  outDir: string;
}

/** Checks engines and tasks before anything runs; every task must parse and fit every engine. */
export function prepareSet(o: Pick<CompareOptions, "engines" | "tasks" | "outDir" | "root" | "trust" | "env" | "cwd">): PreparedSet {
  const cwd = o.cwd ?? process.cwd();
  if (o.engines.length === 0) throw new CompareUsageError("name at least one engine");
  if (o.tasks.length === 0) throw new CompareUsageError("name at least one task file");
  const unknown = o.engines.filter((e) => !getEngine(e));
  if (unknown.length) throw new CompareUsageError(`unknown engine(s): ${unknown.join(", ")}`);
  if (new Set(o.engines).size !== o.engines.length) throw new CompareUsageError("an engine is named twice");
  // loadTask throws TaskError with positions.
  const tasks: Task[] = o.tasks.map((t) => loadTask(resolve(cwd, t)));
  // …and fit every engine it will run with: a typo in engine_options fails before the first run.
  for (const t of tasks) for (const e of o.engines) checkEngineOptions(t, getEngine(e)!);
  if (new Set(tasks.map((t) => t.file)).size !== tasks.length) throw new CompareUsageError("a task file is named twice");
  const ids = tasks.map((t) => t.id);
  const dupId = ids.find((id, i) => ids.indexOf(id) !== i);
  // A cell is named by engine and task id on every machine (shards): ids must be unique.
  if (dupId !== undefined) throw new CompareUsageError(`two task files have the id '${dupId}': ${tasks.filter((t) => t.id === dupId).map((t) => t.file).join(", ")}`);
  const root = o.root ? resolve(cwd, o.root) : findWorkspaceRoot(tasks[0]!.file);
  const env = o.env ?? process.env;
  return {
    root,
    tasks,
    recorded: tasks.map((t) => ({ id: t.id, path: taskRef(root, t.file), sha256: t.sha256 })),
    engines: o.engines,
    // A root found from the task files must not be a task folder vouching for its own bundles.
    trust: o.trust ?? loadTrustStore({ env, ...(root ? { workspaceRoot: root } : {}), ...(o.root ? {} : { exclude: tasks.flatMap((t) => [dirname(t.file), t.repo]) }) }),
    env,
    cwd,
    outDir: resolve(cwd, o.outDir),
  };
}

/** A task file as a comparison names it: workspace-relative (posix) when inside the workspace. */
export function taskRef(root: string | undefined, file: string): string {
  if (!root) return file;
  const rel = relative(root, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join(posix.sep) : file;
}

/** The harness's key for signing the comparison; a key that cannot be loaded stops everything before the first run. */
export function comparisonKey(o: { key?: SigningKey; env: NodeJS.ProcessEnv; outDir: string }): SigningKey {
  if (o.key) return o.key;
  try {
    return loadSigningKey(o.env, { forbiddenDirs: [o.outDir] });
  } catch (e) {
    throw new CompareError(`cannot sign the comparison: ${(e as Error).message}`);
  }
}

/** Runs (or reuses) every engine × task and writes the signed comparison into outDir. */
export async function compareEngines(o: CompareOptions): Promise<{ comparison: Comparison; jsonPath: string; mdPath: string; attestationPath: string }> {
  if (o.shard) throw new CompareUsageError("compareEngines: use runShard for --shard");
  const set = prepareSet(o);
  const key = comparisonKey({ ...(o.key ? { key: o.key } : {}), env: set.env, outDir: set.outDir });
  const jobs = set.engines.flatMap((engine) => set.tasks.map((task) => ({ engine, task })));
  const cells = await runCells(jobs, set, o);
  const comparison = buildComparison(set, cells, o.taskSet ?? null, { kind: "run" });
  const paths = writeComparison(set.outDir, comparison, renderComparisonMd(comparison), key);
  return { comparison, ...paths };
}

/** Runs the cells of one shard and writes shard.json beside their bundles (`<outDir>/runs`). */
export async function runShard(o: CompareOptions & { shard: Shard }): Promise<{ record: ShardRecord; path: string }> {
  const set = prepareSet(o);
  comparisonKey({ ...(o.key ? { key: o.key } : {}), env: set.env, outDir: set.outDir }); // the runs sign their bundles: fail now, not after them
  const all = set.engines.flatMap((engine) => set.tasks.map((task) => ({ engine, task, taskId: task.id, taskSha256: task.sha256 })));
  const mine = cellsOfShard(all, o.shard);
  const cells = await runCells(mine, set, o);
  const record: ShardRecord = {
    schema: SHARD_SCHEMA,
    shard: formatShard(o.shard),
    generated_at: new Date().toISOString(),
    harness_version: HARNESS_VERSION,
    task_set: o.taskSet ?? null,
    engines: set.engines,
    tasks: set.recorded,
    cells,
  };
  mkdirSync(set.outDir, { recursive: true });
  const path = join(set.outDir, SHARD_FILE);
  writeFileAtomic(path, JSON.stringify(record, null, 2) + "\n");
  return { record, path };
}

export function buildComparison(set: PreparedSet, cells: ComparisonCell[], taskSet: Comparison["task_set"], origin: Comparison["origin"]): Comparison {
  return {
    schema: COMPARISON_SCHEMA,
    generated_at: new Date().toISOString(),
    harness_version: HARNESS_VERSION,
    task_set: taskSet,
    engines: set.engines,
    tasks: set.recorded,
    origin,
    summary: set.engines.map((e) => summarize(e, cells.filter((c) => c.engine === e))),
    cells,
  };
}

async function runCells(jobs: { engine: string; task: Task }[], set: PreparedSet, o: CompareOptions): Promise<ComparisonCell[]> {
  const runsDir = o.runsDir ? resolve(set.cwd, o.runsDir) : join(set.outDir, "runs");
  const maxAge = o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {};
  const reusable = new Map<string, { entry: EvidenceEntry; report: Report }>();
  if (o.runsDir) {
    const scanned = await scanEvidence(runsDir, { ...maxAge, trust: set.trust });
    for (const s of scanned) {
      // Newest first: the first fresh, verified bundle per engine × exact task wins. A refusal
      // (the engine could not run) is not reused: it says nothing about the engine, and the
      // engine may be runnable now — refusals are cheap to repeat.
      if (!s.report || s.entry.verdict !== "verified") continue;
      if (s.report.blockers.some((b) => (UNAVAILABLE_BLOCKERS as readonly string[]).includes(b.id))) continue;
      const key = reuseKey(s.report.engine.id, s.report.task.path, s.report.task.sha256);
      if (!reusable.has(key)) reusable.set(key, { entry: s.entry, report: s.report });
    }
  }
  const cells = new Map<string, ComparisonCell>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { engine, task } = jobs[next++]!;
      o.onProgress?.({ engine, task: task.id, phase: "started" });
      const hit = reusable.get(reuseKey(engine, task.file, task.sha256));
      const cell = hit ? await fromReport(engine, task, set, hit.report, "reused", hit.entry.path, "verified") : await runCell(engine, task, runsDir, set, o);
      cells.set(`${engine}\0${task.file}`, cell);
      o.onProgress?.({ engine, task: task.id, phase: "finished", cell });
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, o.concurrency ?? cpus().length), jobs.length) }, worker));
  return jobs.map(({ engine, task }) => cells.get(`${engine}\0${task.file}`)!);
}

const reuseKey = (engine: string, taskPath: string, sha: string) => `${engine}\0${resolve(taskPath)}\0${sha}`;

async function runCell(engine: string, task: Task, runsDir: string, set: PreparedSet, o: CompareOptions): Promise<ComparisonCell> {
  if (o.signal?.aborted) return errorCell(engine, task, set, "cancelled before it ran");
  try {
    const r = await runTask(
      {
        engine,
        taskFile: task.file,
        outDir: runsDir,
        cwd: set.cwd,
        env: set.env,
        ...(o.enableGated ? { enableGated: o.enableGated } : {}),
        // A gated engine's records are the comparison's workspace's (runTask's default is the cwd's).
        ...(o.recordsDir ? { recordsDir: resolve(set.cwd, o.recordsDir) } : set.root ? { recordsDir: set.root } : {}),
        ...(o.passEnv ? { passEnv: o.passEnv } : {}),
        ...(o.expose ? { expose: o.expose } : {}),
        ...(o.isolation ? { isolation: o.isolation } : {}),
      },
      { ...(o.signal ? { signal: o.signal } : {}), ...(o.onEvent ? { onEvent: (e: CtoEvent) => o.onEvent!(engine, task.id, e) } : {}) },
    );
    const verdict = r.bundleDir ? (await verifyBundle(r.bundleDir, { trust: set.trust, ...(o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {}) })).verdict : "none";
    return await fromReport(engine, task, set, r.report, "ran", r.bundleDir, verdict);
  } catch (e) {
    if (e instanceof RunUsageError) throw new CompareUsageError(e.message);
    return errorCell(engine, task, set, (e as Error).message.split("\n")[0] ?? String(e));
  }
}

function errorCell(engine: string, task: Task, set: PreparedSet, error: string): ComparisonCell {
  return {
    engine,
    task: task.id,
    task_path: taskRef(set.root, task.file),
    source: "error",
    run_id: null,
    bundle: null,
    bundle_digest: null,
    verdict: "none",
    status: "error",
    exit_code: 1,
    blockers: [],
    available: false,
    unavailable_blocker: null,
    changed_files: [],
    duration_ms: 0,
    base_tree: null,
    isolation: "none",
    error,
  };
}

/** A cell from a bundle's report; `bundle` is the bundle folder, named relative to the comparison folder. */
export async function fromReport(engine: string, task: Task, set: PreparedSet, r: Report, source: "ran" | "reused", bundle: string | null, verdict: ComparisonCell["verdict"]): Promise<ComparisonCell> {
  const blockers = r.blockers.map((b) => b.id);
  const unavailable = unavailableOf(blockers);
  const start = Date.parse(r.run_start);
  const end = Date.parse(r.run_end);
  return {
    engine,
    task: task.id,
    task_path: taskRef(set.root, task.file),
    source,
    run_id: r.run_id,
    bundle: bundle ? bundleRef(set.outDir, bundle) : null,
    bundle_digest: bundle ? await bundleDigest(bundle).catch(() => null) : null,
    verdict,
    status: r.status,
    exit_code: r.exit_code,
    blockers,
    available: unavailable === null,
    unavailable_blocker: unavailable,
    changed_files: r.changed_files.map((f) => f.path),
    duration_ms: Number.isFinite(start) && Number.isFinite(end) ? end - start : 0,
    base_tree: r.freshness.base_tree ?? null,
    isolation: r.isolation,
  };
}
