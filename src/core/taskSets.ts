// Task sets (CONTRACT §5, issue 12): a planning doc with `record_type: task-set` and
// `gate: <gate id>` lists, in a table, the tasks a gate needs runs of:
//
//   | task | task file | repo |
//   | --- | --- | --- |
//   | add-subtract | tasks/add-subtract.yaml | repos/calc |
//
// `task` is the task file's `id:`, `task file` and `repo` are paths relative to the workspace
// root (the task file must lie inside it; the repo is the folder the task file's `repo:`
// resolves to, anywhere). What cannot be read from the doc alone — does the task file exist and
// parse, what are its digest and its repo's base tree, is the repo clean — are TaskFacts, read by
// the harness (src/harness/taskFacts.ts, git read without running git in the repo) and set on the
// workspace (CtoWorkspace.setTaskFacts). The core stays pure: it only compares.
import * as path from "node:path";
import type { PlanningDoc } from "./model";
import { GATE_IDS, recordType, type GateId, type Problem } from "./records";
import type { Range } from "./types";
import type { CtoWorkspace } from "./workspace";

/** The gates whose evidence is runs on a task set (the first two use the failure matrix). */
export const TASK_SET_GATES = ["copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo", "candidate-default"] as const satisfies readonly GateId[];
export type TaskSetGate = (typeof TASK_SET_GATES)[number];

export const TASK_SET_HEADER = ["task", "task file", "repo"];
/** The task ids the harness accepts (task.ts). */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface TaskSetRow {
  /** The task file's `id:`, as the record writes it. */
  task: string;
  /** Workspace-relative posix path of the task file. */
  file: string;
  /** The repo as the record writes it (relative to the workspace root, or absolute). */
  repo: string;
  line: number;
  taskRange: Range;
  fileRange: Range;
  repoRange: Range;
}

export interface TaskSet {
  doc: PlanningDoc;
  /** The gate it is for, when `gate:` names one that takes a task set. */
  gate?: TaskSetGate;
  gateRange: Range;
  rows: TaskSetRow[];
  problems: Problem[];
}

/** What the harness read about one task file and its repo (everything optional: fail closed). */
export interface TaskFacts {
  /** Workspace-relative posix path of the task file (the key). */
  file: string;
  /** Why the task file cannot be used: it does not exist, cannot be read, or is invalid. */
  problem?: string;
  id?: string;
  /** SHA-256 (hex) of the task file's bytes: what a bundle's `task.sha256` must equal. */
  sha256?: string;
  /** The task's repo as the task file resolves it (absolute). */
  repo?: string;
  repoKind?: "git" | "plain";
  /** The repo's base tree now (a git repo's HEAD tree, a plain folder's content tree). */
  baseTree?: string;
  head?: string;
  /** Why the repo cannot be used at all (missing, refused). */
  repoProblem?: string;
  /** Why the repo is not a clean start (uncommitted changes, no commit): a run would be dirty_start. */
  repoDirty?: string;
  allowedFiles?: string[];
}

