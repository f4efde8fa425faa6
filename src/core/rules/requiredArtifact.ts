// required-artifact: the issue artifact exists and names a PRD (`source:`) that exists.
import { isPlanningDoc } from "../parse";
import { WORKBOARD_FILE } from "../workboard";
import { sourceOf } from "../workspace";
import { docAnchor, fmKey, isIssueArtifact, type Rule } from "./context";

export const requiredArtifact: Rule = {
  id: "required-artifact",
  description: "The PRD and the issue artifact exist; `source:` names an existing PRD inside the workspace.",
  checkWorkspace(ctx) {
    for (const p of ctx.ws.searchProblems) ctx.report("required-artifact", p.path, { line: 1, column: 1, endLine: 1, endColumn: 1 }, p.message);
    const wb = ctx.ws.workboard;
    if (!wb) return;
    if (!ctx.ws.planningDocs().some(isIssueArtifact)) {
      ctx.report(
        "required-artifact",
        WORKBOARD_FILE,
        { line: 1, column: 1, endLine: 1, endColumn: Math.max(2, wb.lines.lineText(1).length + 1) },
        "no issue artifact in this workspace: add a planning doc with `### CTO-WORK-NNN - Title` sections",
      );
    }
    for (const e of wb.entries) {
      if (!e.path) continue;
      const p = e.path.value.replace(/^\.\//, "");
      if (escapes(p)) ctx.report("required-artifact", WORKBOARD_FILE, e.path.range, `path '${p}' points outside the workspace`);
      else if (!ctx.ws.files.has(p)) ctx.report("required-artifact", WORKBOARD_FILE, e.path.range, `'${p}' does not exist`);
    }
  },
  checkDoc(doc, ctx) {
    if (!isPlanningDoc(doc) || !isIssueArtifact(doc)) return;
    const key = fmKey(doc, "source");
    const source = sourceOf(doc);
    if (!key || !source) {
      ctx.report("required-artifact", doc.path, key?.valueRange ?? docAnchor(doc), "the issue artifact names no PRD: add `source: <path of the PRD>` to its frontmatter");
      return;
    }
    if (escapes(source)) {
      ctx.report("required-artifact", doc.path, key.valueRange, `source '${source}' points outside the workspace`);
      return;
    }
    const prd = ctx.ws.docs.get(source);
    if (!ctx.ws.files.has(source)) {
      ctx.report("required-artifact", doc.path, key.valueRange, `the PRD '${source}' does not exist`);
    } else if (prd?.unreadable) {
      ctx.report("required-artifact", doc.path, key.valueRange, `the PRD '${source}' cannot be read: ${prd.unreadable}`);
    }
  },
};

/** Absolute, or climbing out of the workspace root. */
export function escapes(rel: string): boolean {
  if (rel.startsWith("/") || /^[A-Za-z]:/.test(rel)) return true;
  let depth = 0;
  for (const part of rel.split("/")) {
    if (part === "..") depth--;
    else if (part !== "." && part !== "") depth++;
    if (depth < 0) return true;
  }
  return false;
}
