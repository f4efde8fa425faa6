// The candidate-default comparison set: the task-set record (CONTRACT §5; `record_type: task-set`,
// `gate: candidate-default`) whose tasks `cto compare` runs every engine on. Its table is the
// task-set record's (the `gates` branch's src/core/taskSets.ts owns the full record: validation
// by record-structure with located errors, task facts read by the harness):
//   | task | task file | repo |
//   | --- | --- | --- |
//   | add-subtract | tasks/add-subtract.yaml | repos/calc |
// paths relative to the workspace root. This is the minimal reader the comparison needs until
// both branches meet; then it reads through taskSetOf(ws, "candidate-default") instead.
import type { PlanningDoc } from "./model";
import { parseTable, plain, recordType, type Problem } from "./records";
import type { CtoWorkspace } from "./workspace";

export const COMPARISON_SET_GATE = "candidate-default";
const HEADER = ["task", "task file", "repo"];

export interface ComparisonSetTask {
  /** The task file's id, as the record writes it. */
  id: string;
  /** Workspace-relative, posix. */
  file: string;
  repo: string;
  line: number;
}

export interface ComparisonSet {
  doc: PlanningDoc;
  tasks: ComparisonSetTask[];
  problems: Problem[];
}

const gateOf = (doc: PlanningDoc) => {
  const g = doc.frontmatter.data?.gate;
  return typeof g === "string" ? g.trim() : undefined;
};

/**
 * The set as the record writes it. Whether each task file exists, parses and has the digest the
 * comparison names is read by the harness (comparisonEvidence.ts: a task it cannot read is a
 * task whose digest changed), never from the editor's file list.
 */
export function parseComparisonSet(doc: PlanningDoc): ComparisonSet {
  const problems: Problem[] = [];
  const anchor = doc.sections.find((s) => s.level === 1)?.headingRange ?? { line: 1, column: 1, endLine: 1, endColumn: 4 };
  const table = parseTable(doc, HEADER);
  const tasks: ComparisonSetTask[] = [];
  if (!table) problems.push({ message: `a task set lacks its table headed '| ${HEADER.join(" | ")} |'`, range: anchor });
  for (const r of table?.rows ?? []) {
    const where = { line: r.line, column: 1, endLine: r.line, endColumn: doc.lines.lineText(r.line).length + 1 };
    const [id, rawFile, repo] = r.cells.map(plain);
    const file = (rawFile ?? "").replace(/^(\.\/)+/, "").replace(/\/{2,}/g, "/");
    if (r.cells.length !== 3 || !id || !file || !repo) {
      problems.push({ message: "a task-set row is '| task | task file | repo |', every cell filled", range: where });
      continue;
    }
    if (file.startsWith("/") || file.includes("\\") || file.split("/").includes("..")) {
      problems.push({ message: `task file '${file}' must be a path inside the workspace, relative to its root`, range: where });
      continue;
    }
    if (tasks.some((t) => t.id === id)) problems.push({ message: `task '${id}' is listed twice`, range: where });
    else if (tasks.some((t) => t.file === file)) problems.push({ message: `task file '${file}' is listed twice`, range: where });
    else tasks.push({ id, file, repo, line: r.line });
  }
  if (table && table.rows.length === 0) problems.push({ message: "the task set lists no task", range: { line: table.headerLine, column: 1, endLine: table.headerLine, endColumn: 2 } });
  return { doc, tasks, problems };
}

/** Every task-set record of the workspace naming candidate-default. */
export function comparisonSetsOf(ws: CtoWorkspace): ComparisonSet[] {
  return ws
    .planningDocs()
    .filter((d) => recordType(d) === "task-set" && gateOf(d) === COMPARISON_SET_GATE)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(parseComparisonSet);
}
