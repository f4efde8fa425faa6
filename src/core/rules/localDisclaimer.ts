// local-disclaimer: the body says it is local planning with no Core authority.
import type { PlanningDoc } from "../model";
import type { TextEdit } from "../types";
import { docAnchor, type Rule } from "./context";

export const DISCLAIMER = ["Local planning SOT only.", "Not a Core Protocol.", "Not active Core authority."];

export const localDisclaimer: Rule = {
  id: "local-disclaimer",
  description: "The body holds the local-planning disclaimer: `Local planning SOT only. Not a Core Protocol. Not active Core authority.`",
  checkDoc(doc, ctx) {
    const bodyStart = doc.lines.starts[doc.bodyStartLine - 1] ?? doc.text.length;
    let missing = DISCLAIMER.filter((s) => doc.text.indexOf(s, bodyStart) === -1);
    if (missing.length > 0) {
      // A sentence wrapped across lines still counts: compare with whitespace collapsed.
      const body = doc.text.slice(bodyStart).replace(/\s+/g, " ");
      missing = missing.filter((s) => !body.includes(s));
    }
    if (missing.length === 0) return;
    const h1 = doc.sections.find((s) => s.level === 1);
    const range = h1?.headingRange ?? docAnchor(doc);
    ctx.report(
      "local-disclaimer",
      doc.path,
      range,
      `the local-planning disclaimer is missing ${missing.map((s) => `'${s}'`).join(", ")}`,
      [{ title: "Insert the local-planning disclaimer", edits: [disclaimerEdit(doc, missing)] }],
    );
  },
};

/** Adds the missing sentences: after the first present one, or as a paragraph under the H1. */
function disclaimerEdit(doc: PlanningDoc, missing: string[]): TextEdit {
  const present = DISCLAIMER.find((s) => !missing.includes(s));
  if (present) {
    for (let line = doc.bodyStartLine; line <= doc.lines.lineCount; line++) {
      const text = doc.lines.lineText(line);
      if (text.includes(present)) {
        const col = text.trimEnd().length + 1;
        return { file: doc.path, range: { line, column: col, endLine: line, endColumn: col }, newText: " " + missing.join(" ") };
      }
    }
  }
  const eol = doc.eol;
  const h1 = doc.sections.find((s) => s.level === 1);
  if (h1) {
    const line = h1.headingRange.line;
    const col = doc.lines.lineText(line).length + 1;
    return { file: doc.path, range: { line, column: col, endLine: line, endColumn: col }, newText: eol + eol + missing.join(" ") };
  }
  const line = Math.min(doc.bodyStartLine, doc.lines.lineCount);
  return { file: doc.path, range: { line, column: 1, endLine: line, endColumn: 1 }, newText: missing.join(" ") + eol + eol };
}
