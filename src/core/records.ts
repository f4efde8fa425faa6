// The records CTO-WORK-004..008 define, read from planning docs marked with frontmatter
// `record_type`. Fields are `Key: value` lines (like the issue fields); the failure matrix is
// a markdown table. Parsers return plain data plus located problems; they never throw.
import type { Field, PlanningDoc, Section } from "./model";
import type { Range } from "./types";

export const GATE_IDS = [
  "gated-engine",
  "artificial-fixture",
  "copied-repo-fixture",
  "disposable-sandbox-repo",
  "owned-noncritical-repo",
  "candidate-default",
] as const;
export type GateId = (typeof GATE_IDS)[number];

export const RECORD_TYPES = ["evidence-interface", "source-admission", "eligibility-decision", "failure-matrix", "stage-gates", "task-set"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export interface Problem {
  message: string;
  range: Range;
}

export function recordType(doc: PlanningDoc): string | undefined {
  const t = doc.frontmatter.data?.record_type;
  return typeof t === "string" ? t : undefined;
}

/** First field with this key (case-insensitive) anywhere in the doc, or in one section. */
export function findField(doc: PlanningDoc | Section, key: string): Field | undefined {
  const k = key.toLowerCase();
  const sections = "sections" in doc ? doc.sections : [doc];
  for (const s of sections) for (const f of s.fields) if (f.key.toLowerCase() === k) return f;
  return undefined;
}

/** Field values with backticks removed. */
export function plain(value: string | undefined): string {
  // (a table row may hold fewer cells than its header: the cell is then empty, not a crash)
  return (value ?? "").replace(/`/g, "").trim();
}

function requireFields(doc: PlanningDoc | Section, keys: string[], where: Range, problems: Problem[], what: string): Record<string, Field> {
  const out: Record<string, Field> = {};
  const missing: string[] = [];
  for (const key of keys) {
    const f = findField(doc, key);
    if (!f || (plain(f.value) === "" && f.items.length === 0)) missing.push(key);
    else out[key] = f;
  }
  if (missing.length > 0) problems.push({ message: `${what} lacks ${missing.map((k) => `'${k}:'`).join(", ")}`, range: where });
  return out;
}

function anchor(doc: PlanningDoc): Range {
  return doc.sections.find((s) => s.level === 1)?.headingRange ?? { line: 1, column: 1, endLine: 1, endColumn: 4 };
}

// ---------------------------------------------------------------- stage gates (CTO-WORK-008)

export const GATE_FIELDS = ["Allowed mutation scope", "Required artifacts", "Validator", "Failure modes", "Promotion condition"];

export interface GateRecord {
  id: GateId;
  section: Section;
  fields: Record<string, Field>;
}

export function parseStageGates(doc: PlanningDoc): { gates: GateRecord[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const gates: GateRecord[] = [];
  const seen: string[] = [];
  for (const s of doc.sections) {
    const m = /^Gate:\s*(\S+)\s*$/i.exec(s.title.trim());
    if (!m) continue;
    const id = m[1].toLowerCase();
    if (!(GATE_IDS as readonly string[]).includes(id)) {
      problems.push({ message: `unknown gate '${id}': the stages are ${GATE_IDS.join(", ")}`, range: s.titleRange });
      continue;
    }
    if (seen.includes(id)) {
      problems.push({ message: `gate '${id}' is recorded twice`, range: s.titleRange });
      continue;
    }
    seen.push(id);
    gates.push({ id: id as GateId, section: s, fields: requireFields(s, GATE_FIELDS, s.titleRange, problems, `gate '${id}'`) });
  }
  const missing = GATE_IDS.filter((g) => !seen.includes(g));
  if (missing.length > 0) problems.push({ message: `stage gate records lack ${missing.map((g) => `'### Gate: ${g}'`).join(", ")}`, range: anchor(doc) });
  const order = seen.filter((g) => (GATE_IDS as readonly string[]).includes(g));
  const expected = GATE_IDS.filter((g) => order.includes(g));
  if (order.join() !== expected.join()) {
    problems.push({ message: `gates are out of order: expected ${expected.join(" → ")}`, range: gates[0]?.section.titleRange ?? anchor(doc) });
  }
  // A rule the gate cannot apply is malformed (a missing one is the gate's to say: it needs one).
  const candidate = gates.find((g) => g.id === "candidate-default");
  const ruled = comparisonRuleOf(candidate);
  if (ruled.problem && candidate && findField(candidate.section, RULE_FIELD)) problems.push(ruled.problem);
  if (!/default status is earned, not assumed/i.test(doc.text.replace(/\s+/g, " "))) {
    problems.push({ message: "stage gate records must state that default status is earned, not assumed", range: anchor(doc) });
  }
  return { gates, problems };
}

// ---------------------------------------------------------------- the candidate-default comparison rule

/** The comparison rules a candidate-default gate record may state (`Comparison rule:`; docs/gates.md). */
export const COMPARISON_RULES = ["pass-rate-then-blockers"] as const;
export type ComparisonRuleId = (typeof COMPARISON_RULES)[number];
export const RULE_FIELD = "Comparison rule";

/** The rule the candidate-default gate record states, or why there is none. */
export function comparisonRuleOf(gate: GateRecord | undefined): { rule?: ComparisonRuleId; problem?: Problem } {
  if (!gate) return {};
  const f = findField(gate.section, RULE_FIELD);
  if (!f || !plain(f.value)) return { problem: { message: `gate 'candidate-default' states no '${RULE_FIELD}:' (known rules: ${COMPARISON_RULES.join(", ")})`, range: gate.section.titleRange } };
  // The rule is the value's first `code span`, else its first word; the rest may explain it.
  const named = (/`([^`]+)`/.exec(f.value) ?? /^\s*(\S+)/.exec(f.value))![1]!.trim();
  const v = named.toLowerCase();
  if (!(COMPARISON_RULES as readonly string[]).includes(v)) return { problem: { message: `unknown comparison rule '${named}' (known rules: ${COMPARISON_RULES.join(", ")})`, range: f.valueRange } };
  return { rule: v as ComparisonRuleId };
}

// ---------------------------------------------------------------- source admission (CTO-WORK-005)

export const ADMISSION_FIELDS = [
  "Source ID",
  "Source URL",
  "Pinned commit",
  "License note",
  "Retrieval date",
  "Retrieval command",
  "Integrity hash",
  "Allowed execution mode",
  "Protected-source boundary",
];

export interface SourceAdmission {
  sourceId: string;
  sourceUrl: string;
  pinnedCommit: string;
  /** Lower-case hex of `sha256:<hex>`, or undefined for a source-lock reference. */
  integritySha256?: string;
  allowedExecutionMode: string;
  updates: { previous: string; next: string; line: number }[];
  fields: Record<string, Field>;
}

export function parseSourceAdmission(doc: PlanningDoc): { record?: SourceAdmission; problems: Problem[] } {
  const problems: Problem[] = [];
  const fields = requireFields(doc, ADMISSION_FIELDS, anchor(doc), problems, "source admission record");
  const get = (k: string) => (fields[k] ? plain(fields[k].value) : "");
  const hash = fields["Integrity hash"];
  let integritySha256: string | undefined;
  if (hash) {
    const m = /^sha256:([0-9a-fA-F]{64})$/.exec(plain(hash.value));
    if (m) integritySha256 = m[1].toLowerCase();
    else if (!/^source-lock:\S+/.test(plain(hash.value))) problems.push({ message: "Integrity hash must be `sha256:<64 hex>` or `source-lock:<reference>`", range: hash.valueRange });
  }
  const commit = fields["Pinned commit"];
  if (commit && !/^([0-9a-f]{7,40}|v?\d[\w.-]*|[\w.-]+@[\w.-]+)$/i.test(get("Pinned commit"))) {
    problems.push({ message: "Pinned commit must be a commit hash or a tag", range: commit.valueRange });
  }
  const date = fields["Retrieval date"];
  if (date && !/^\d{4}-\d{2}-\d{2}$/.test(get("Retrieval date"))) problems.push({ message: "Retrieval date must be YYYY-MM-DD", range: date.valueRange });
  const updates = parseTable(doc, ["date", "previous source id", "new source id", "reason"]);
  if (!updates) problems.push({ message: "source admission record lacks the '| Date | Previous source ID | New source ID | Reason |' update table", range: anchor(doc) });
  const record: SourceAdmission | undefined =
    problems.length === 0
      ? {
          sourceId: get("Source ID"),
          sourceUrl: get("Source URL"),
          pinnedCommit: get("Pinned commit"),
          ...(integritySha256 ? { integritySha256 } : {}),
          allowedExecutionMode: get("Allowed execution mode"),
          updates: (updates?.rows ?? []).map((r) => ({ previous: plain(r.cells[1]), next: plain(r.cells[2]), line: r.line })),
          fields,
        }
      : undefined;
  return { ...(record ? { record } : {}), problems };
}

// ---------------------------------------------------------------- eligibility decision (CTO-WORK-006)

export const ELIGIBILITY_FIELDS = [
  "Selected backend",
  "Denied backends",
  "Risk class",
  "Required gates",
  "Allowed mutation mode",
  "Reasons",
  "Escalation path",
  "Decided by",
];

export interface EligibilityDecision {
  selected: string;
  denied: string[];
  requiredGates: string[];
  allowedMutationMode: string;
  decidedBy: string;
  fields: Record<string, Field>;
}

export function parseEligibility(doc: PlanningDoc): { record?: EligibilityDecision; problems: Problem[] } {
  const problems: Problem[] = [];
  const fields = requireFields(doc, ELIGIBILITY_FIELDS, anchor(doc), problems, "eligibility decision");
  const get = (k: string) => (fields[k] ? plain(fields[k].value) : "");
  const list = (k: string) => get(k).split(/[,;]\s*/).map((s) => s.trim()).filter((s) => s && !/^none$/i.test(s));
  const selected = get("Selected backend").toLowerCase();
  const decidedBy = get("Decided by");
  if (fields["Decided by"] && selected && new RegExp(`\\b${selected.replace(/[^\w-]/g, "")}\\b`, "i").test(decidedBy)) {
    problems.push({ message: `the decision selecting '${selected}' is made by '${decidedBy}': a backend cannot select its own authority`, range: fields["Decided by"].valueRange });
  }
  const gates = list("Required gates");
  for (const g of gates) {
    if (!(GATE_IDS as readonly string[]).includes(g) && fields["Required gates"]) {
      problems.push({ message: `unknown gate '${g}' in Required gates`, range: fields["Required gates"].valueRange });
    }
  }
  const record: EligibilityDecision | undefined =
    problems.length === 0
      ? { selected, denied: list("Denied backends"), requiredGates: gates, allowedMutationMode: get("Allowed mutation mode"), decidedBy, fields }
      : undefined;
  return { ...(record ? { record } : {}), problems };
}

// ---------------------------------------------------------------- evidence interface (CTO-WORK-004)

export const EVIDENCE_FIELDS = ["Required artifacts", "Report fields", "Digests", "Freshness proof", "Fail-closed semantics", "Exit behavior", "Approval events"];
const REQUIRED_ARTIFACTS = ["report.json", "report.md", "events.normalized.jsonl", "patch.diff", "test.log", "trace.jsonl"];
const APPROVAL_EVENTS = ["approval.requested", "approval.granted", "approval.denied"];

export function parseEvidenceInterface(doc: PlanningDoc): { problems: Problem[] } {
  const problems: Problem[] = [];
  const fields = requireFields(doc, EVIDENCE_FIELDS, anchor(doc), problems, "evidence interface");
  const arts = fields["Required artifacts"];
  const missingArts = arts ? REQUIRED_ARTIFACTS.filter((a) => !arts.value.includes(a)) : [];
  if (arts && missingArts.length > 0) problems.push({ message: `Required artifacts lacks ${missingArts.join(", ")}`, range: arts.valueRange });
  const ev = fields["Approval events"];
  const missingEv = ev ? APPROVAL_EVENTS.filter((a) => !ev.value.includes(a)) : [];
  if (ev && missingEv.length > 0) problems.push({ message: `Approval events lacks ${missingEv.join(", ")}`, range: ev.valueRange });
  return { problems };
}

// ---------------------------------------------------------------- failure matrix (CTO-WORK-007)

export const MATRIX_HEADER = ["fixture", "blocker id", "characteristic event", "status", "exit"];
/** The rows CTO-WORK-007 requires by name. */
export const REQUIRED_MATRIX_ROWS = [
  "no diff",
  "disallowed file",
  "failed tests",
  "missing test command",
  "missing event",
  "reviewer reject",
  "approval denied",
  "timeout",
  "dirty starting tree",
  "dirty ending tree",
  "artifact write failure",
  "provider unavailable",
];

export interface MatrixRow {
  fixture: string;
  blocker: string | null;
  event: string;
  status: "pass" | "fail" | "blocked" | "error";
  exit: number;
  line: number;
}

export function parseFailureMatrix(doc: PlanningDoc): { rows: MatrixRow[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const table = parseTable(doc, MATRIX_HEADER);
  if (!table) {
    problems.push({ message: `failure matrix lacks a table headed '| ${MATRIX_HEADER.join(" | ")} |'`, range: anchor(doc) });
    return { rows: [], problems };
  }
  const rows: MatrixRow[] = [];
  for (const r of table.rows) {
    const [fixture, blocker, event, status, exit] = r.cells.map(plain);
    const where = { line: r.line, column: 1, endLine: r.line, endColumn: doc.lines.lineText(r.line).length + 1 };
    const exitNum = Number(exit);
    if (!["pass", "fail", "blocked", "error"].includes(status)) problems.push({ message: `row '${fixture}': status must be pass, fail, blocked or error`, range: where });
    else if (!Number.isInteger(exitNum) || exitNum < 0 || exitNum > 255) problems.push({ message: `row '${fixture}': exit must be a number 0-255`, range: where });
    else if (!/^[\w.]+$/.test(event ?? "")) problems.push({ message: `row '${fixture}': characteristic event must be an event name`, range: where });
    else {
      const none = !blocker || /^[—–-]$/.test(blocker);
      if (!none && !/^[a-z_]+$/.test(blocker)) problems.push({ message: `row '${fixture}': blocker id must be snake_case or —`, range: where });
      else rows.push({ fixture, blocker: none ? null : blocker, event, status: status as MatrixRow["status"], exit: exitNum, line: r.line });
    }
  }
  const names = new Set(rows.map((r) => r.fixture.toLowerCase()));
  const missing = REQUIRED_MATRIX_ROWS.filter((n) => !names.has(n));
  if (missing.length > 0) problems.push({ message: `failure matrix lacks rows: ${missing.join(", ")}`, range: { line: table.headerLine, column: 1, endLine: table.headerLine, endColumn: 2 } });
  return { rows, problems };
}

/** The first markdown table whose header cells equal `header` (case-insensitive). */
export function parseTable(doc: PlanningDoc, header: string[]): { headerLine: number; rows: { cells: string[]; line: number }[] } | undefined {
  const want = header.map((h) => h.toLowerCase()).join("|");
  let fence = false;
  for (let line = doc.bodyStartLine; line <= doc.lines.lineCount; line++) {
    const text = doc.lines.lineText(line);
    if (/^ {0,3}(```|~~~)/.test(text)) fence = !fence;
    if (fence || !text.trim().startsWith("|")) continue;
    if (splitRow(text).map((c) => c.toLowerCase()).join("|") !== want) continue;
    const rows: { cells: string[]; line: number }[] = [];
    for (let l = line + 2; l <= doc.lines.lineCount; l++) {
      const t = doc.lines.lineText(l);
      if (!t.trim().startsWith("|")) break;
      rows.push({ cells: splitRow(t), line: l });
    }
    return { headerLine: line, rows };
  }
  return undefined;
}

function splitRow(text: string): string[] {
  const t = text.trim().replace(/^\|/, "").replace(/\|$/, "");
  return t.split("|").map((c) => c.trim());
}