/** Parses a task-set record; never throws. */
export function parseTaskSet(doc: PlanningDoc): TaskSet {
  const problems: Problem[] = [];
  const fmGate = doc.frontmatter.keys.find((k) => k.key === "gate");
  const fmType = doc.frontmatter.keys.find((k) => k.key === "record_type");
  const gateRange = fmGate?.valueRange ?? fmType?.valueRange ?? { line: 1, column: 1, endLine: 1, endColumn: 4 };
  const raw = doc.frontmatter.data?.gate;
  let gate: TaskSetGate | undefined;
  if (raw === undefined || raw === null || raw === "") problems.push({ message: `a task set names its gate in the frontmatter: 'gate: <one of ${TASK_SET_GATES.join(", ")}>'`, range: gateRange });
  else if (typeof raw !== "string") problems.push({ message: "'gate:' must be a gate id (a string)", range: gateRange });
  else if (!(GATE_IDS as readonly string[]).includes(raw)) problems.push({ message: `unknown gate '${raw}': the stages are ${GATE_IDS.join(", ")}`, range: gateRange });
  else if (!(TASK_SET_GATES as readonly string[]).includes(raw)) problems.push({ message: `gate '${raw}' takes no task set: its evidence is the failure fixture matrix (task sets are for ${TASK_SET_GATES.join(", ")})`, range: gateRange });
  else gate = raw as TaskSetGate;

  const rows: TaskSetRow[] = [];
  const table = tableWithCells(doc, TASK_SET_HEADER);
  if (!table) {
    problems.push({ message: `a task set lacks its table headed '| ${TASK_SET_HEADER.join(" | ")} |'`, range: anchorOf(doc) });
    return { doc, ...(gate ? { gate } : {}), gateRange, rows, problems };
  }
  const byId = new Map<string, TaskSetRow>();
  const byFile = new Map<string, TaskSetRow>();
  for (const r of table.rows) {
    if (r.cells.length !== 3) {
      problems.push({ message: `row has ${r.cells.length} cell(s); a task-set row is '| task | task file | repo |'`, range: r.lineRange });
      continue;
    }
    const [t, f, p] = r.cells as [Cell, Cell, Cell];
    const empty = [t, f, p].findIndex((c) => c.text === "");
    if (empty >= 0) {
      problems.push({ message: `the '${TASK_SET_HEADER[empty]}' cell is empty`, range: [t, f, p][empty]!.range });
      continue;
    }
    let bad = false;
    if (!TASK_ID.test(t.text)) {
      problems.push({ message: `'${t.text}' is not a task id (letters, digits, '.', '_', '-'; as in the task file's id:)`, range: t.range });
      bad = true;
    }
    const fileWhy = taskFilePathProblem(f.text);
    if (fileWhy) {
      problems.push({ message: `task file '${f.text}' ${fileWhy}`, range: f.range });
      bad = true;
    }
    if (p.text.includes("\0")) {
      problems.push({ message: "the repo path holds a NUL character", range: p.range });
      bad = true;
    }
    if (bad) continue;
    const row: TaskSetRow = { task: t.text, file: path.posix.normalize(f.text.replace(/^(\.\/)+/, "")), repo: p.text, line: r.line, taskRange: t.range, fileRange: f.range, repoRange: p.range };
    const dupId = byId.get(row.task);
    const dupFile = byFile.get(row.file);
    if (dupId) problems.push({ message: `task '${row.task}' is listed twice (also on line ${dupId.line}): each task counts once`, range: row.taskRange });
    else if (dupFile) problems.push({ message: `task file '${row.file}' is listed twice (also on line ${dupFile.line})`, range: row.fileRange });
    else {
      byId.set(row.task, row);
      byFile.set(row.file, row);
      rows.push(row);
    }
  }
  if (table.rows.length === 0) problems.push({ message: "the task set lists no task: a gate cannot be earned on an empty set", range: table.headerRange });
  return { doc, ...(gate ? { gate } : {}), gateRange, rows, problems };
}

/** Why a task-file path cannot be used, or undefined: relative, posix, inside the workspace. */
export function taskFilePathProblem(p: string): string | undefined {
  if (p.includes("\0")) return "holds a NUL character";
  if (p.includes("\\")) return "must use '/' as the separator";
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p)) return "must be relative to the workspace root";
  const norm = path.posix.normalize(p);
  if (norm === ".." || norm.startsWith("../")) return "climbs out of the workspace with '..': keep task files inside it";
  if (norm === "." || norm.endsWith("/")) return "names a folder, not a task file";
  return undefined;
}

/** Every task-set record of the workspace. */
export function taskSetsOf(ws: CtoWorkspace): TaskSet[] {
  return ws
    .planningDocs()
    .filter((d) => recordType(d) === "task-set")
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(parseTaskSet);
}

/** The task set of a gate: exactly one record may name it. */
export function taskSetOf(ws: CtoWorkspace, gate: TaskSetGate): { set?: TaskSet; all: TaskSet[] } {
  const all = taskSetsOf(ws).filter((s) => s.gate === gate);
  return { ...(all.length === 1 ? { set: all[0] } : {}), all };
}

