// `cto gates [PATH] [--runs DIR] [--compare DIR] [--fixtures DIR] [--max-age-days N] [--json]`:
// stage gate state, reasons and missing evidence, headless — from the records plus the evidence
// bundles and the comparisons, each verified now (a comparison's bundles too).
import * as path from "node:path";
import { currentGate, evaluateGates, type ComparisonTable, type TaskSetProgress } from "../../core";
import { loadTrustStore, matrixFromDocs, readComparisons, readGateEvidence, TRUSTED_KEYS_FILE, type EvidenceEntry } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { loadWorkspacesAt } from "../workspaces";
import { evidenceDirOf, fixturesDirOf, workspaceConfig } from "../workspaceConfig";

const HELP = `usage: cto gates [PATH] [--runs DIR] [--compare DIR] [--fixtures DIR] [--max-age-days N] [--json]

Computes the six stage gates (gated-engine … candidate-default) of the workspaces at, below
or above PATH (default .) from the records and the evidence bundles. Every bundle is
verified now; a gate is passed only on fresh, verified evidence signed by a trusted key
(this machine's, or one in the workspace's ${TRUSTED_KEYS_FILE}), and for a gated engine
run with OS isolation; a bundle that goes stale or fails verification un-passes it.
copied-repo-fixture, disposable-sandbox-repo and owned-noncritical-repo need a pass run
of case on every task of their task-set record (task file and repo as they are now),
plus their own conditions; reviews by a person (cto review) are read from the runs
folder's .reviews/ and count only when signed by a trusted key (docs/gates.md).
Default status is earned, not assumed.

  --runs DIR           evidence bundles (default: .cto/config.yaml evidenceFolder,
                       else <workspace root>/.cto/runs)
  --compare DIR        comparisons, for candidate-default (default: <workspace root>/.cto/compare);
                       every bundle of the deciding comparison is verified again
  --fixtures DIR       fixture folders, to tell which matrix row a bundle reproduces
                       (default: .cto/config.yaml fixturesFolder, else the package's
                       fixtures/harness)
  --max-age-days N     maximum bundle age for fresh evidence (default 30)
  --json               print the states as JSON

exit: 0 (whatever the gates' states), 2 usage`;

const MARK = { passed: "✔", open: "○", locked: "🔒" } as const;

/** A task-set gate's progress, snake_case for --json. */
function progressJson(p: TaskSetProgress) {
  return {
    record: p.record ?? null,
    needed: p.needed,
    passed: p.passed,
    list: p.tasks.map((t) => ({ task: t.task, file: t.file, ok: t.ok, needs_run: t.needsRun, sandbox_repo: t.sandboxRepo, bundle: t.bundle ?? null, reason: t.reason ?? null, review_outstanding: t.reviewOutstanding === true })),
    reviews_outstanding: p.reviewsOutstanding.map((r) => ({ task: r.task, bundle: r.bundle, run_id: r.runId })),
  };
}

