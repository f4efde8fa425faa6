// `cto compare`: engines side by side on the same tasks — what `candidate-default` asks for.
// Each engine × task is run through runTask (the one runner path), or, given a runs folder,
// the newest fresh, verified bundle of that engine on that exact task (same path, same
// content digest) is reused. An engine that cannot run here is reported as unavailable with
// the blocker that refused it — it is never left out.
import { mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative, resolve } from "node:path";
import { writeFileAtomic } from "./atomic";
import type { CtoEvent, Report } from "./contract";
import { getEngine } from "./engines/registry";
import { scanEvidence, type EvidenceEntry } from "./evidence";
import { runTask, RunUsageError } from "./runner";
import { checkEngineOptions } from "./engineOptions";
import { loadTask, type Task } from "./task";
import { verifyBundle } from "./verify";
import { HARNESS_VERSION } from "./version";

export const COMPARISON_SCHEMA = "cto.comparison/v1";

/** Blockers that mean "this engine cannot run here", not "it ran and failed". */
export const UNAVAILABLE_BLOCKERS = ["provider_unavailable", "engine_not_enabled", "not_eligible"] as const;

export interface CompareOptions {
  engines: string[];
  /** Task files (YAML). */
  tasks: string[];
  /** Where comparison.json and comparison.md are written. */
  outDir: string;
  /** Reuse the newest fresh, verified bundle per engine × task from here; new runs go here too. Default: run everything into `<outDir>/runs`. */
  runsDir?: string;
  enableGated?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Runs at once (default os.cpus().length). */
  concurrency?: number;
  /** Maximum bundle age for reuse and the verdicts (verifyBundle's default when absent). */
  maxAgeDays?: number;
  signal?: AbortSignal;
  onProgress?: (e: { engine: string; task: string; phase: "started" | "finished"; cell?: ComparisonCell }) => void;
  onEvent?: (engine: string, task: string, e: CtoEvent) => void;
}

export interface ComparisonCell {
  engine: string;
  /** The task's id, and its file. */
  task: string;
  task_path: string;
  /** "ran": run now; "reused": an existing bundle; "error": the run could not start (see error). */
  source: "ran" | "reused" | "error";
  run_id: string | null;
  bundle: string | null;
  verdict: EvidenceEntry["verdict"] | "none";
  status: string;
  exit_code: number;
  blockers: string[];
  /** The engine could run (no provider_unavailable / engine_not_enabled / not_eligible). */
  available: boolean;
  unavailable_blocker: string | null;
  changed_files: string[];
  duration_ms: number;
  error?: string;
}

export interface EngineSummary {
  engine: string;
  /** false when no task could run on it here; see unavailable_blockers. */
  available: boolean;
  unavailable_blockers: string[];
  tasks: number;
  ran: number;
  passed: number;
  /** passed / tasks (every task counts: an unavailable engine scores 0, it is not skipped). */
  pass_rate: number;
  /** Bundles whose verdict is `verified` (fresh and intact). */
  verified: number;
  blockers_by_kind: Record<string, number>;
  changed_files: number;
  duration_ms_total: number;
  duration_ms_median: number;
}

export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  generated_at: string;
  harness_version: string;
  engines: string[];
  tasks: { id: string; path: string; sha256: string }[];
  summary: EngineSummary[];
  cells: ComparisonCell[];
}

export class CompareUsageError extends Error {}

