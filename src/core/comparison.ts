// candidate-default (CONTRACT §5): the gate's conditions from a comparison that is evidence, and
// the comparison rule its gate record states (docs/gates.md, "candidate-default", defines it
// exactly). The harness reads each comparison (its own signature checked) and re-verifies every
// bundle it names (harness/comparisonEvidence.ts); this module only judges those facts, so every
// condition can be tested alone on plain data.
import { unusableReason, type EvidenceBundle, type GateCondition } from "./gates";
import { comparisonRuleOf, findField, RULE_FIELD, type ComparisonRuleId, type GateRecord } from "./records";
import type { ComparisonSet } from "./comparisonSet";
import type { Range } from "./types";

/** The engines a candidate-default comparison must hold: the candidate, the baseline and the incumbents. */
export const COMPARED_ENGINES = ["case", "fake", "codex", "pi"] as const;
export const CANDIDATE_ENGINE = "case";
/** The engines case must do at least as well as. */
export const INCUMBENT_ENGINES = ["codex", "pi"] as const;
/** Blockers that mean the engine could not be compared (it never ran). */
export const UNCOMPARABLE_BLOCKERS = ["provider_unavailable", "engine_not_enabled", "not_eligible"] as const;

/** One cell of a comparison as read now. */
export interface ComparisonCellEvidence {
  engine: string;
  taskId: string;
  /** The task file as the comparison names it (workspace-relative, posix). */
  taskPath: string;
  /** The outcome the signed comparison records for the cell. */
  status: string;
  blockers: string[];
  /** The bundle it names, re-verified now; absent when the cell names none (the run could not start). */
  bundle?: EvidenceBundle;
  /** Why the bundle found does not stand for this cell: not found, not the digest the comparison signed, another engine, task or outcome. */
  problem?: string;
  /** The first problem verification found in the bundle, when it did. */
  verifyReason?: string;
}

/** A comparison folder as read now (harness/comparisonEvidence.ts). */
export interface ComparisonEvidence {
  /** The comparison folder (absolute). */
  path: string;
  /** Its own signature: only "trusted" with no problems makes it evidence. */
  signature: "trusted" | "untrusted" | "unsigned" | "bad";
  signer?: string;
  /** Why it is not intact (its files against its signed statement), or unreadable. */
  problems: string[];
  /** The rest is read only from a trusted, intact comparison. */
  generatedAt?: string;
  engines: string[];
  /** Each task as the comparison names it, with its file's sha256 now (null: unreadable, see problem). */
  tasks: { id: string; path: string; sha256: string; current: string | null; problem?: string }[];
  cells: ComparisonCellEvidence[];
}

/** The engine × task table the Stage Gates view and `cto gates` show. */
export interface ComparisonTable {
  path: string;
  generatedAt: string;
  signer: string;
  engines: string[];
  tasks: { id: string; path: string }[];
  cells: { engine: string; taskId: string; taskPath: string; status: string; blocker: string | null; counts: boolean; why?: string; bundle?: string }[];
  /** Per engine: passed tasks and the blocker kinds it hit (counted cells only). */
  engineTotals: { engine: string; passed: number; tasks: number; blockerKinds: string[] }[];
}

export interface CandidateDefaultResult {
  conditions: GateCondition[];
  table?: ComparisonTable;
}

/** The gates' own test of a bundle (gates.ts), worded for a comparison's cell. */
const unusable = (b: EvidenceBundle): string | undefined => {
  const why = unusableReason(b);
  return why === "failing verification" ? `tampered (${b.signature === "bad" ? "bad signature" : "fails verification"})` : why;
};

/** Why a cell does not count, or undefined when it does. */
function cellProblem(c: ComparisonCellEvidence): string | undefined {
  if (!c.bundle) return c.problem ?? "names no bundle (the run could not start)";
  // What the bundle is (tampered, unsigned, untrusted, stale) first; then whether it is the one signed for.
  const why = unusable(c.bundle);
  if (why) return c.verifyReason ? `${why}: ${c.verifyReason}` : why;
  return c.problem;
}

