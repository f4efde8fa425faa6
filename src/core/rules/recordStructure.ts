// record-structure: the records of CTO-WORK-004..008 (frontmatter `record_type`) name what
// they must: gate fields per stage, source admission fields, the eligibility decision, the
// failure matrix table, the evidence interface.
import { parseEligibility, parseEvidenceInterface, parseFailureMatrix, parseSourceAdmission, parseStageGates, recordType, RECORD_TYPES, type Problem } from "../records";
import { fmKey, type Rule } from "./context";

export const recordStructure: Rule = {
  id: "record-structure",
  description: "Records (frontmatter `record_type`) hold their required fields: stage gates, source admission, eligibility decision, failure matrix, evidence interface.",
  checkDoc(doc, ctx) {
    const type = recordType(doc);
    if (type === undefined) return;
    let problems: Problem[];
    switch (type) {
      case "stage-gates":
        problems = parseStageGates(doc).problems;
        break;
      case "source-admission":
        problems = parseSourceAdmission(doc).problems;
        break;
      case "eligibility-decision":
        problems = parseEligibility(doc).problems;
        break;
      case "failure-matrix":
        problems = parseFailureMatrix(doc).problems;
        break;
      case "evidence-interface":
        problems = parseEvidenceInterface(doc).problems;
        break;
      default:
        problems = [{ message: `unknown record_type '${type}': one of ${RECORD_TYPES.join(", ")}`, range: fmKey(doc, "record_type")!.valueRange }];
    }
    for (const p of problems) ctx.report("record-structure", doc.path, p.range, p.message);
  },
};
