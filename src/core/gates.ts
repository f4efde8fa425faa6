// Stage gate state, computed from the records plus a list of evidence bundles — never assumed.
// Default status is earned: no code path here passes `candidate-default` without a verified
// comparison, and a gate passes only when every one of its conditions holds.
//   gated-engine:        the admission record and the eligibility decision validate, the decision
//                        selects case, and the matrix rows of engine_not_enabled, not_eligible and
//                        self_approval are each reproduced by a fresh, verified bundle (signed by
//                        a trusted key; a gated engine's with OS isolation — unusableReason);
//   artificial-fixture:  the matrix validates and every one of its rows is reproduced so;
//   copied-repo-fixture, disposable-sandbox-repo, owned-noncritical-repo: runs of case on every
//                        task of the gate's task-set record, each with its gate's own conditions
//                        (gateTaskSets.ts);
//   candidate-default:   the newest signed comparison over its task set, every bundle it names
//                        re-verified, judged by the rule its record states (comparison.ts).
import { candidateDefaultConditions, type ComparisonEvidence, type ComparisonTable } from "./comparison";
import type { PlanningDoc } from "./model";
import {
  GATE_IDS,
  parseEligibility,
  parseFailureMatrix,
  parseSourceAdmission,
  parseStageGates,
  recordType,
  type GateId,
  type GateRecord,
  type MatrixRow,
} from "./records";
import { taskSetGateConditions, type ReviewEvidence, type TaskSetProgress } from "./gateTaskSets";
import { comparisonSetsOf } from "./comparisonSet";
import type { Range } from "./types";
import type { CtoWorkspace } from "./workspace";

/** What the gates need to know about one evidence bundle (read and verified by the harness). */
export interface EvidenceBundle {
  runId: string;
  /** Bundle folder, for links. */
  path: string;
  engine: string;
  taskId: string;
  status: "pass" | "fail" | "blocked" | "error";
  blockers: string[];
  /** `cto verify` accepted every digest, the manifest and the signature (a key trusted here). */
  verified: boolean;
  /** The repo HEAD/tree still match and the bundle is within its maximum age. */
  fresh: boolean;
  /** Who signed it, when a key trusted here did; absent: unsigned, untrusted or a bad signature. */
  signer?: string;
  /** The signature's state, to say why a bundle does not count (absent: not known). */
  signature?: "trusted" | "untrusted" | "unsigned" | "bad";
  /** The OS isolation the run had (report.json `isolation`); "none" never counts for a gated engine. */
  isolation: string;
  /** The run's engine is a gated one (report.json `engine.gated`). */
  gated: boolean;
  /** The matrix row the run reproduced, when it came from `cto fixtures`. */
  fixture?: string;
  /** Whether that fixture run matched its expectation. */
  matched?: boolean;
  // What the task-set gates (gateTaskSets.ts) read; absent on data that does not carry them.
  /** report.json `task.sha256` and `task.path`. */
  taskSha256?: string;
  taskPath?: string;
  /** report.json `freshness.base_tree` / `end_tree`. */
  baseTree?: string | null;
  endTree?: string | null;
  /** report.json `changed_files` paths. */
  changedFiles?: string[];
  /** report.json `freshness.sandbox_repo`: the run used a throwaway repo from `cto sandbox-repo create`. */
  sandboxRepo?: { id: string; sourceRepo: string; sourceTree: string };
  /** sha256 of the bundle's attestation.json, as verified now: what a person's review names. */
  attestationSha256?: string;
  /** Event types the run's events carry (first appearances), for the conditions read from them. */
  eventTypes?: string[];
  /** The run's own reviewer: `review.approved` from source `reviewer` and its `by`. */
  runReviewer?: { approved: boolean; by: string };
}

/** More evidence than bundles (issue 12): signed records made beside them, read (and re-verified) by the harness. */
export interface GateInputs {
  /** Reviews by a person (`cto review`, VS Code's Review Patch), each checked by the harness. */
  reviews?: ReviewEvidence[];
  /** Comparison folders (harness readComparisons), for candidate-default. */
  comparisons?: ComparisonEvidence[];
}

export type GateStateName = "locked" | "open" | "passed";

export interface GateCondition {
  ok: boolean;
  text: string;
  /** A record or bundle that satisfies or fails it. */
  link?: { file: string; range?: Range } | { bundle: string };
}

export interface GateState {
  id: GateId;
  state: GateStateName;
  /** One line on why it is in this state. */
  summary: string;
  conditions: GateCondition[];
  /** What evidence it lacks (the failed conditions). */
  lacks: string[];
  record?: { file: string; range: Range; promotionCondition?: string };
  /** A task-set gate's tasks: how many pass, which need runs, the reviews outstanding. */
  progress?: TaskSetProgress;
  /** candidate-default: the engine × task table of the comparison it was judged on. */
  comparison?: ComparisonTable;
  /** gated-engine, artificial-fixture: the failure-matrix rows it needs, each reproduced or not. */
  rows?: MatrixRowProgress[];
}