const list = (xs: string[], max = 6) => (xs.length <= max ? xs.join("; ") : `${xs.slice(0, max).join("; ")}; and ${xs.length - max} more`);

/**
 * The candidate-default conditions after the gate record's own: the rule stated, the task set
 * recorded, and the newest signed comparison over that set — same tasks and digests, complete,
 * every bundle re-verified, every engine available — judged by the rule.
 */
export function candidateDefaultConditions(input: { root: string; gate?: GateRecord; gateDoc?: string; sets: ComparisonSet[]; comparisons: ComparisonEvidence[] }): CandidateDefaultResult {
  const out: GateCondition[] = [];
  const docLink = (file: string | undefined, range?: Range) => (file ? { link: { file, ...(range ? { range } : {}) } } : {});

  // The rule, from the gate record.
  const rule = comparisonRuleOf(input.gate);
  if (input.gate) out.push(rule.rule ? { ok: true, text: `comparison rule: ${rule.rule}`, ...docLink(input.gateDoc, findField(input.gate.section, RULE_FIELD)?.valueRange) } : { ok: false, text: rule.problem!.message, ...docLink(input.gateDoc, rule.problem!.range) });

  // The comparison set.
  const sets = input.sets;
  const set = sets.length === 1 && sets[0]!.problems.length === 0 ? sets[0] : undefined;
  if (sets.length === 0) out.push({ ok: false, text: "no task set for candidate-default (a planning doc with record_type: task-set and gate: candidate-default)" });
  else if (sets.length > 1) out.push({ ok: false, text: `${sets.length} task sets name candidate-default (${sets.map((s) => s.doc.path).join(", ")}): keep one`, ...docLink(sets[1]!.doc.path) });
  else if (!set) out.push({ ok: false, text: `the candidate-default task set has problems: ${list(sets[0]!.problems.map((p) => p.message))}`, ...docLink(sets[0]!.doc.path, sets[0]!.problems[0]?.range) });
  else out.push({ ok: true, text: `task set ${set.doc.path}: ${set.tasks.length} task(s)`, ...docLink(set.doc.path) });
  if (!set) {
    out.push({ ok: false, text: "needs a signed comparison of case, fake, codex and pi over the task set (cto compare), once the task set is recorded" });
    return { conditions: out };
  }

  // The newest comparison that is evidence and names exactly the set's task files.
  const wanted = [...set.tasks.map((t) => t.file)].sort().join("\0");
  const intact = input.comparisons.filter((c) => c.signature === "trusted" && c.problems.length === 0);
  const over = intact.filter((c) => [...c.tasks.map((t) => t.path)].sort().join("\0") === wanted).sort((a, b) => Date.parse(b.generatedAt ?? "") - Date.parse(a.generatedAt ?? "") || (a.path < b.path ? 1 : -1));
  const rel = (p: string) => (p.startsWith(input.root + "/") ? p.slice(input.root.length + 1) : p);
  const notCounted = input.comparisons.filter((c) => !intact.includes(c)).map((c) => `${rel(c.path)}: ${c.signature === "trusted" ? c.problems[0] : c.signature === "unsigned" ? "unsigned" : c.signature === "untrusted" ? "signed by an untrusted key" : `bad signature${c.problems[0] ? ` (${c.problems[0]})` : ""}`}`);
  const otherSets = intact.length - over.length;
  const chosen = over[0];
  if (!chosen) {
    const notes = [...(otherSets ? [`${otherSets} signed comparison(s) over other tasks`] : []), ...notCounted.map((n) => `not evidence: ${n}`)];
    out.push({ ok: false, text: `needs a comparison over the task set's ${set.tasks.length} task(s), signed by a trusted key (cto compare)${notes.length ? ` — ${list(notes, 4)}` : ""}` });
    return { conditions: out };
  }
  const newerBad = notCounted.length ? `; ${notCounted.length} other comparison(s) are not evidence (${list(notCounted, 2)})` : "";
  out.push({ ok: true, text: `comparison ${rel(chosen.path)} of ${chosen.generatedAt}, signed by ${chosen.signer ?? "a trusted key"}${over.length > 1 ? ` (the newest of ${over.length} over this set)` : ""}${newerBad}`, ...docLink(rel(chosen.path) + "/comparison.md") });

  // Same tasks, same digests as now.
  const changed = chosen.tasks.filter((t) => t.current !== t.sha256).map((t) => (t.current === null ? `${t.path}: ${t.problem ?? "cannot be read now"}` : `${t.path} changed since the comparison (sha256 ${t.sha256.slice(0, 12)}… then, ${t.current.slice(0, 12)}… now)`));
  out.push(changed.length ? { ok: false, text: `the comparison's tasks are not the task set's as it is now: ${list(changed)}` } : { ok: true, text: `every task file has the digest it had in the comparison (${chosen.tasks.length})` });

  // Complete: every compared engine on every task, exactly once.
  const gaps: string[] = [];
  for (const engine of COMPARED_ENGINES)
    for (const t of chosen.tasks) {
      const n = chosen.cells.filter((c) => c.engine === engine && c.taskPath === t.path).length;
      if (n === 0) gaps.push(`${engine} × ${t.id} is missing`);
      else if (n > 1) gaps.push(`${engine} × ${t.id} appears ${n} times`);
    }
  for (const c of chosen.cells) if (!chosen.tasks.some((t) => t.path === c.taskPath)) gaps.push(`${c.engine} × ${c.taskId} is no task of the comparison`);
  out.push(gaps.length ? { ok: false, text: `the comparison is not one cell per engine × task: ${list(gaps)}` } : { ok: true, text: `one cell for each of ${COMPARED_ENGINES.join(", ")} on every task` });

  // Every named bundle re-verified now.
  const bad = chosen.cells.map((c) => ({ c, why: cellProblem(c) })).filter((x) => x.why !== undefined);
  // Grouped by reason: one stale repo makes every bundle on it stale, and says so once.
  const byWhy = new Map<string, string[]>();
  for (const x of bad) byWhy.set(x.why!, [...(byWhy.get(x.why!) ?? []), `${x.c.engine} × ${x.c.taskId}`]);
  const badText = [...byWhy].map(([why, cells]) => `${cells.join(", ")}: ${why}`);
  out.push(bad.length ? { ok: false, text: `not every bundle of the comparison counts now: ${list(badText)}`, ...(bad[0]!.c.bundle ? { link: { bundle: bad[0]!.c.bundle.path } } : {}) } : { ok: true, text: `all ${chosen.cells.length} bundles re-verified: fresh, signed by a trusted key, the very bundles the comparison names` });

  // Every compared engine could run.
  const refused = new Map<string, Map<string, number>>();
  for (const c of chosen.cells) {
    if (!(COMPARED_ENGINES as readonly string[]).includes(c.engine)) continue;
    const b = (c.bundle?.blockers ?? c.blockers).find((x) => (UNCOMPARABLE_BLOCKERS as readonly string[]).includes(x));
    if (!b) continue;
    const m = refused.get(c.engine) ?? new Map<string, number>();
    m.set(b, (m.get(b) ?? 0) + 1);
    refused.set(c.engine, m);
  }
  const refusedText = [...refused].map(([e, m]) => `${e}: ${[...m].map(([b, n]) => `${b} on ${n} task(s)`).join(", ")}`);
  out.push(refusedText.length ? { ok: false, text: `a compared engine could not run, so it was not compared: ${refusedText.join("; ")}` } : { ok: true, text: "every compared engine ran on every task (no provider_unavailable, engine_not_enabled or not_eligible)" });

  const table = tableOf(chosen, rel);
  const countable = changed.length === 0 && gaps.length === 0 && bad.length === 0 && refused.size === 0;
  if (!rule.rule) out.push({ ok: false, text: "the comparison is judged only by a rule the gate record states" });
  else if (!countable) out.push({ ok: false, text: `${rule.rule}: applied only to a comparison that is complete, current and verified` });
  else out.push(...applyRule(rule.rule, table));
  return { conditions: out, table };
}

