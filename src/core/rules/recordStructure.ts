// record-structure: the records of CTO-WORK-004..008 (frontmatter `record_type`) name what
// they must: gate fields per stage, source admission fields, the eligibility decision, the
// failure matrix table, the evidence interface — and task sets (issue 12): their gate, their
// table, and (from the harness's task facts) task files that exist and repos that are clean.
import type { PlanningDoc } from "../model";
import { parseEligibility, parseEvidenceInterface, parseFailureMatrix, parseSourceAdmission, parseStageGates, recordType, RECORD_TYPES, type Problem, type RecordType } from "../records";
import { parseTaskSet, taskFactProblems, taskSetsOf } from "../taskSets";
import type { CtoWorkspace } from "../workspace";
import { fmKey, type Rule } from "./context";

/** The parser that checks each kind of record. */
const CHECKS: Record<RecordType, (doc: PlanningDoc, ws: CtoWorkspace) => { problems: Problem[] }> = {
  "stage-gates": parseStageGates,
  "source-admission": parseSourceAdmission,
  "eligibility-decision": parseEligibility,
  "failure-matrix": parseFailureMatrix,
  "evidence-interface": parseEvidenceInterface,
  "task-set": checkTaskSet,
};

export const recordStructure: Rule = {
  id: "record-structure",
  description: "Records (frontmatter `record_type`) hold their required fields: stage gates, source admission, eligibility decision, failure matrix, evidence interface, task sets.",
  checkDoc(doc, ctx) {
    const type = recordType(doc);
    if (type === undefined) return;
    const check = (CHECKS as Record<string, ((d: PlanningDoc, ws: CtoWorkspace) => { problems: Problem[] }) | undefined>)[type];
    const problems = check
      ? check(doc, ctx.ws).problems
      : [{ message: `unknown record_type '${type}': one of ${RECORD_TYPES.join(", ")}`, range: fmKey(doc, "record_type")!.valueRange }];
    for (const p of problems) ctx.report("record-structure", doc.path, p.range, p.message);
  },
};

/** A task set: its own structure, one record per gate, and what the harness found on disk. */
function checkTaskSet(doc: PlanningDoc, ws: CtoWorkspace): { problems: Problem[] } {
  const set = parseTaskSet(doc);
  const problems = [...set.problems];
  if (set.gate) {
    const others = taskSetsOf(ws).filter((s) => s.gate === set.gate && s.doc.path !== doc.path);
    if (others.length) problems.push({ message: `gate '${set.gate}' has more than one task set (also ${others.map((o) => o.doc.path).join(", ")}): a gate has exactly one`, range: set.gateRange });
  }
  problems.push(...taskFactProblems(ws, set));
  return { problems };
}