/** Runs (or reuses) every engine × task and writes comparison.json and comparison.md into outDir. */
export async function compareEngines(o: CompareOptions): Promise<{ comparison: Comparison; jsonPath: string; mdPath: string }> {
  const cwd = o.cwd ?? process.cwd();
  if (o.engines.length === 0) throw new CompareUsageError("name at least one engine");
  if (o.tasks.length === 0) throw new CompareUsageError("name at least one task file");
  const unknown = o.engines.filter((e) => !getEngine(e));
  if (unknown.length) throw new CompareUsageError(`unknown engine(s): ${unknown.join(", ")}`);
  if (new Set(o.engines).size !== o.engines.length) throw new CompareUsageError("an engine is named twice");
  // Every task must parse before anything runs (loadTask throws TaskError with positions).
  const tasks: Task[] = o.tasks.map((t) => loadTask(resolve(cwd, t)));
  // …and fit every engine it will run with: a typo in engine_options fails before the first run.
  for (const t of tasks) for (const e of o.engines) checkEngineOptions(t, getEngine(e)!);
  if (new Set(tasks.map((t) => t.file)).size !== tasks.length) throw new CompareUsageError("a task file is named twice");
  const outDir = resolve(cwd, o.outDir);
  const runsDir = o.runsDir ? resolve(cwd, o.runsDir) : join(outDir, "runs");

  const reusable = new Map<string, { entry: EvidenceEntry; report: Report }>();
  if (o.runsDir) {
    const scanned = await scanEvidence(runsDir, o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {});
    for (const s of scanned) {
      // Newest first: the first fresh, verified bundle per engine × exact task wins. A refusal
      // (the engine could not run) is not reused: it says nothing about the engine, and the
      // engine may be runnable now — refusals are cheap to repeat.
      if (!s.report || s.entry.verdict !== "verified") continue;
      if (s.report.blockers.some((b) => (UNAVAILABLE_BLOCKERS as readonly string[]).includes(b.id))) continue;
      const key = cellKey(s.report.engine.id, s.report.task.path, s.report.task.sha256);
      if (!reusable.has(key)) reusable.set(key, { entry: s.entry, report: s.report });
    }
  }

  const jobs = o.engines.flatMap((engine) => tasks.map((task) => ({ engine, task })));
  const cells = new Map<string, ComparisonCell>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const { engine, task } = jobs[next++]!;
      o.onProgress?.({ engine, task: task.id, phase: "started" });
      const hit = reusable.get(cellKey(engine, task.file, task.sha256));
      const cell = hit ? fromReport(engine, task, hit.report, "reused", hit.entry.path, hit.entry.verdict) : await runCell(engine, task, runsDir, o, cwd);
      cells.set(`${engine}\0${task.file}`, cell);
      o.onProgress?.({ engine, task: task.id, phase: "finished", cell });
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, o.concurrency ?? cpus().length), jobs.length) }, worker));

  const ordered = jobs.map(({ engine, task }) => cells.get(`${engine}\0${task.file}`)!);
  const comparison: Comparison = {
    schema: COMPARISON_SCHEMA,
    generated_at: new Date().toISOString(),
    harness_version: HARNESS_VERSION,
    engines: o.engines,
    tasks: tasks.map((t) => ({ id: t.id, path: t.file, sha256: t.sha256 })),
    summary: o.engines.map((e) => summarize(e, ordered.filter((c) => c.engine === e))),
    cells: ordered,
  };
  mkdirSync(outDir, { recursive: true });
  const jsonPath = join(outDir, "comparison.json");
  const mdPath = join(outDir, "comparison.md");
  writeFileAtomic(jsonPath, JSON.stringify(comparison, null, 2) + "\n");
  writeFileAtomic(mdPath, renderComparisonMd(comparison, outDir));
  return { comparison, jsonPath, mdPath };
}

const cellKey = (engine: string, taskPath: string, sha: string) => `${engine}\0${resolve(taskPath)}\0${sha}`;

async function runCell(engine: string, task: Task, runsDir: string, o: CompareOptions, cwd: string): Promise<ComparisonCell> {
  if (o.signal?.aborted) return errorCell(engine, task, "cancelled before it ran");
  try {
    const r = await runTask(
      { engine, taskFile: task.file, outDir: runsDir, cwd, ...(o.enableGated ? { enableGated: o.enableGated } : {}), ...(o.env ? { env: o.env } : {}) },
      { ...(o.signal ? { signal: o.signal } : {}), ...(o.onEvent ? { onEvent: (e: CtoEvent) => o.onEvent!(engine, task.id, e) } : {}) },
    );
    const verdict = r.bundleDir ? (await verifyBundle(r.bundleDir, o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {})).verdict : "none";
    return fromReport(engine, task, r.report, "ran", r.bundleDir, verdict);
  } catch (e) {
    if (e instanceof RunUsageError) throw new CompareUsageError(e.message);
    return errorCell(engine, task, (e as Error).message.split("\n")[0] ?? String(e));
  }
}

function errorCell(engine: string, task: Task, error: string): ComparisonCell {
  return { engine, task: task.id, task_path: task.file, source: "error", run_id: null, bundle: null, verdict: "none", status: "error", exit_code: 1, blockers: [], available: false, unavailable_blocker: null, changed_files: [], duration_ms: 0, error };
}

function fromReport(engine: string, task: Task, r: Report, source: "ran" | "reused", bundle: string | null, verdict: ComparisonCell["verdict"]): ComparisonCell {
  const blockers = r.blockers.map((b) => b.id);
  const unavailable = blockers.find((b) => (UNAVAILABLE_BLOCKERS as readonly string[]).includes(b)) ?? null;
  const start = Date.parse(r.run_start);
  const end = Date.parse(r.run_end);
  return {
    engine,
    task: task.id,
    task_path: task.file,
    source,
    run_id: r.run_id,
    bundle,
    verdict,
    status: r.status,
    exit_code: r.exit_code,
    blockers,
    available: unavailable === null,
    unavailable_blocker: unavailable,
    changed_files: r.changed_files.map((f) => f.path),
    duration_ms: Number.isFinite(start) && Number.isFinite(end) ? end - start : 0,
  };
}

