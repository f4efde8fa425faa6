// done-evidence: an issue whose acceptance criteria are all checked needs a done record that still
// holds (CONTRACT §5: "checked, not evidenced" otherwise). The records are read and verified by
// the host; this rule only compares them with the doc as typed (src/core/done.ts) — it never runs
// a validator.
import { doneEvidence } from "../done";
import type { Rule } from "./context";

export const doneEvidenceRule: Rule = {
  id: "done-evidence",
  description: "An issue whose acceptance criteria are all checked has a signed done record (`cto done`) that still holds: same commit history and issue files, same section, criteria and Validator line, a trusted signature.",
  checkDoc(doc, ctx) {
    for (const issue of doc.issues) {
      // Duplicates are issue-structure's; the first definition is the issue.
      if (ctx.ws.definitions(issue.id)[0]?.issue !== issue) continue;
      const ev = doneEvidence(ctx.ws, issue.id);
      if (!ev || ev.state === "evidenced") continue;
      const field = issue.fields.find((f) => f.key.toLowerCase() === "done evidence");
      ctx.report("done-evidence", doc.path, field?.keyRange ?? issue.headingRange, `${issue.id} is checked, not evidenced: ${ev.reason}`);
    }
  },
};
