// "Done is earned" (CONTRACT §5): an issue is done when every acceptance criterion is checked AND
// a signed done record (`cto done`, under .cto/done/) still holds for it. The host (CLI, editor)
// reads and verifies the records — signature, commit ancestry, the issue's files since — and hands
// the core one view per record (`ws.setDoneRecords`). What depends on the doc as it is being
// typed is compared here, in microseconds and without I/O: the issue's section, its criteria and
// its Validator: line must be what the record saw. Re-running validators is never done here.
import { createHash } from "node:crypto";
import type { Issue, PlanningDoc } from "./model";
import type { Range } from "./types";
import { validatorCommand } from "./validatorLine";
import type { CtoWorkspace } from "./workspace";

/** Where done records live, relative to the workspace root (the folder holding WORKBOARD.yaml). */
export const DONE_DIR = ".cto/done";

/** What a verified done record says (the part the core compares with the doc). */
export interface DoneRecordSummary {
  issueId: string;
  /** The commit the validator ran on (HEAD then, with a clean worktree). */
  commit: string;
  /** sha256 (hex) of the issue's section as recorded (see sectionDigest). */
  sectionSha256: string;
  /** The acceptance criteria's texts, every one checked when recorded. */
  criteria: string[];
  argv: string[];
  exitCode: number;
  stdoutSha256: string;
  isolation: string;
  /** Who signed it (the trusted key's name). */
  signer: string;
  recordedAt: string;
  /** The latest `cto done --recheck` of this record, when one ran and matched. */
  recheck?: { at: string; commit: string };
}

/** One `.cto/done/<ID>.json` as the host read it. */
export interface DoneRecordView {
  id: string;
  /** Workspace-relative path of the record file. */
  file: string;
  /** Why it does not count, from the host's checks (signature, commit, files, recheck); empty: it holds so far. */
  problems: string[];
  /** Present when the signed statement could be read and is a done record for this ID. */
  record?: DoneRecordSummary;
}

export type DoneState = "evidenced" | "missing" | "void";

export interface DoneEvidence {
  state: DoneState;
  /** Why it is not evidenced (missing, void). */
  reason?: string;
  record?: DoneRecordSummary;
  /** The record file (workspace-relative), when there is one. */
  file?: string;
}

/** Every criterion of the issue is checked (and it has at least one). */
export function allChecked(issue: Issue): boolean {
  return issue.criteria.length > 0 && issue.criteria.every((c) => c.checked);
}

/** A criterion's text as compared: whitespace collapsed. */
export const criterionKey = (text: string) => text.trim().replace(/\s+/g, " ");

/**
 * The digest a record pins the issue's wording with: the section's lines from its heading to its
 * last line, each without trailing blanks, trailing empty lines dropped, joined with "\n" (so CRLF
 * and LF files agree). Any other edit of the section — a criterion, What to build, the Validator
 * line — changes it.
 */
export function sectionDigest(doc: PlanningDoc, issue: Issue): string {
  const lines: string[] = [];
  for (let l = issue.headingRange.line; l <= issue.endLine; l++) lines.push(doc.lines.lineText(l).trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return createHash("sha256").update(lines.join("\n"), "utf8").digest("hex");
}

const cache = new WeakMap<Issue, { records: unknown; evidence: DoneEvidence }>();

/**
 * The done evidence of a doc-defined issue whose criteria are all checked (undefined otherwise):
 * its record must have been read and verified by the host, and the doc must still say what the
 * record saw.
 */
export function doneEvidence(ws: CtoWorkspace, id: string): DoneEvidence | undefined {
  const def = ws.definitions(id)[0];
  if (!def || !allChecked(def.issue)) return undefined;
  const hit = cache.get(def.issue);
  if (hit && hit.records === ws.doneRecords) return hit.evidence;
  const doc = ws.docs.get(def.doc);
  const evidence = doc ? judge(ws.doneRecords?.get(id), doc, def.issue) : { state: "missing" as const, reason: "its doc is not loaded" };
  cache.set(def.issue, { records: ws.doneRecords, evidence });
  return evidence;
}

function judge(view: DoneRecordView | undefined, doc: PlanningDoc, issue: Issue): DoneEvidence {
  const id = issue.id;
  if (!view) return { state: "missing", reason: `no done record (${DONE_DIR}/${id}.json): run \`cto done ${id}\`` };
  const base = { file: view.file, ...(view.record ? { record: view.record } : {}) };
  if (view.problems.length > 0 || !view.record) return { state: "void", reason: view.problems[0] ?? "the record cannot be read", ...base };
  const r = view.record;
  const now = issue.criteria.map((c) => criterionKey(c.text));
  const then = r.criteria.map(criterionKey);
  const added = now.filter((c) => !then.includes(c));
  const gone = then.filter((c) => !now.includes(c));
  if (added.length > 0 || gone.length > 0) {
    const parts = [...(added.length ? [`${added.length} new or edited: '${clip(added[0]!)}'`] : []), ...(gone.length ? [`${gone.length} no longer there: '${clip(gone[0]!)}'`] : [])];
    return { state: "void", reason: `the acceptance criteria changed since the record (${parts.join("; ")}): run \`cto done ${id}\` again`, ...base };
  }
  const cmd = validatorCommand(issue);
  if (!("argv" in cmd) || cmd.argv.length !== r.argv.length || cmd.argv.some((a, i) => a !== r.argv[i])) {
    return { state: "void", reason: `the Validator: line changed since the record (it ran ${JSON.stringify(r.argv.join(" "))}): run \`cto done ${id}\` again`, ...base };
  }
  if (sectionDigest(doc, issue) !== r.sectionSha256) return { state: "void", reason: `the issue's section changed since the record: run \`cto done ${id}\` again`, ...base };
  return { state: "evidenced", ...base };
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);

/** A glob the issue's `Allowed files:` names, and where. */
export interface ScopeGlob {
  glob: string;
  range: Range;
}

/**
 * The files a done record depends on, from the issue's `Allowed files:`: when the field lists
 * only `code spans` (separated by commas, "and", "or"; on its line or as items below it), those
 * are globs relative to the repository root; anything else (prose such as the seed's "CTO child
 * workspace planning docs … only") names no file exactly, so the scope is every file (null).
 */
export function issueScope(issue: Issue): ScopeGlob[] | null {
  const field = issue.fields.find((f) => f.key.toLowerCase() === "allowed files");
  if (!field) return null;
  const parts = [{ value: field.value, range: field.valueRange }, ...field.items.map((i) => ({ value: i.value, range: i.range }))].filter((p) => p.value.trim() !== "");
  const globs: ScopeGlob[] = [];
  for (const p of parts) {
    const re = /`([^`]+)`/g;
    let rest = p.value;
    for (let m = re.exec(p.value); m; m = re.exec(p.value)) {
      const col = p.range.column + m.index + 1;
      globs.push({ glob: m[1]!.trim(), range: { line: p.range.line, column: col, endLine: p.range.line, endColumn: col + m[1]!.length } });
      rest = rest.replace(m[0], " ");
    }
    // Items may be list entries ("- `src/**`"): the bullet is not prose.
    if (rest.replace(/^\s*[-*+]\s/, "").replace(/\b(and|or)\b/gi, "").replace(/[\s,;.]/g, "") !== "") return null;
  }
  return globs.length > 0 ? globs : null;
}
