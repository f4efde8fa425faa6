// Issue status from the docs, WORKBOARD.yaml and the done records: done (every criterion checked
// AND a done record that still holds — CONTRACT §5 — or a WORKBOARD-only item marked done),
// checked (every criterion checked, not evidenced), ready (every blocker done), blocked (by which).
import { allChecked, doneEvidence, type DoneEvidence } from "./done";
import type { Issue } from "./model";
import type { CtoWorkspace } from "./workspace";

export type IssueState = "done" | "checked" | "ready" | "blocked";

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
  /** For an issue whose criteria are all checked: its done record, and why it does not count. */
  evidence?: DoneEvidence;
}

const DONE_WORDS = new Set(["done", "complete", "completed", "closed", "merged", "shipped"]);

/**
 * Done-ness per parsed issue and records: a re-parsed doc brings new Issue objects, new records a
 * new map; the rest is reused (readiness asks this for every issue after each edit).
 */
const doneOf = new WeakMap<Issue, { records: unknown; done: boolean }>();

export function isDone(ws: CtoWorkspace, id: string): boolean {
  const def = ws.definitions(id)[0];
  if (def) {
    const hit = doneOf.get(def.issue);
    if (hit && hit.records === ws.doneRecords) return hit.done;
    const done = allChecked(def.issue) && doneEvidence(ws, id)?.state === "evidenced";
    doneOf.set(def.issue, { records: ws.doneRecords, done });
    return done;
  }
  // Known only from WORKBOARD.yaml: no criteria or Validator to evidence; the board's word stands.
  const item = ws.workboard?.items.get(id);
  return item?.status !== undefined && DONE_WORDS.has(item.status.toLowerCase());
}

/** Every criterion checked, in a doc (done or not). */
export function isChecked(ws: CtoWorkspace, id: string): boolean {
  const def = ws.definitions(id)[0];
  return def !== undefined && allChecked(def.issue);
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
  const evidence = def ? doneEvidence(ws, id) : undefined;
  const state: IssueState = isDone(ws, id) ? "done" : evidence ? "checked" : openBlockers.length === 0 && !graph.cycleOf.has(id) ? "ready" : "blocked";
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
    ...(evidence ? { evidence } : {}),
  };
}

/** How a state reads to a person ("checked, not evidenced" for checked). */
export function stateLabel(state: IssueState): string {
  return state === "checked" ? "checked, not evidenced" : state;
}
