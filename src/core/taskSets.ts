// Task sets (CONTRACT §5): a planning doc with `record_type: task-set` and `gate: <id>` naming
// the task files a gate is earned on, in a table
//   | task | repo |
//   | --- | --- |
//   | `tasks/add-subtract.yaml` | `repos/calc` |
// (paths relative to the workspace root; the repo column is what the task file's `repo:` points
// at, for people — the harness reads the task file itself). This is the minimal reader the
// candidate-default comparison needs; the `gates` branch owns the full record (validated by
// record-structure with located errors for missing files, dirty repos and duplicate ids), and
// this file gives way to it when both land.
import type { PlanningDoc } from "./model";
import { parseTable, plain, recordType, type Problem } from "./records";
import type { CtoWorkspace } from "./workspace";

export interface TaskSetTask {
  /** Workspace-relative, posix. */
  path: string;
  repo: string;
  line: number;
}

export interface TaskSet {
  doc: PlanningDoc;
  gate: string;
  tasks: TaskSetTask[];
  problems: Problem[];
}

const HEADER = ["task", "repo"];

/** The gate a task-set record names (frontmatter `gate:`). */
export function taskSetGate(doc: PlanningDoc): string | undefined {
  const g = doc.frontmatter.data?.gate;
  return typeof g === "string" ? g.trim() : undefined;
}

export function parseTaskSet(doc: PlanningDoc, ws?: CtoWorkspace): TaskSet {
  const problems: Problem[] = [];
  const anchor = doc.sections.find((s) => s.level === 1)?.headingRange ?? { line: 1, column: 1, endLine: 1, endColumn: 4 };
  const gate = taskSetGate(doc) ?? "";
  if (!gate) problems.push({ message: "task set names no `gate:` in its frontmatter", range: anchor });
  const table = parseTable(doc, HEADER);
  const tasks: TaskSetTask[] = [];
  if (!table) problems.push({ message: `task set lacks a table headed '| ${HEADER.join(" | ")} |'`, range: anchor });
  for (const r of table?.rows ?? []) {
    const where = { line: r.line, column: 1, endLine: r.line, endColumn: doc.lines.lineText(r.line).length + 1 };
    const path = normalize(plain(r.cells[0] ?? ""));
    if (!path) {
      problems.push({ message: "a task-set row names no task file", range: where });
      continue;
    }
    if (path.startsWith("/") || path.split("/").includes("..")) {
      problems.push({ message: `task file '${path}' must be inside the workspace (a path relative to its root)`, range: where });
      continue;
    }
    if (tasks.some((t) => t.path === path)) {
      problems.push({ message: `task file '${path}' is listed twice`, range: where });
      continue;
    }
    if (ws && !ws.files.has(path)) problems.push({ message: `task file '${path}' does not exist`, range: where });
    tasks.push({ path, repo: plain(r.cells[1] ?? ""), line: r.line });
  }
  if (table && tasks.length === 0) problems.push({ message: "task set lists no task", range: { line: table.headerLine, column: 1, endLine: table.headerLine, endColumn: 2 } });
  return { doc, gate, tasks, problems };
}

/** Every task-set record of the workspace for one gate. */
export function taskSetsFor(ws: CtoWorkspace, gate: string): TaskSet[] {
  return ws
    .planningDocs()
    .filter((d) => recordType(d) === "task-set" && taskSetGate(d) === gate)
    .map((d) => parseTaskSet(d, ws));
}

const normalize = (p: string) => p.replace(/\\/g, "/").replace(/^\.\//, "").replace(/\/{2,}/g, "/");
