// Issue status from the docs and WORKBOARD.yaml: done (every criterion checked, or a
// WORKBOARD item marked done), ready (every blocker done), blocked (by which).
import type { Issue } from "./model";
import type { CtoWorkspace } from "./workspace";

export type IssueState = "done" | "ready" | "blocked";

export interface IssueStatus {
  id: string;
  title: string;
  state: IssueState;
  criteriaDone: number;
  criteriaTotal: number;
  /** Blockers not done yet. */
  openBlockers: string[];
  blockedBy: string[];
  unblocks: string[];
  type?: string;
  /** Where it is defined: a doc, or only WORKBOARD.yaml. */
  doc?: string;
  issue?: Issue;
  inCycle: boolean;
}

const DONE_WORDS = new Set(["done", "complete", "completed", "closed", "merged", "shipped"]);

/** Done-ness per parsed issue: a re-parsed doc brings new Issue objects, the rest are reused. */
const doneOf = new WeakMap<Issue, boolean>();

export function isDone(ws: CtoWorkspace, id: string): boolean {
  const def = ws.definitions(id)[0];
  if (def) {
    let done = doneOf.get(def.issue);
    if (done === undefined) doneOf.set(def.issue, (done = def.issue.criteria.length > 0 && def.issue.criteria.every((c) => c.checked)));
    return done;
  }
  const item = ws.workboard?.items.get(id);
  return item?.status !== undefined && DONE_WORDS.has(item.status.toLowerCase());
}

export function issueStatus(ws: CtoWorkspace, id: string): IssueStatus | undefined {
  const def = ws.definitions(id)[0];
  const item = ws.workboard?.items.get(id);
  if (!def && !item) return undefined;
  const graph = ws.graph();
  const blockedBy = graph.nodes.get(id)?.blockedBy ?? [];
  const openBlockers = blockedBy.filter((b) => !isDone(ws, b));
  const criteriaDone = def ? def.issue.criteria.filter((c) => c.checked).length : 0;
  const criteriaTotal = def ? def.issue.criteria.length : 0;
  const state: IssueState = isDone(ws, id) ? "done" : openBlockers.length === 0 && !graph.cycleOf.has(id) ? "ready" : "blocked";
  const type = def?.issue.fields.find((f) => f.key.toLowerCase() === "type")?.value;
  return {
    id,
    title: def?.issue.issueTitle ?? item?.title ?? "",
    state,
    criteriaDone,
    criteriaTotal,
    openBlockers,
    blockedBy,
    unblocks: graph.unblocks.get(id) ?? [],
    ...(type ? { type } : {}),
    ...(def ? { doc: def.doc, issue: def.issue } : {}),
    inCycle: graph.cycleOf.has(id),
  };
}
