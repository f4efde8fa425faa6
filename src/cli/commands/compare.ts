// `cto compare [--task-set RECORD.md | --tasks T.yaml,...] [--engines LIST] [--shard K/N] [options]`
// `cto compare --merge DIR... [--task-set RECORD.md | --tasks ...] [--engines LIST] [--out DIR]`
// Runs (or, with --runs, reuses the newest fresh, verified bundle of) every engine on every task
// and writes the signed comparison (comparison.json, comparison.md, attestation.json); one shard
// of that for a CI matrix job; or the comparison merged from the shards' bundles.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { comparisonSetsOf, parseComparisonSet, recordType, type CtoWorkspace } from "../../core";
import {
  CompareError,
  compareEngines,
  CompareUsageError,
  DEFAULT_COMPARE_ENGINES,
  EXIT_USAGE,
  loadTrustStore,
  mergeShards,
  newRunId,
  parseShard,
  runShard,
  ShardSpecError,
  TaskError,
  type Comparison,
  type ComparisonCell,
  type MergeResult,
  type Shard,
} from "../../harness";
import { HARNESS_VERSION as VERSION } from "../../harness/version";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { trustedKeysOption, workspaceOption } from "../options";
import { loadWorkspacesAt } from "../workspaces";

const HELP = `usage: cto compare [--task-set RECORD.md | --tasks TASK.yaml,...] [--engines LIST] [options]
       cto compare --shard K/N [the same options]
       cto compare --merge DIR... [--task-set RECORD.md | --tasks ...] [--engines LIST] [--out DIR]

Runs every engine on the same tasks, each in its own sandbox with its own evidence bundle,
and writes the side-by-side comparison as comparison.json and comparison.md, signed with
this machine's key (attestation.json, naming every bundle by the sha256 of its own
attestation). An engine that cannot run here is reported as unavailable with its blocker
(provider_unavailable, engine_not_enabled, not_eligible), never left out. The
candidate-default gate reads the comparisons under <workspace>/.cto/compare and verifies
every bundle again.

  --task-set FILE      a task-set record (record_type: task-set): compare on its task files
                       (default, without --tasks: the workspace's candidate-default task set)
  --tasks LIST         task files, comma-separated (repeatable), instead of a task set
  --engines LIST       engines, comma-separated (repeatable); default ${DEFAULT_COMPARE_ENGINES.join(",")}
  --shard K/N          run only shard K of N (a stable split of engine × task: the same cell
                       lands in the same shard on every machine); writes shard.json and the
                       shard's bundles (runs/) into --out, for --merge
  --merge              build the comparison from the shard folders given as arguments:
                       every bundle verified (signed by a trusted key, fresh), each cell
                       exactly once; nothing is written otherwise
  --out DIR            the comparison folder (default <workspace>/.cto/compare/<id>;
                       --shard: .cto/compare-shard-K-of-N)
  --runs DIR           reuse the newest fresh, verified bundle of each engine × task from
                       this runs folder; missing ones are run into it (default: <out>/runs)
  --enable-gated ID    enable a gated engine for these runs (repeatable)
  --records DIR        folder with the gate records (default: the task's CTO workspace)
  --pass-env NAME      also pass this variable of your environment to the engines (repeatable)
  --expose PATH        make PATH visible read-only inside the isolation (repeatable)
  --isolation MODE     auto (default; required for gated engines) | required | none
  --workspace DIR      the CTO workspace (task paths are recorded relative to it; its
                       .cto/trusted-keys are trusted); default: the one holding the tasks
  --trusted-keys FILE  also trust the keys in FILE (repeatable)
  --max-age-days N     maximum bundle age for reuse and verdicts (default 30)
  --json               print the comparison (or the shard record) as JSON

Exit: 0 the comparison (or shard) was written, whatever the results; 1 it could not be
made (no signing key; --merge: a missing, duplicated or unverified bundle; --shard: a cell
that could not run at all); 2 usage.`;

