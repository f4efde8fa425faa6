// `cto gates [PATH] [--runs DIR] [--fixtures DIR] [--max-age-days N] [--json]`: stage gate
// state, reasons and missing evidence, headless — from the records plus the evidence bundles,
// each verified now.
import * as path from "node:path";
import { currentGate, evaluateGates } from "../../core";
import { loadTrustStore, matrixFromDocs, readEvidence, TRUSTED_KEYS_FILE, type EvidenceEntry } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { loadWorkspacesAt } from "../workspaces";
import { evidenceDirOf, fixturesDirOf, workspaceConfig } from "../workspaceConfig";

const HELP = `usage: cto gates [PATH] [--runs DIR] [--fixtures DIR] [--max-age-days N] [--json]

Computes the six stage gates (gated-engine … candidate-default) of the workspaces at, below
or above PATH (default .) from the records and the evidence bundles. Every bundle is
verified now; a gate is passed only on fresh, verified evidence signed by a trusted key
(this machine's, or one in the workspace's ${TRUSTED_KEYS_FILE}), and for a gated engine
run with OS isolation; a bundle that goes stale or fails verification un-passes it.
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
      const evidence: EvidenceEntry[] = await readEvidence(runsDir, { matrix: matrix.rows, fixturesDir, trust, ...(maxAgeDays !== undefined ? { maxAgeDays } : {}) });
      const states = evaluateGates(ws, evidence);
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
        })),
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
        io.out(`  ${MARK[g.state]} ${g.id.padEnd(24)} ${g.summary}`);
        if (g.state === "open") for (const l of g.lacks) io.out(`      lacks: ${l}`);
      }
      for (const p of w.trusted_keys.problems) io.out(`  note: trusted keys: ${p}`);
    }
  }
  return 0;
}