function summarize(engine: string, cells: ComparisonCell[]): EngineSummary {
  const blockers: Record<string, number> = {};
  for (const c of cells) for (const b of c.blockers) blockers[b] = (blockers[b] ?? 0) + 1;
  const durations = cells.filter((c) => c.source !== "error").map((c) => c.duration_ms).sort((a, b) => a - b);
  const passed = cells.filter((c) => c.status === "pass" && c.verdict === "verified").length;
  const unavailable = [...new Set(cells.map((c) => c.unavailable_blocker ?? (c.source === "error" ? "run_error" : null)).filter((b): b is string => b !== null))];
  return {
    engine,
    available: cells.some((c) => c.available),
    unavailable_blockers: unavailable,
    tasks: cells.length,
    ran: cells.filter((c) => c.available).length,
    passed,
    pass_rate: cells.length ? Math.round((passed / cells.length) * 1000) / 1000 : 0,
    verified: cells.filter((c) => c.verdict === "verified").length,
    blockers_by_kind: Object.fromEntries(Object.entries(blockers).sort(([a], [b]) => (a < b ? -1 : 1))),
    changed_files: cells.reduce((n, c) => n + c.changed_files.length, 0),
    duration_ms_total: durations.reduce((a, b) => a + b, 0),
    duration_ms_median: durations.length ? durations[Math.floor(durations.length / 2)]! : 0,
  };
}

/** The comparison as markdown: per-engine summary, then the per-task grid, then the cells. */
export function renderComparisonMd(c: Comparison, outDir: string): string {
  const L: string[] = [];
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  L.push("# Engine comparison", "");
  L.push(`Generated ${c.generated_at} by the CTO harness ${c.harness_version}. Engines: ${c.engines.map((e) => `\`${e}\``).join(", ")}; tasks: ${c.tasks.map((t) => `\`${t.id}\``).join(", ")}.`, "");
  L.push("A pass counts only with a fresh, verified bundle. An engine that cannot run here is listed as unavailable with the blocker that refused it.", "");
  L.push("## Summary", "");
  L.push("| engine | available | passed | pass rate | verified bundles | blockers by kind | changed files | duration (total / median) |");
  L.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const s of c.summary) {
    const kinds = Object.entries(s.blockers_by_kind).map(([k, n]) => `${k} ×${n}`).join(", ") || "—";
    const avail = s.available ? (s.unavailable_blockers.length ? `partly (${s.unavailable_blockers.join(", ")})` : "yes") : `no (${s.unavailable_blockers.join(", ") || "—"})`;
    L.push(`| \`${s.engine}\` | ${avail} | ${s.passed}/${s.tasks} | ${(s.pass_rate * 100).toFixed(0)}% | ${s.verified}/${s.tasks} | ${kinds} | ${s.changed_files} | ${fmtMs(s.duration_ms_total)} / ${fmtMs(s.duration_ms_median)} |`);
  }
  L.push("", "## Per task", "");
  L.push(`| task | ${c.engines.map((e) => `\`${e}\``).join(" | ")} |`);
  L.push(`| --- | ${c.engines.map(() => "---").join(" | ")} |`);
  for (const t of c.tasks) {
    const cells = c.engines.map((e) => {
      const cell = c.cells.find((x) => x.engine === e && x.task_path === t.path);
      if (!cell) return "—";
      if (cell.source === "error") return `error: ${esc(cell.error ?? "")}`;
      if (!cell.available) return `unavailable (\`${cell.unavailable_blocker}\`)`;
      const b = cell.blockers.length ? ` \`${cell.blockers[0]}\`` : "";
      return `${cell.status}${b}, exit ${cell.exit_code}, ${cell.verdict}`;
    });
    L.push(`| \`${t.id}\` | ${cells.join(" | ")} |`);
  }
  L.push("", "## Runs", "");
  L.push("| engine | task | source | status | exit | verdict | changed files | duration | bundle |");
  L.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const x of c.cells) {
    const files = x.changed_files.length ? x.changed_files.map((f) => `\`${esc(f)}\``).join(", ") : "—";
    L.push(`| \`${x.engine}\` | \`${x.task}\` | ${x.source} | ${x.status} | ${x.exit_code} | ${x.verdict} | ${files} | ${fmtMs(x.duration_ms)} | ${x.bundle ? `\`${esc(relative(outDir, x.bundle) || ".")}\`` : "—"} |`);
  }
  L.push("");
  return L.join("\n");
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
