// `cto compare --engines case,fake,codex,pi --tasks T1.yaml,T2.yaml [--out DIR] [--runs DIR]
//              [--enable-gated ID]... [--json]`
// Runs (or, with --runs, reuses the newest fresh, verified bundle of) every engine on every
// task and writes comparison.json + comparison.md. Exit 0 when the comparison was written,
// whatever the results; 2 usage.
import * as path from "node:path";
import { compareEngines, CompareUsageError, EXIT_USAGE, newRunId, TaskError, type Comparison } from "../../harness";
import { HARNESS_VERSION as VERSION } from "../../harness/version";
import { UsageError, type CliIo, parseCommandArgs } from "../io";

const HELP = `usage: cto compare --engines ID,ID,... --tasks TASK.yaml,... [options]

Runs every engine on the same tasks, each in its own sandbox with its own evidence bundle,
and writes the side-by-side comparison (pass rate, blockers by kind, changed files,
durations, a per-task grid) as comparison.json and comparison.md. An engine that cannot run
here is reported as unavailable with its blocker (provider_unavailable, engine_not_enabled,
not_eligible), never left out.

  --engines LIST       engines, comma-separated (repeatable): fake, codex, pi, case
  --tasks LIST         task files, comma-separated (repeatable)
  --out DIR            where comparison.json/.md go (default .cto/compare/<id>)
  --runs DIR           reuse the newest fresh, verified bundle of each engine × task from
                       this runs folder; missing ones are run into it
                       (default: run everything into <out>/runs)
  --enable-gated ID    enable a gated engine for these runs (repeatable)
  --max-age-days N     maximum bundle age for reuse and verdicts (default 30)
  --json               print the comparison as JSON

Exit: 0 the comparison was written (whatever the results); 2 usage.`;

export default async function compare(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, {
    engines: { type: "string", multiple: true },
    tasks: { type: "string", multiple: true },
    out: { type: "string" },
    runs: { type: "string" },
    "enable-gated": { type: "string", multiple: true },
    "max-age-days": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, HELP);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'\n${HELP}`);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const list = (x: string[] | undefined) => (x ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  const engines = list(v.engines);
  const tasks = list(v.tasks);
  if (engines.length === 0 || tasks.length === 0) throw new UsageError(`--engines and --tasks are required\n${HELP}`);
  let maxAgeDays: number | undefined;
  if (v["max-age-days"] !== undefined) {
    maxAgeDays = Number(v["max-age-days"]);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) throw new UsageError("--max-age-days must be a number ≥ 0");
  }
  const outDir = path.resolve(io.cwd, v.out ?? path.join(".cto", "compare", newRunId()));
  const rel = (p: string) => path.relative(io.cwd, p) || ".";
  let done = 0;
  let result;
  try {
    result = await compareEngines({
      engines,
      tasks,
      outDir,
      cwd: io.cwd,
      env: io.env as NodeJS.ProcessEnv,
      ...(v.runs ? { runsDir: path.resolve(io.cwd, v.runs) } : {}),
      ...(v["enable-gated"] ? { enableGated: list(v["enable-gated"]) } : {}),
      ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
      onProgress: (e) => {
        if (!v.json && e.phase === "finished" && e.cell) io.err(`[${++done}/${engines.length * tasks.length}] ${e.engine} × ${e.task}: ${e.cell.source === "reused" ? "reused " : ""}${cellText(e.cell)}`);
      },
    });
  } catch (e) {
    if (e instanceof TaskError) {
      io.err(e.message);
      return EXIT_USAGE;
    }
    if (e instanceof CompareUsageError) throw new UsageError(e.message);
    throw e;
  }
  const c = result.comparison;
  if (v.json) io.out(JSON.stringify({ tool: "cto-compare", version: VERSION, comparison_json: result.jsonPath, comparison_md: result.mdPath, ...c }, null, 2));
  else {
    printSummary(c, io);
    io.out("");
    io.out(`comparison: ${rel(result.jsonPath)}, ${rel(result.mdPath)}`);
  }
  return 0;
}

function cellText(c: Comparison["cells"][number]): string {
  if (c.source === "error") return `error: ${c.error}`;
  if (!c.available) return `unavailable (${c.unavailable_blocker})`;
  return `${c.status}${c.blockers.length ? ` ${c.blockers[0]}` : ""}, exit ${c.exit_code}, ${c.verdict}`;
}

function printSummary(c: Comparison, io: CliIo): void {
  const rows = c.summary.map((s) => [
    s.engine,
    s.available ? (s.unavailable_blockers.length ? `partly (${s.unavailable_blockers.join(", ")})` : "yes") : `no (${s.unavailable_blockers.join(", ")})`,
    `${s.passed}/${s.tasks}`,
    `${Math.round(s.pass_rate * 100)}%`,
    Object.entries(s.blockers_by_kind).map(([k, n]) => `${k}×${n}`).join(", ") || "—",
    String(s.changed_files),
    `${s.duration_ms_median} ms`,
  ]);
  const head = ["engine", "available", "passed", "rate", "blockers", "changed", "median"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((x, i) => (i === cells.length - 1 ? x : x.padEnd(w[i]!))).join("  ");
  io.out(line(head));
  for (const r of rows) io.out(line(r));
}
