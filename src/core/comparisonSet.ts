// The candidate-default comparison set: the task-set record (CONTRACT §5; `record_type: task-set`,
// `gate: candidate-default`) whose tasks `cto compare` runs every engine on. The record itself —
// its table `| task | task file | repo |`, its located problems, the task facts the harness reads —
// is taskSets.ts's; this is the view of it the comparison and its gate use.
import type { PlanningDoc } from "./model";
import type { Problem } from "./records";
import { parseTaskSet, taskSetsOf, type TaskSet } from "./taskSets";
import type { CtoWorkspace } from "./workspace";

export const COMPARISON_SET_GATE = "candidate-default";

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

function view(set: TaskSet): ComparisonSet {
  return { doc: set.doc, tasks: set.rows.map((r) => ({ id: r.task, file: r.file, repo: r.repo, line: r.line })), problems: set.problems };
}

/**
 * The set as the record writes it. Whether each task file exists, parses and has the digest the
 * comparison names is read by the harness (comparisonEvidence.ts: a task it cannot read is a
 * task whose digest changed), never from the editor's file list.
 */
export function parseComparisonSet(doc: PlanningDoc): ComparisonSet {
  return view(parseTaskSet(doc));
}

/** Every task-set record of the workspace naming candidate-default. */
export function comparisonSetsOf(ws: CtoWorkspace): ComparisonSet[] {
  return taskSetsOf(ws)
    .filter((s) => s.gate === COMPARISON_SET_GATE)
    .map(view);
}