/** The repo a row names, absolute (the record's paths are relative to the workspace root). */
export function rowRepo(ws: CtoWorkspace, row: TaskSetRow): string {
  return path.resolve(ws.root, row.repo);
}

/**
 * Problems with a task set that need the harness's facts: the task file missing or invalid, its
 * id or repo not the row's, its repo missing or dirty. A row without facts (nobody read the
 * files yet) gets no finding here; the gates never count such a task.
 */
export function taskFactProblems(ws: CtoWorkspace, set: TaskSet): Problem[] {
  const out: Problem[] = [];
  for (const row of set.rows) {
    const f = ws.taskFacts.get(row.file);
    if (!f) continue;
    if (f.problem) {
      out.push({ message: `task file '${row.file}' ${f.problem}`, range: row.fileRange });
      continue;
    }
    if (f.id !== undefined && f.id !== row.task) out.push({ message: `task file '${row.file}' has id '${f.id}', not '${row.task}'`, range: row.taskRange });
    const declared = rowRepo(ws, row);
    if (f.repo !== undefined && path.resolve(f.repo) !== declared) out.push({ message: `task file '${row.file}' runs on repo ${f.repo}, not ${declared} (the row's repo)`, range: row.repoRange });
    else if (f.repoProblem) out.push({ message: `repo '${row.repo}' ${f.repoProblem}`, range: row.repoRange });
    else if (f.repoDirty) out.push({ message: `repo '${row.repo}' is not a clean start: ${f.repoDirty} — a run would be blocked (dirty_start); commit or stash first`, range: row.repoRange });
  }
  return out;
}

// ------------------------------------------------------------------------------ tables

interface Cell {
  text: string;
  range: Range;
}

/** The first table headed `header` (case-insensitive), every cell with its exact range. */
function tableWithCells(doc: PlanningDoc, header: string[]): { headerRange: Range; rows: { line: number; lineRange: Range; cells: Cell[] }[] } | undefined {
  const want = header.map((h) => h.toLowerCase()).join("|");
  let fence = false;
  for (let line = doc.bodyStartLine; line <= doc.lines.lineCount; line++) {
    const text = doc.lines.lineText(line);
    if (/^ {0,3}(```|~~~)/.test(text)) fence = !fence;
    if (fence || !text.trim().startsWith("|")) continue;
    if (cellsOf(text, line).map((c) => c.text.toLowerCase()).join("|") !== want) continue;
    const rows: { line: number; lineRange: Range; cells: Cell[] }[] = [];
    for (let l = line + 2; l <= doc.lines.lineCount; l++) {
      const t = doc.lines.lineText(l);
      if (!t.trim().startsWith("|")) break;
      rows.push({ line: l, lineRange: { line: l, column: 1, endLine: l, endColumn: t.length + 1 }, cells: cellsOf(t, l) });
    }
    return { headerRange: { line, column: 1, endLine: line, endColumn: text.length + 1 }, rows };
  }
  return undefined;
}

/** Cells of a `| a | b |` line: text trimmed and unquoted (backticks), range of the trimmed text. */
function cellsOf(text: string, line: number): Cell[] {
  const pipes: number[] = [];
  for (let i = 0; i < text.length; i++) if (text[i] === "|" && text[i - 1] !== "\\") pipes.push(i);
  const out: Cell[] = [];
  const last = text.trimEnd().endsWith("|") ? pipes.length - 1 : pipes.length;
  for (let k = 0; k < last; k++) {
    const from = pipes[k]! + 1;
    const to = k + 1 < pipes.length ? pipes[k + 1]! : text.length;
    const raw = text.slice(from, to);
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    // An empty cell is located on its whitespace (between its pipes).
    const startCol = trimmed ? from + lead + 1 : from + 1;
    const width = trimmed ? trimmed.length : Math.max(1, raw.length);
    out.push({ text: trimmed.replace(/^`([^`]*)`$/, "$1").trim(), range: { line, column: startCol, endLine: line, endColumn: startCol + width } });
  }
  return out;
}

function anchorOf(doc: PlanningDoc): Range {
  return doc.sections.find((s) => s.level === 1)?.headingRange ?? { line: 1, column: 1, endLine: 1, endColumn: 4 };
}