/** One failure-matrix row a gate needs (gates 1–2), and whether a counting bundle reproduces it. */
export interface MatrixRowProgress {
  fixture: string;
  blocker: string | null;
  ok: boolean;
}

interface Records {
  gates?: { doc: PlanningDoc; list: GateRecord[]; ok: boolean };
  admission?: { doc: PlanningDoc; ok: boolean };
  eligibility?: { doc: PlanningDoc; ok: boolean; selectsCase: boolean };
  matrix?: { doc: PlanningDoc; rows: MatrixRow[]; ok: boolean };
}

function readRecords(ws: CtoWorkspace): Records {
  const r: Records = {};
  for (const doc of ws.planningDocs()) {
    switch (recordType(doc)) {
      case "stage-gates": {
        const p = parseStageGates(doc);
        r.gates = { doc, list: p.gates, ok: p.problems.length === 0 };
        break;
      }
      case "source-admission":
        r.admission = { doc, ok: parseSourceAdmission(doc).problems.length === 0 };
        break;
      case "eligibility-decision": {
        const p = parseEligibility(doc);
        r.eligibility = { doc, ok: p.problems.length === 0, selectsCase: p.record?.selected === "case" };
        break;
      }
      case "failure-matrix": {
        const p = parseFailureMatrix(doc);
        r.matrix = { doc, rows: p.rows, ok: p.problems.length === 0 };
        break;
      }
    }
  }
  return r;
}

/**
 * Why a bundle does not count as evidence, or undefined when it does: it must verify, be fresh,
 * be signed by a trusted key, and — for a gated engine — have run with OS isolation.
 */
