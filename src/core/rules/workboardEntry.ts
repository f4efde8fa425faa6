// workboard-entry: WORKBOARD.yaml parses and lists the PRD and the issue artifact.
import { isPlanningDoc } from "../parse";
import { entryInsertion, findEntry, WORKBOARD_FILE } from "../workboard";
import { docAnchor, fmKey, isIssueArtifact, isPrd, type Rule } from "./context";

export const workboardEntry: Rule = {
  id: "workboard-entry",
  description: "WORKBOARD.yaml exists, parses, and holds an entry for the PRD and for the issue artifact.",
  checkWorkspace(ctx) {
    for (const e of ctx.ws.workboard?.errors ?? []) ctx.report("workboard-entry", WORKBOARD_FILE, e.range, e.message);
  },
  checkDoc(doc, ctx) {
    if (!isPlanningDoc(doc)) return;
    const kind = isIssueArtifact(doc) ? "issue artifact" : isPrd(doc, ctx.ws) ? "PRD" : undefined;
    if (!kind) return;
    const wb = ctx.ws.workboard;
    if (!wb) {
      ctx.report("workboard-entry", doc.path, docAnchor(doc), `no ${WORKBOARD_FILE} next to this workspace: create one listing the PRD and the issue artifact`);
      return;
    }
    if (wb.errors.length > 0) return; // reported on WORKBOARD.yaml itself
    const nameKey = fmKey(doc, "name");
    const name = typeof nameKey?.value === "string" ? nameKey.value : undefined;
    if (findEntry(wb, doc.path, name)) return;
    const ins = entryInsertion(wb, doc.path, name);
    const at = wb.lines.range(ins.offset, ins.offset);
    ctx.report(
      "workboard-entry",
      doc.path,
      nameKey?.keyRange ?? docAnchor(doc),
      `${WORKBOARD_FILE} has no entry for this ${kind} (by path '${doc.path}'${name ? ` or name '${name}'` : ""})`,
      [{ title: `Add '${doc.path}' to ${WORKBOARD_FILE}`, edits: [{ file: WORKBOARD_FILE, range: at, newText: ins.text }] }],
    );
  },
};
