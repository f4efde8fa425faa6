// issue-structure: every CTO-WORK section has its fields and criteria; IDs are unique.
import type { Issue } from "../model";
import type { Rule } from "./context";

export const REQUIRED_FIELDS = ["Type", "Blocked by", "What to build", "Allowed files", "Validator", "Done evidence"];

export const issueStructure: Rule = {
  id: "issue-structure",
  description: "Every CTO-WORK section has Type, Blocked by (or None), What to build, acceptance criteria, Allowed files, Validator, Done evidence; IDs are unique.",
  checkDoc(doc, ctx) {
    for (const issue of doc.issues) {
      const missing = REQUIRED_FIELDS.filter((f) => !field(issue, f));
      const empty = REQUIRED_FIELDS.filter((f) => {
        const x = field(issue, f);
        return x !== undefined && x.value.trim() === "" && x.items.length === 0;
      });
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`lacks ${missing.map((f) => `'${f}:'`).join(", ")}`);
      if (empty.length > 0) parts.push(`has empty ${empty.map((f) => `'${f}:'`).join(", ")}`);
      if (issue.criteria.length === 0) parts.push("has no acceptance criteria ('- [ ] ...')");
      if (parts.length > 0) ctx.report("issue-structure", doc.path, issue.headingRange, `${issue.id} ${parts.join("; ")}`);

      const defs = ctx.ws.definitions(issue.id);
      if (defs.length > 1) {
        const others = defs.filter((d) => d.issue !== issue).map((d) => `${d.doc}:${d.issue.idRange.line}`);
        ctx.report("issue-structure", doc.path, issue.idRange, `${issue.id} is defined more than once (also at ${others.join(", ")})`);
      }
    }
  },
};

function field(issue: Issue, key: string) {
  const k = key.toLowerCase();
  return issue.fields.find((f) => f.key.toLowerCase() === k);
}
