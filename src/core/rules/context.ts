// What a rule sees: the workspace, the options, helpers to look things up, and `report`.
import type { FrontmatterKey, PlanningDoc } from "../model";
import type { Fix, Finding, Range, RuleId, ValidateOptions } from "../types";
import type { CtoWorkspace } from "../workspace";

export interface RuleContext {
  ws: CtoWorkspace;
  options: ValidateOptions;
  /** `detail`: how the finding was reached (the drift rules explain their verdict; shown on hover). */
  report(rule: RuleId, file: string, range: Range, message: string, fixes?: Fix[], detail?: string): void;
}

export interface Rule {
  id: RuleId;
  description: string;
  /** Findings about one doc (only planning docs are passed, plus PRD targets without frontmatter). */
  checkDoc?(doc: PlanningDoc, ctx: RuleContext): void;
  /** Findings not about one doc (WORKBOARD.yaml, the lexicon, the workspace as a whole). */
  checkWorkspace?(ctx: RuleContext): void;
}

export function fmKey(doc: PlanningDoc, key: string): FrontmatterKey | undefined {
  return doc.frontmatter.keys.find((k) => k.key === key);
}

/** Range of the opening `---` line: where doc-level findings without a better place go. */
export function docAnchor(doc: PlanningDoc): Range {
  return doc.frontmatter.present
    ? { line: 1, column: 1, endLine: 1, endColumn: 4 }
    : { line: 1, column: 1, endLine: 1, endColumn: Math.max(2, doc.lines.lineText(1).length + 1) };
}

/** Is this planning doc an issue artifact (has CTO-WORK sections)? */
export function isIssueArtifact(doc: PlanningDoc): boolean {
  return doc.issues.length > 0;
}

/** Is this doc named as `source:` (the PRD) by an issue artifact? */
export function isPrd(doc: PlanningDoc, ws: CtoWorkspace): boolean {
  return ws.docsSourcedBy(doc.path).some((p) => {
    const d = ws.docs.get(p);
    return d !== undefined && isIssueArtifact(d);
  });
}

export type { Finding };