export default async function gates(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, {
    json: { type: "boolean", default: false },
    runs: { type: "string" },
    compare: { type: "string" },
    fixtures: { type: "string" },
    "max-age-days": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, HELP);
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  let maxAgeDays: number | undefined;
  if (values["max-age-days"] !== undefined) {
    maxAgeDays = Number(values["max-age-days"]);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) throw new UsageError("--max-age-days must be a number ≥ 0");
  }
  const list = await loadWorkspacesAt(io.cwd, positionals[0]);
  const out = await Promise.all(
    list.map(async (ws) => {
      const config = await workspaceConfig(ws.root, io.cwd);
      const fixturesDir = values.fixtures ? path.resolve(io.cwd, values.fixtures) : fixturesDirOf(ws.root, config);
      const runsDir = values.runs ? path.resolve(io.cwd, values.runs) : evidenceDirOf(ws.root, config);
      const matrix = matrixFromDocs(ws.root, ws.planningDocs());
      const trust = loadTrustStore({ env: io.env, workspaceRoot: ws.root });
      const { evidence, reviews } = await readGateEvidence(ws, { runsDir, env: io.env, matrix: matrix.rows, fixturesDir, trust, ...(maxAgeDays !== undefined ? { maxAgeDays } : {}) });
      const compareDir = values.compare ? path.resolve(io.cwd, values.compare) : path.join(ws.root, ".cto", "compare");
      const comparisons = await readComparisons(compareDir, { root: ws.root, trust, runsDir, ...(maxAgeDays !== undefined ? { maxAgeDays } : {}) });
      const states = evaluateGates(ws, evidence, { reviews, comparisons });
      const count = (v: EvidenceEntry["verdict"]) => evidence.filter((e) => e.verdict === v).length;
      return {
        root: path.relative(io.cwd, ws.root) || ".",
        runs: runsDir,
        fixtures: fixturesDir,
        current: currentGate(states)?.id ?? null,
        evidence_bundles: evidence.length,
        evidence: { verified: count("verified"), stale: count("stale"), tampered: count("tampered"), unsigned: count("unsigned"), untrusted: count("untrusted"), incomplete: count("incomplete") },
        trusted_keys: { count: trust.keys.length, files: trust.files, problems: trust.problems },
        gates: states.map((g) => ({
          id: g.id,
          state: g.state,
          summary: g.summary,
          record: g.record ? { file: g.record.file, line: g.record.range.line } : null,
          promotion_condition: g.record?.promotionCondition ?? null,
          conditions: g.conditions.map((c) => ({ ok: c.ok, text: c.text, ...(c.link && "bundle" in c.link ? { bundle: c.link.bundle } : {}) })),
          lacks: g.lacks,
          ...(g.progress ? { tasks: progressJson(g.progress) } : {}),
          ...(g.comparison ? { comparison: comparisonJson(g.comparison) } : {}),
        })),
        reviews: reviews.length,
      };
    }),
  );
  if (values.json) io.out(JSON.stringify(out.length === 1 ? out[0] : { workspaces: out }, null, 2));
  else {
    for (const w of out) {
      const e = w.evidence;
      const note = w.evidence_bundles ? ` (${e.verified} verified, ${e.stale} stale, ${e.tampered} tampered, ${e.unsigned} unsigned, ${e.untrusted} untrusted, ${e.incomplete} incomplete)` : "";
      io.out(`${w.root}  (current gate: ${w.current ?? "none — all passed"}; ${w.evidence_bundles} evidence bundle(s) in ${path.relative(io.cwd, w.runs) || "."}${note})`);
      for (const g of w.gates) {
        io.out(`  ${MARK[g.state]} ${g.id.padEnd(24)} ${g.summary}${g.tasks ? (g.tasks.record ? ` — tasks ${g.tasks.passed}/${g.tasks.needed}${g.tasks.reviews_outstanding.length ? `, ${g.tasks.reviews_outstanding.length} review(s) outstanding` : ""}` : " — no task set") : ""}`);
        if (g.state === "open") for (const l of g.lacks) io.out(`      lacks: ${l}`);
        if (g.comparison) for (const l of comparisonLines(g.comparison)) io.out(`      ${l}`);
      }
      for (const p of w.trusted_keys.problems) io.out(`  note: trusted keys: ${p}`);
    }
  }
  return 0;
}

/** The comparison table as JSON (snake_case, like the rest of the output). */
function comparisonJson(t: ComparisonTable) {
  return {
    path: t.path,
    generated_at: t.generatedAt,
    signer: t.signer,
    engines: t.engines,
    tasks: t.tasks,
    cells: t.cells.map((c) => ({ engine: c.engine, task: c.taskId, task_path: c.taskPath, status: c.status, blocker: c.blocker, counts: c.counts, ...(c.why ? { why: c.why } : {}), ...(c.bundle ? { bundle: c.bundle } : {}) })),
    totals: t.engineTotals.map((e) => ({ engine: e.engine, passed: e.passed, tasks: e.tasks, blocker_kinds: e.blockerKinds })),
  };
}

/** The engine × task table, one row per task: status and first blocker per engine; ✗ marks a cell that does not count. */
function comparisonLines(t: ReturnType<typeof comparisonJson>): string[] {
  const head = ["task", ...t.engines];
  const rows = t.tasks.map((task) => [
    task.id,
    ...t.engines.map((e) => {
      const cells = t.cells.filter((c) => c.engine === e && c.task_path === task.path);
      if (cells.length === 0) return "missing";
      return cells.map((c) => `${c.status}${c.blocker ? ` ${c.blocker}` : ""}${c.counts ? "" : " ✗"}`).join(" | ");
    }),
  ]);
  const totals = ["passed", ...t.engines.map((e) => { const x = t.totals.find((y) => y.engine === e); return x ? `${x.passed}/${x.tasks}` : "—"; })];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length), totals[i]!.length));
  const line = (cells: string[]) => cells.map((x, i) => x.padEnd(w[i]!)).join("  ").trimEnd();
  return [`comparison ${t.path} (${t.generated_at}, signed by ${t.signer}; ✗ = does not count):`, line(head), ...rows.map(line), line(totals)];
}
