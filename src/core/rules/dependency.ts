// dependency: every `Blocked by` ID resolves (a doc or WORKBOARD.yaml) and no cycle exists.
import type { Rule } from "./context";

export const dependency: Rule = {
  id: "dependency",
  description: "Every `Blocked by` ID resolves to a doc or a WORKBOARD.yaml entry; no dependency cycles.",
  checkDoc(doc, ctx) {
    const ws = ctx.ws;
    const wb = ws.workboard;
    const graph = ws.graph();
    for (const issue of doc.issues) {
      for (const junk of issue.blockedByJunk) {
        ctx.report("dependency", doc.path, junk.range, `'${junk.value}' is not a CTO-WORK ID: list IDs like CTO-WORK-002, or None`);
      }
      const primary = ws.definitions(issue.id)[0]?.issue === issue;
      const cycle = primary ? graph.cycleOf.get(issue.id) : undefined;
      for (const b of issue.blockedBy) {
        const known = ws.definitions(b.value).length > 0 || wb?.ids.has(b.value);
        if (!known) {
          ctx.report("dependency", doc.path, b.range, `${b.value} is defined in no doc of this workspace and not known from WORKBOARD.yaml`);
        }
        if (cycle) {
          const at = cycle.indexOf(issue.id);
          if (cycle[at + 1] === b.value) {
            ctx.report("dependency", doc.path, b.range, `dependency cycle: ${cycle.join(" \u2192 ")} (each is blocked by the next)`);
          }
        }
      }
    }
  },
};