export function unusableReason(b: EvidenceBundle): string | undefined {
  if (b.signature === "unsigned") return "unsigned";
  if (b.signature === "untrusted") return "signed by an untrusted key";
  if (!b.verified) return "failing verification";
  if (!b.signer) return "not signed by a trusted key";
  if (!b.fresh) return "stale";
  if (b.gated && b.isolation === "none") return "run without OS isolation (a gated engine)";
  return undefined;
}
const usable = (b: EvidenceBundle) => unusableReason(b) === undefined;
/** The matrix rows (by blocker) that show the gate on the gated engine holds. */
const GATING_BLOCKERS = ["engine_not_enabled", "not_eligible", "self_approval"];
/** Matrix row names compare trimmed, case- and whitespace-insensitively. */
const rowKey = (name: string) => name.trim().replace(/\s+/g, " ").toLowerCase();
export function evaluateGates(ws: CtoWorkspace, evidence: EvidenceBundle[], inputs: GateInputs = {}): GateState[] {
  const rec = readRecords(ws);
  let comparisonTable: ComparisonTable | undefined;
  const docLink = (doc: PlanningDoc | undefined, range?: Range) => (doc ? { link: { file: doc.path, ...(range ? { range } : {}) } } : {});
  const recordCondition = (name: string, r: { doc: PlanningDoc; ok: boolean } | undefined): GateCondition =>
    r ? { ok: r.ok, text: r.ok ? `${name} validates` : `${name} has problems (see the validator)`, ...docLink(r.doc) } : { ok: false, text: `no ${name} in this workspace` };

  // Bundles by matrix row, keyed once (every row condition looks its bundles up here).
  const byRow = new Map<string, EvidenceBundle[]>();
  for (const b of evidence) {
    if (b.fixture === undefined) continue;
    const k = rowKey(b.fixture);
    const list = byRow.get(k);
    if (list) list.push(b);
    else byRow.set(k, [b]);
  }
  /** A matrix row reproduced: a fresh, verified bundle of that row's fixture whose outcome matches the doc's row. */
  const rowCondition = (row: MatrixRow, doc: PlanningDoc): GateCondition => {
    const mine = byRow.get(rowKey(row.fixture)) ?? [];
    const hit = mine.find((b) => usable(b) && b.matched === true);
    const label = `matrix row '${row.fixture}'${row.blocker ? ` (${row.blocker})` : ""}`;
    if (hit) return { ok: true, text: `${label} reproduced by a fresh, verified, signed bundle${hit.signer ? ` (${hit.signer})` : ""}`, link: { bundle: hit.path } };
    const why = new Map<string, number>();
    for (const b of mine) {
      const r = unusableReason(b);
      if (r) why.set(r, (why.get(r) ?? 0) + 1);
    }
    const mismatched = mine.filter((b) => usable(b) && b.matched !== true).length;
    const notes = [
      ...[...why].map(([r, n]) => `${n} bundle(s) ${r} do not count`),
      ...(mismatched > 0 ? [`${mismatched} fresh bundle(s) do not match the row`] : []),
    ];
    return { ok: false, text: `needs a fresh, verified, signed bundle reproducing ${label}${notes.length ? ` (${notes.join("; ")})` : ""}`, ...docLink(doc, { line: row.line, column: 1, endLine: row.line, endColumn: 2 }) };
  };

  const progress = new Map<GateId, TaskSetProgress>();
  // Gates 1–2: which matrix rows each needs, reproduced or not (the view's "rows 15/17").
  const rowProgress = new Map<GateId, MatrixRowProgress[]>();
  const trackRow = (id: GateId, row: MatrixRow, c: GateCondition): GateCondition => {
    const list = rowProgress.get(id) ?? [];
    list.push({ fixture: row.fixture, blocker: row.blocker, ok: c.ok });
    rowProgress.set(id, list);
    return c;
  };
  const conditionsFor = (id: GateId): GateCondition[] => {
    switch (id) {
      case "gated-engine": {
        const out: GateCondition[] = [
          recordCondition("source admission record", rec.admission),
          recordCondition("eligibility decision", rec.eligibility),
        ];
        if (rec.eligibility?.ok) out.push({ ok: rec.eligibility.selectsCase, text: rec.eligibility.selectsCase ? "eligibility decision selects case" : "eligibility decision does not select case", ...docLink(rec.eligibility.doc) });
        if (!rec.matrix) out.push({ ok: false, text: "no failure fixture matrix in this workspace: the gating rows cannot be reproduced" });
        else
          for (const blocker of GATING_BLOCKERS) {
            const rows = rec.matrix.rows.filter((r) => r.blocker === blocker);
            if (rows.length === 0) out.push({ ok: false, text: `the failure fixture matrix has no row for ${blocker}`, ...docLink(rec.matrix.doc) });
            for (const row of rows) out.push(trackRow(id, row, rowCondition(row, rec.matrix.doc)));
          }
        return out;
      }
      case "artificial-fixture": {
        const out: GateCondition[] = [recordCondition("failure fixture matrix", rec.matrix)];
        for (const row of rec.matrix?.rows ?? []) out.push(trackRow(id, row, rowCondition(row, rec.matrix!.doc)));
        return out;
      }
      case "copied-repo-fixture":
      case "disposable-sandbox-repo":
      case "owned-noncritical-repo": {
        const r = taskSetGateConditions(ws, id, evidence, inputs.reviews ?? []);
        progress.set(id, r.progress);
        return r.conditions;
      }
      case "candidate-default": {
        const gate = rec.gates?.list.find((g) => g.id === "candidate-default");
        const r = candidateDefaultConditions({ root: ws.root, ...(gate ? { gate } : {}), ...(rec.gates ? { gateDoc: rec.gates.doc.path } : {}), sets: comparisonSetsOf(ws), comparisons: inputs.comparisons ?? [] });
        comparisonTable = r.table;
        return r.conditions;
      }
    }
  };

  const states: GateState[] = [];
  let blocked = false;
  for (const id of GATE_IDS) {
    const record = rec.gates?.list.find((g) => g.id === id);
    const conditions: GateCondition[] = [
      record
        ? { ok: Object.keys(record.fields).length === 5, text: `gate record names scope, artifacts, validator, failure modes and promotion condition`, ...docLink(rec.gates?.doc, record.section.titleRange) }
        : { ok: false, text: `no '### Gate: ${id}' record` },
      ...conditionsFor(id),
    ];
    const lacks = conditions.filter((c) => !c.ok).map((c) => c.text);
    const passed = !blocked && lacks.length === 0;
    const state: GateStateName = blocked ? "locked" : passed ? "passed" : "open";
    const previous = states[states.length - 1];
    states.push({
      id,
      state,
      summary: state === "locked" ? `locked until ${previous?.id ?? "the previous gate"} passes` : state === "passed" ? "passed: every condition holds on fresh, verified evidence" : `open: ${lacks.length} condition(s) unmet`,
      conditions,
      lacks,
      ...(record && rec.gates
        ? { record: { file: rec.gates.doc.path, range: record.section.titleRange, ...(record.fields["Promotion condition"] ? { promotionCondition: record.fields["Promotion condition"].value } : {}) } }
        : {}),
      ...(progress.has(id) ? { progress: progress.get(id)! } : {}),
      ...(id === "candidate-default" && comparisonTable ? { comparison: comparisonTable } : {}),
      ...(rowProgress.has(id) ? { rows: rowProgress.get(id)! } : {}),
    });
    if (!passed) blocked = true;
  }
  return states;
}

/** The first gate not passed (the one being worked on), or undefined when all passed. */
export function currentGate(states: GateState[]): GateState | undefined {
  return states.find((s) => s.state !== "passed");
}