function tableOf(c: ComparisonEvidence, rel: (p: string) => string): ComparisonTable {
  const cells = c.cells.map((x) => {
    const why = cellProblem(x);
    const status = x.bundle ? x.bundle.status : x.status;
    const blockers = x.bundle ? x.bundle.blockers : x.blockers;
    return { engine: x.engine, taskId: x.taskId, taskPath: x.taskPath, status, blocker: blockers[0] ?? null, counts: why === undefined, ...(why ? { why } : {}), ...(x.bundle ? { bundle: x.bundle.path } : {}) };
  });
  const engines = [...c.engines, ...COMPARED_ENGINES.filter((e) => !c.engines.includes(e))];
  return {
    path: rel(c.path),
    generatedAt: c.generatedAt ?? "",
    signer: c.signer ?? "",
    engines,
    tasks: c.tasks.map((t) => ({ id: t.id, path: t.path })),
    cells,
    engineTotals: engines.map((engine) => {
      const mine = c.cells.filter((x) => x.engine === engine && cellProblem(x) === undefined);
      return { engine, passed: mine.filter((x) => x.bundle!.status === "pass").length, tasks: c.tasks.length, blockerKinds: [...new Set(mine.flatMap((x) => x.bundle!.blockers))].sort() };
    }),
  };
}

