// record-structure: the records of CTO-WORK-004..008 (frontmatter `record_type`) name what
// they must: gate fields per stage, source admission fields, the eligibility decision, the
// failure matrix table, the evidence interface.
import type { PlanningDoc } from "../model";
import { parseEligibility, parseEvidenceInterface, parseFailureMatrix, parseSourceAdmission, parseStageGates, recordType, RECORD_TYPES, type Problem, type RecordType } from "../records";
import { fmKey, type Rule } from "./context";

/** The parser that checks each kind of record. */
const CHECKS: Record<RecordType, (doc: PlanningDoc) => { problems: Problem[] }> = {
  "stage-gates": parseStageGates,
  "source-admission": parseSourceAdmission,
  "eligibility-decision": parseEligibility,
  "failure-matrix": parseFailureMatrix,
  "evidence-interface": parseEvidenceInterface,
};

export const recordStructure: Rule = {
  id: "record-structure",
  description: "Records (frontmatter `record_type`) hold their required fields: stage gates, source admission, eligibility decision, failure matrix, evidence interface.",
  checkDoc(doc, ctx) {
    const type = recordType(doc);
    if (type === undefined) return;
    const check = (CHECKS as Record<string, ((d: PlanningDoc) => { problems: Problem[] }) | undefined>)[type];
    const problems = check
      ? check(doc).problems
      : [{ message: `unknown record_type '${type}': one of ${RECORD_TYPES.join(", ")}`, range: fmKey(doc, "record_type")!.valueRange }];
    for (const p of problems) ctx.report("record-structure", doc.path, p.range, p.message);
  },
};
