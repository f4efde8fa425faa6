// `cto gates [PATH] [--runs DIR] [--fixtures DIR] [--max-age-days N] [--json]`: stage gate
// state, reasons and missing evidence, headless — from the records plus the evidence bundles,
// each verified now.
import * as path from "node:path";
import { currentGate, evaluateGates, type TaskSetProgress } from "../../core";
import { loadTrustStore, matrixFromDocs, readGateEvidence, TRUSTED_KEYS_FILE, type EvidenceEntry } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { loadWorkspacesAt } from "../workspaces";
import { evidenceDirOf, fixturesDirOf, workspaceConfig } from "../workspaceConfig";

const HELP = `usage: cto gates [PATH] [--runs DIR] [--fixtures DIR] [--max-age-days N] [--json]

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
      const states = evaluateGates(ws, evidence, { reviews });
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
      }
      for (const p of w.trusted_keys.problems) io.out(`  note: trusted keys: ${p}`);
    }
  }
  return 0;
}