/** The options of `cto compare` (exported for the CI workflow's test: it calls only these). */
export const COMPARE_OPTIONS = {
  engines: { type: "string", multiple: true },
  tasks: { type: "string", multiple: true },
  "task-set": { type: "string" },
  shard: { type: "string" },
  merge: { type: "boolean", default: false },
  out: { type: "string" },
  runs: { type: "string" },
  "enable-gated": { type: "string", multiple: true },
  records: { type: "string" },
  "pass-env": { type: "string", multiple: true },
  expose: { type: "string", multiple: true },
  isolation: { type: "string" },
  workspace: { type: "string" },
  "trusted-keys": { type: "string", multiple: true },
  "max-age-days": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export default async function compare(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, COMPARE_OPTIONS, HELP);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (!v.merge && parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}' (shard folders go with --merge)\n${HELP}`);
  if (v.merge && parsed.positionals.length === 0) throw new UsageError(`--merge needs the shard folders as arguments\n${HELP}`);
  if (v.merge && v.shard) throw new UsageError("--merge and --shard do not go together");
  if (v.merge && v.runs) throw new UsageError("--merge takes its bundles from the shard folders, not --runs");
  const list = (x: string[] | undefined) => (x ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  const engines = v.engines ? list(v.engines) : DEFAULT_COMPARE_ENGINES;
  let shard: Shard | undefined;
  try {
    shard = v.shard !== undefined ? parseShard(v.shard) : undefined;
  } catch (e) {
    if (e instanceof ShardSpecError) throw new UsageError(e.message);
    throw e;
  }
  let maxAgeDays: number | undefined;
  if (v["max-age-days"] !== undefined) {
    maxAgeDays = Number(v["max-age-days"]);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) throw new UsageError("--max-age-days must be a number ≥ 0");
  }
  const isolation = v.isolation;
  if (isolation !== undefined && !["auto", "required", "none"].includes(isolation)) throw new UsageError("--isolation must be auto, required or none");
  const workspaceRoot = workspaceOption(io, v.workspace);
  const keyFiles = trustedKeysOption(io, v["trusted-keys"]);

  // The tasks: explicit files, a task-set record, or the workspace's candidate-default set.
  const chosen = await chooseTasks(io, v.tasks ? list(v.tasks) : undefined, v["task-set"], workspaceRoot);
  const root = workspaceRoot ?? chosen.root;
  const trust = loadTrustStore({ env: io.env, ...(root ? { workspaceRoot: root } : {}), files: keyFiles });
  const home = root ?? io.cwd;
  const outDir = path.resolve(io.cwd, v.out ?? (shard ? path.join(home, ".cto", `compare-shard-${shard.k}-of-${shard.n}`) : path.join(home, ".cto", "compare", newRunId())));
  const rel = (p: string) => path.relative(io.cwd, p) || ".";
  const common = {
    engines,
    tasks: chosen.tasks,
    outDir,
    cwd: io.cwd,
    env: io.env as NodeJS.ProcessEnv,
    trust,
    ...(root ? { root } : {}),
    ...(chosen.taskSet ? { taskSet: chosen.taskSet } : {}),
    ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
  };
  const runOpts = {
    ...(v.runs ? { runsDir: path.resolve(io.cwd, v.runs) } : {}),
    ...(v["enable-gated"] ? { enableGated: list(v["enable-gated"]) } : {}),
    ...(v.records ? { recordsDir: path.resolve(io.cwd, v.records) } : {}),
    ...(v["pass-env"] ? { passEnv: list(v["pass-env"]) } : {}),
    ...(v.expose ? { expose: v.expose.map((p) => path.resolve(io.cwd, p)) } : {}),
    ...(isolation ? { isolation: isolation as "auto" | "required" | "none" } : {}),
  };
  const total = engines.length * chosen.tasks.length;
  let done = 0;
  const onProgress = (e: { engine: string; task: string; phase: "started" | "finished"; cell?: ComparisonCell }) => {
    if (!v.json && e.phase === "finished" && e.cell) io.err(`[${++done}${shard ? "" : `/${total}`}] ${e.engine} × ${e.task}: ${e.cell.source === "reused" ? "reused " : ""}${cellText(e.cell)}`);
  };
  try {
    if (shard) {
      const r = await runShard({ ...common, ...runOpts, shard, onProgress });
      const failed = r.record.cells.filter((c) => c.source === "error");
      if (v.json) io.out(JSON.stringify({ tool: "cto-compare", version: VERSION, shard_json: r.path, ...r.record }, null, 2));
      else {
        io.out(`shard ${r.record.shard}: ${r.record.cells.length} of ${total} cell(s) → ${rel(r.path)}`);
        for (const c of failed) io.out(`  could not run: ${c.engine} × ${c.task}: ${c.error}`);
      }
      return failed.length ? 1 : 0;
    }
    const result = v.merge ? await mergeShards({ ...common, dirs: parsed.positionals }) : await compareEngines({ ...common, ...runOpts, onProgress });
    const c = result.comparison;
    if (v.json) io.out(JSON.stringify({ tool: "cto-compare", version: VERSION, comparison_json: result.jsonPath, comparison_md: result.mdPath, attestation: result.attestationPath, ...c }, null, 2));
    else {
      printSummary(c, io);
      io.out("");
      for (const n of "notes" in result ? (result as MergeResult).notes : []) io.out(`note: ${n}`);
      io.out(`comparison: ${rel(result.jsonPath)}, ${rel(result.mdPath)} (signed: ${rel(result.attestationPath)})`);
    }
    return 0;
  } catch (e) {
    if (e instanceof TaskError) {
      io.err(e.message);
      return EXIT_USAGE;
    }
    if (e instanceof CompareUsageError) throw new UsageError(e.message);
    if (e instanceof CompareError) {
      io.err(`cto compare: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** The task files to compare, with the workspace and task-set record they come from. */
async function chooseTasks(io: CliIo, tasks: string[] | undefined, taskSetFile: string | undefined, workspaceRoot: string | undefined): Promise<{ tasks: string[]; root?: string; taskSet?: { record: string; gate: string } }> {
  if (tasks && taskSetFile) throw new UsageError("give --tasks or --task-set, not both");
  if (tasks) {
    if (tasks.length === 0) throw new UsageError(`--tasks names no file\n${HELP}`);
    return { tasks: tasks.map((t) => path.resolve(io.cwd, t)) };
  }
  let ws: CtoWorkspace;
  let doc;
  if (taskSetFile) {
    const abs = path.resolve(io.cwd, taskSetFile);
    if (!existsSync(abs)) throw new UsageError(`--task-set ${taskSetFile} does not exist`);
    const wss = await loadWorkspacesAt(path.dirname(abs));
    const found = wss.map((w) => ({ w, d: w.docs.get(path.relative(w.root, abs).split(path.sep).join("/")) })).find((x) => x.d);
    if (!found?.d) throw new UsageError(`--task-set ${taskSetFile} is not a planning doc of a CTO workspace`);
    if (recordType(found.d) !== "task-set") throw new UsageError(`--task-set ${taskSetFile} is not a task-set record (record_type: task-set)`);
    ws = found.w;
    doc = found.d;
  } else {
    const wss = await loadWorkspacesAt(workspaceRoot ?? io.cwd).catch(() => {
      throw new UsageError(`name --tasks or --task-set (no CTO workspace here to take the candidate-default task set from)\n${HELP}`);
    });
    const sets = wss.flatMap((w) => comparisonSetsOf(w).map((s) => ({ w, s })));
    if (sets.length !== 1) throw new UsageError(sets.length === 0 ? `name --tasks or --task-set (no candidate-default task set in ${wss.map((w) => w.root).join(", ")})\n${HELP}` : `several candidate-default task sets (${sets.map((x) => path.join(x.w.root, x.s.doc.path)).join(", ")}): name one with --task-set`);
    ws = sets[0]!.w;
    doc = sets[0]!.s.doc;
  }
  const gate = typeof doc.frontmatter.data?.gate === "string" ? doc.frontmatter.data.gate.trim() : "";
  if (!gate) throw new UsageError(`${path.join(ws.root, doc.path)}: the task set names no 'gate:' in its frontmatter`);
  const set = parseComparisonSet(doc);
  if (set.problems.length) throw new UsageError(set.problems.map((p) => `${path.join(ws.root, doc.path)}:${p.range.line}:${p.range.column}: ${p.message}`).join("\n"));
  return { tasks: set.tasks.map((t) => path.join(ws.root, ...t.file.split("/"))), root: ws.root, taskSet: { record: doc.path, gate } };
}

function cellText(c: ComparisonCell): string {
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