/**
 * `pass-rate-then-blockers` on a complete, current, verified comparison (docs/gates.md):
 *   1. pass rate: case passes at least as many of the set's tasks as codex, and as pi, and at least one;
 *   2. blockers: every blocker kind case hits, codex hits too, and so does pi.
 * Both must hold; each is a condition of its own and can fail alone.
 */
export function applyRule(rule: ComparisonRuleId, t: ComparisonTable): GateCondition[] {
  void rule; // one rule today; the switch point for the next
  const of = (e: string) => t.engineTotals.find((x) => x.engine === e) ?? { engine: e, passed: 0, tasks: t.tasks.length, blockerKinds: [] };
  const cand = of(CANDIDATE_ENGINE);
  const n = t.tasks.length;
  const rates = INCUMBENT_ENGINES.map((e) => `${e} ${of(e).passed}/${n}`).join(", ");
  const behind = INCUMBENT_ENGINES.filter((e) => of(e).passed > cand.passed);
  const rate: GateCondition =
    cand.passed === 0
      ? { ok: false, text: `pass rate: case passes none of the ${n} task(s) (${rates}): a comparison where case passes nothing is no evidence for it` }
      : behind.length
        ? { ok: false, text: `pass rate: case passes ${cand.passed}/${n}, fewer than ${behind.map((e) => `${e} (${of(e).passed}/${n})`).join(" and ")}` }
        : { ok: true, text: `pass rate: case passes ${cand.passed}/${n}, at least as many as ${rates}` };
  const avoided = INCUMBENT_ENGINES.flatMap((e) => cand.blockerKinds.filter((k) => !of(e).blockerKinds.includes(k)).map((k) => `${k} (${e} never hits it)`));
  const blockers: GateCondition = avoided.length
    ? { ok: false, text: `blockers: case hits blocker kinds the others avoid: ${avoided.join(", ")}` }
    : { ok: true, text: cand.blockerKinds.length ? `blockers: every blocker kind case hits (${cand.blockerKinds.join(", ")}), codex and pi hit too` : "blockers: case hits no blocker on any task" };
  return [rate, blockers];
}
