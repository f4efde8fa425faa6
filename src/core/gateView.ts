// What a list of the gates says about each gate, on plain data (the Stage Gates view draws it; the
// unit tests check it without VS Code): the state with its counts — matrix rows for gates 1–2,
// tasks for gates 3–5, the comparison's totals for candidate-default —, the reviews outstanding,
// and what "Run What Is Missing" would run. Nothing here decides a gate: evaluateGates does.
import type { GateState } from "./gates";
import type { TaskProgress } from "./gateTaskSets";

/** What an open gate lacks that a run can supply. */
export type MissingWork =
  /** gated-engine, artificial-fixture: matrix rows no counting bundle reproduces (`cto fixtures ROW...`). */
  | { kind: "fixtures"; rows: string[] }
  /** copied-repo-fixture … owned-noncritical-repo: tasks no bundle of case counts for (`cto run --engine case`). */
  | { kind: "runs"; tasks: TaskProgress[] };

export interface GateCounts {
  unit: "rows" | "tasks";
  passed: number;
  needed: number;
}

/** Rows reproduced / needed (gates 1–2) or tasks passed / needed (gates 3–5); undefined when there is nothing to count. */
export function gateCounts(g: GateState): GateCounts | undefined {
  if (g.progress) return g.progress.record ? { unit: "tasks", passed: g.progress.passed, needed: g.progress.needed } : undefined;
  if (g.rows?.length) return { unit: "rows", passed: g.rows.filter((r) => r.ok).length, needed: g.rows.length };
  return undefined;
}

/** The gate's one-line description: `open · tasks 1/2 · 1 review(s) outstanding`. */
export function gateDescription(g: GateState): string {
  const parts: string[] = [g.state];
  const c = gateCounts(g);
  if (c) parts.push(`${c.unit} ${c.passed}/${c.needed}`);
  const outstanding = g.progress?.reviewsOutstanding.length ?? 0;
  if (outstanding) parts.push(`${outstanding} review(s) outstanding`);
  // candidate-default: how each engine did in the comparison it was judged on (counted cells only).
  if (g.comparison) parts.push(`compared: ${g.comparison.engineTotals.map((t) => `${t.engine} ${t.passed}/${t.tasks}`).join(", ")}`);
  return parts.join(" · ");
}

/**
 * What Run What Is Missing runs for this gate: only while it is open (a locked gate's runs wait for
 * the gate before it; a passed one lacks nothing), and only runs that could help — tasks whose task
 * file or repo cannot be used are not offered (what they lack is listed under them).
 */
export function missingWork(g: GateState): MissingWork | undefined {
  if (g.state !== "open") return undefined;
  if (g.progress) {
    const tasks = g.progress.tasks.filter((t) => t.needsRun);
    return tasks.length ? { kind: "runs", tasks } : undefined;
  }
  const rows = (g.rows ?? []).filter((r) => !r.ok).map((r) => r.fixture);
  return rows.length ? { kind: "fixtures", rows } : undefined;
}

/** The view item's contextValue, which the package.json menus match: `gate.open.missing` offers Run What Is Missing. */
export function gateContextValue(g: GateState): string {
  return `gate.${g.state}${missingWork(g) ? ".missing" : ""}`;
}

/** A task's state in words, as the view lists it under "Tasks: n/m passed". */
export function taskStatus(t: TaskProgress): "passed" | "needs a run" | "review outstanding" | "not counted" {
  return t.ok ? "passed" : t.needsRun ? "needs a run" : t.reviewOutstanding ? "review outstanding" : "not counted";
}
