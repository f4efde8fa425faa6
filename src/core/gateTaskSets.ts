// Gates 3–5 (copied-repo-fixture, disposable-sandbox-repo, owned-noncritical-repo), computed from
// evidence (issue 12; the rules are docs/gates.md). Each needs, for every task of its task-set
// record, a bundle that COUNTS — fresh, verified, signed by a trusted key, isolated (case is
// gated), status pass, of case admitted and eligible, on the task file and the repo's base tree
// as they are NOW (task.sha256 and freshness.base_tree) — plus its own conditions, each a
// condition of its own so that each can fail alone:
//   all three:               no change outside the task's allowed_files (re-checked here);
//   disposable-sandbox-repo: the run used a throwaway repo made from the task's repo
//                            (freshness.sandbox_repo), a clean starting tree, a clean ending tree,
//                            reviewer approval (the task's reviewer command, or a person);
//   owned-noncritical-repo:  a person's review approving the patch, and no self_approval in any
//                            run of case on the set's tasks.
import * as path from "node:path";
import { compileAllowed } from "./allowedFiles";
import { unusableReason, type EvidenceBundle, type GateCondition } from "./gates";
import { taskSetOf, type TaskFacts, type TaskSet, type TaskSetRow } from "./taskSets";
import type { CtoWorkspace } from "./workspace";

export type TaskSetGateId = "copied-repo-fixture" | "disposable-sandbox-repo" | "owned-noncritical-repo";

/** A review record by a person, as the harness read and checked it (src/harness/reviews.ts). */
export interface ReviewEvidence {
  /** The record file (absolute), for links. */
  file: string;
  /** The bundle folder name (run id) it sits beside and names. */
  runId: string;
  /** The bundle's attestation digest the review names. */
  attestationSha256: string;
  verdict: "approve" | "reject";
  /** "Name <email>" (or the name alone). */
  reviewer: string;
  note?: string;
  /** When it was made (ISO-8601). */
  at: string;
  /** The trusted key's name, when a key trusted here signed it. */
  signer?: string;
  signature: "trusted" | "untrusted" | "unsigned" | "bad";
  /** Why the record does not count even if well signed (malformed, wrong kind, …). */
  problem?: string;
}

export interface TaskProgress {
  task: string;
  /** The task file, absolute. */
  file: string;
  /** Line of the task's row in the task-set record. */
  line: number;
  ok: boolean;
  /** No bundle counts: a (new) run of case is what is missing. */
  needsRun: boolean;
  /** The run must use a throwaway repo (`cto sandbox-repo create`): disposable-sandbox-repo. */
  sandboxRepo: boolean;
  /** Why it is not ok (the first unmet condition). */
  reason?: string;
  /** The bundle that counts (or the one its conditions were checked on). */
  bundle?: string;
  runId?: string;
  /** A person's review of that bundle is what it lacks. */
  reviewOutstanding?: boolean;
}

export interface TaskSetProgress {
  gate: TaskSetGateId;
  /** The task-set record (workspace-relative), when there is exactly one. */
  record?: string;
  needed: number;
  passed: number;
  tasks: TaskProgress[];
  /** Bundles that count and wait for a person's review. */
  reviewsOutstanding: { task: string; bundle: string; runId: string }[];
}

const CASE = "case";
const short = (hex: string | undefined | null) => (hex ? hex.slice(0, 12) : "none");

/** Does the reviewer name the engine itself? (Any word of the name or e-mail: fail closed.) */
export function isSelfReview(reviewer: string, engine: string): boolean {
  const tokens = reviewer.toLowerCase().split(/[^a-z0-9/_.-]+/).filter(Boolean);
  const names = new Set([engine, `workos/${engine}`, `${engine}-engine`, ...(engine === CASE ? ["ca"] : [])]);
  return tokens.some((t) => names.has(t));
}

/** Why a review does not count for this bundle, or undefined when it does. */
export function reviewProblem(r: ReviewEvidence, b: EvidenceBundle): string | undefined {
  if (r.signature === "unsigned") return "unsigned";
  if (r.signature === "untrusted") return "signed by an untrusted key";
  if (r.signature === "bad" || !r.signer) return "with a bad signature";
  if (r.problem) return r.problem;
  if (r.runId !== b.runId) return "of another run";
  if (!b.attestationSha256 || r.attestationSha256 !== b.attestationSha256) return "naming another attestation digest (not this bundle as it is now)";
  if (isSelfReview(r.reviewer, b.engine)) return `a self-review (the reviewer '${r.reviewer}' is the engine)`;
  return undefined;
}

/** A person's verdict on a bundle: each reviewer's latest review counts; one standing rejection is a rejection. */
export function personVerdict(b: EvidenceBundle, reviews: ReviewEvidence[]): { verdict?: "approve" | "reject"; by: string[]; notCounted: Map<string, number> } {
  const latest = new Map<string, ReviewEvidence>();
  const notCounted = new Map<string, number>();
  for (const r of reviews) {
    if (r.runId !== b.runId) continue;
    const why = reviewProblem(r, b);
    if (why) {
      notCounted.set(why, (notCounted.get(why) ?? 0) + 1);
      continue;
    }
    const who = r.reviewer.trim().toLowerCase();
    const have = latest.get(who);
    if (!have || have.at < r.at) latest.set(who, r);
  }
  const all = [...latest.values()];
  const rejects = all.filter((r) => r.verdict === "reject");
  if (rejects.length) return { verdict: "reject", by: rejects.map((r) => `${r.reviewer}${r.note ? `: ${r.note}` : ""}`), notCounted };
  const approves = all.filter((r) => r.verdict === "approve");
  return { ...(approves.length ? { verdict: "approve" as const } : {}), by: approves.map((r) => r.reviewer), notCounted };
}

const notes = (m: Map<string, number>, what: string) => [...m].map(([why, n]) => `${n} ${what} ${why}`);

/** The conditions of one task-set gate and its progress (tasks passed / needed, reviews outstanding). */
export function taskSetGateConditions(ws: CtoWorkspace, gate: TaskSetGateId, evidence: EvidenceBundle[], reviews: ReviewEvidence[]): { conditions: GateCondition[]; progress: TaskSetProgress } {
  const { set, all } = taskSetOf(ws, gate);
  const progress: TaskSetProgress = { gate, needed: 0, passed: 0, tasks: [], reviewsOutstanding: [] };
  if (!set) {
    const text =
      all.length === 0
        ? `no task set for ${gate}: a task-set record (record_type: task-set, gate: ${gate}) lists its tasks, and each needs a pass run of case (cto run --engine case --enable-gated case --task …)`
        : `${all.length} task-set records name ${gate} (${all.map((s) => s.doc.path).join(", ")}): a gate has exactly one`;
    return { conditions: [{ ok: false, text, ...(all[0] ? { link: { file: all[0].doc.path, range: all[0].gateRange } } : {}) }], progress };
  }
  progress.record = set.doc.path;
  progress.needed = set.rows.length;
  const conditions: GateCondition[] = [recordCondition(set)];
  for (const row of set.rows) {
    const t = evaluateTask(ws, gate, set, row, evidence, reviews);
    conditions.push(...t.conditions);
    progress.tasks.push(t.progress);
    if (t.progress.ok) progress.passed++;
    if (t.progress.reviewOutstanding && t.progress.bundle && t.progress.runId) progress.reviewsOutstanding.push({ task: row.task, bundle: t.progress.bundle, runId: t.progress.runId });
  }
  if (gate === "owned-noncritical-repo") conditions.push(noSelfApproval(ws, set, evidence));
  return { conditions, progress };
}

function recordCondition(set: TaskSet): GateCondition {
  const link = { link: { file: set.doc.path, range: set.gateRange } };
  if (set.problems.length) return { ok: false, text: `task set ${set.doc.path} has problems (see the validator): ${set.problems[0]!.message}`, ...link };
  return { ok: true, text: `task set ${set.doc.path}: ${set.rows.length} task(s)`, ...link };
}

interface TaskResult {
  conditions: GateCondition[];
  progress: TaskProgress;
}

function evaluateTask(ws: CtoWorkspace, gate: TaskSetGateId, set: TaskSet, row: TaskSetRow, evidence: EvidenceBundle[], reviews: ReviewEvidence[]): TaskResult {
  const abs = path.resolve(ws.root, row.file);
  const sandbox = gate === "disposable-sandbox-repo";
  const label = `task ${row.task}`;
  const rowLink = { link: { file: set.doc.path, range: row.taskRange } };
  const progress: TaskProgress = { task: row.task, file: abs, line: row.line, ok: false, needsRun: true, sandboxRepo: sandbox };
  const fail = (text: string, needsRun = true): TaskResult => {
    progress.reason = text;
    progress.needsRun = needsRun;
    return { conditions: [{ ok: false, text, ...rowLink }], progress };
  };
  const f: TaskFacts | undefined = ws.taskFacts.get(row.file);
  // The task as it is now: without it no bundle can be tied to it (fail closed).
  if (!f) return fail(`${label}: its task file and repo were not read, so no bundle can be counted for it`, false);
  if (f.problem || !f.sha256) return fail(`${label}: task file ${row.file} ${f.problem ?? "has no digest"}`, false);
  if (f.id !== undefined && f.id !== row.task) return fail(`${label}: task file ${row.file} has id '${f.id}'`, false);
  if (f.repoProblem) return fail(`${label}: repo ${row.repo} ${f.repoProblem}`, false);
  if (f.repoDirty) return fail(`${label}: repo ${row.repo} is not a clean start (${f.repoDirty}): commit or stash, then run it`, false);
  if (!f.baseTree) return fail(`${label}: repo ${row.repo} has no base tree to run from`, false);

  // Which bundles are of this task, and which of them count.
  const mine = evidence.filter((b) => b.engine === CASE && b.fixture === undefined && (b.taskSha256 === f.sha256 || b.taskId === row.task || (b.taskPath !== undefined && path.resolve(b.taskPath) === abs)));
  const why = new Map<string, number>();
  const counting: EvidenceBundle[] = [];
  for (const b of mine) {
    const w = countingProblem(b, f, sandbox);
    if (w) why.set(w, (why.get(w) ?? 0) + 1);
    else counting.push(b);
  }
  if (counting.length === 0) {
    const cmd = `cto run --engine case --enable-gated case --task ${row.file}${sandbox ? " --sandbox-repo \"$(cto sandbox-repo create --task " + row.file + ")\"" : ""}`;
    const seen = mine.length ? notes(why, "bundle(s)").join("; ") : "no run of case on it yet";
    return fail(`${label}: needs a new run (${seen}): ${cmd}`);
  }

  // The gate's own conditions, on the newest counting bundle that meets them all (else the newest).
  const checks = (b: EvidenceBundle) => ownConditions(gate, label, b, f, reviews);
  const evaluated = counting.map((b) => ({ b, c: checks(b) }));
  const best = evaluated.find((e) => e.c.every((c) => c.ok)) ?? evaluated[0]!;
  const b = best.b;
  const base: GateCondition = {
    ok: true,
    text: `${label}: a fresh, verified, signed, isolated pass bundle of case on the task file and repo as they are now (${b.runId}${b.signer ? `, signed by ${b.signer}` : ""})`,
    link: { bundle: b.path },
  };
  progress.bundle = b.path;
  progress.runId = b.runId;
  progress.needsRun = false;
  const unmet = best.c.filter((c) => !c.ok);
  progress.ok = unmet.length === 0;
  if (unmet[0]) progress.reason = unmet[0].text;
  progress.reviewOutstanding = best.c.some((c) => !c.ok && c.reviewable === true);
  return { conditions: [base, ...best.c.map(({ reviewable: _r, ...c }) => c)], progress };
}

/** Why a bundle of this task does not count, or undefined when it does. */
function countingProblem(b: EvidenceBundle, f: TaskFacts, sandbox: boolean): string | undefined {
  const unusable = unusableReason(b);
  if (unusable) return unusable;
  if (b.taskSha256 !== f.sha256) return `of an older task file (sha256 ${short(b.taskSha256)}…, now ${short(f.sha256)}…): the task file changed`;
  if (b.baseTree !== f.baseTree) return `of an older repo tree (${short(b.baseTree)}…, now ${short(f.baseTree)}…): the repo changed`;
  if (b.status !== "pass" || b.blockers.length) return `not pass (${b.blockers[0] ?? b.status})`;
  if (!b.gated) return "not a gated run of case";
  if (!b.eventTypes?.includes("eligibility.granted")) return "without an eligibility grant (case admitted and eligible)";
  if (sandbox) {
    if (!b.sandboxRepo) return "run on the task's own repo, not on a throwaway repo (cto sandbox-repo create)";
    if (b.sandboxRepo.sourceTree !== f.baseTree) return `on a throwaway repo of another tree (${short(b.sandboxRepo.sourceTree)}…)`;
  }
  return undefined;
}

type OwnCondition = GateCondition & { reviewable?: boolean };

function ownConditions(gate: TaskSetGateId, label: string, b: EvidenceBundle, f: TaskFacts, reviews: ReviewEvidence[]): OwnCondition[] {
  const link = { link: { bundle: b.path } };
  const out: OwnCondition[] = [allowedCondition(label, b, f)];
  if (gate === "disposable-sandbox-repo") {
    const types = b.eventTypes ?? [];
    const cleanStart = types.includes("sandbox.created") && !types.includes("preflight.dirty_tree") && !b.blockers.includes("dirty_start");
    out.push({ ok: cleanStart, text: cleanStart ? `${label}: a clean starting tree (the throwaway repo ${b.sandboxRepo?.id ?? "?"} was clean)` : `${label}: no clean starting tree in run ${b.runId} (no sandbox from a clean repo)`, ...link });
    const cleanEnd = !!b.endTree && !types.includes("postflight.dirty_tree") && !b.blockers.includes("dirty_end");
    out.push({ ok: cleanEnd, text: cleanEnd ? `${label}: a clean ending tree (nothing changed after the diff)` : `${label}: no clean ending tree in run ${b.runId}`, ...link });
    const byCommand = b.runReviewer?.approved === true && b.runReviewer.by.startsWith("command:");
    const person = personVerdict(b, reviews);
    if (byCommand) out.push({ ok: true, text: `${label}: reviewer approval of the patch (${b.runReviewer!.by})`, ...link });
    else if (person.verdict === "approve") out.push({ ok: true, text: `${label}: reviewer approval of the patch (by ${person.by.join(", ")})`, ...link });
    else if (person.verdict === "reject") out.push({ ok: false, text: `${label}: the patch was rejected by ${person.by.join("; ")}`, ...link });
    else {
      const how = b.runReviewer ? `its reviewer was ${b.runReviewer.by}${b.runReviewer.by.startsWith("policy:") ? ", a policy that approves without looking" : ""}` : "no reviewer approved it";
      const extra = notes(person.notCounted, "review(s) do not count:");
      out.push({ ok: false, reviewable: true, text: `${label}: no reviewer approval of the patch in run ${b.runId} (${how}${extra.length ? `; ${extra.join("; ")}` : ""}): give the task a reviewer command, or review it (cto review ${b.path} --approve --by NAME)`, ...link });
    }
  }
  if (gate === "owned-noncritical-repo") {
    const person = personVerdict(b, reviews);
    const extra = notes(person.notCounted, "review(s) do not count:");
    if (person.verdict === "approve") out.push({ ok: true, text: `${label}: the patch was reviewed by a person (${person.by.join(", ")})`, ...link });
    else if (person.verdict === "reject") out.push({ ok: false, text: `${label}: the patch was rejected by ${person.by.join("; ")}`, ...link });
    else out.push({ ok: false, reviewable: true, text: `${label}: needs a person's review of the patch in run ${b.runId}${extra.length ? ` (${extra.join("; ")})` : ""}: cto review ${b.path} --approve|--reject --by NAME, or CTO: Review Patch…`, ...link });
  }
  return out;
}

function allowedCondition(label: string, b: EvidenceBundle, f: TaskFacts): OwnCondition {
  const link = { link: { bundle: b.path } };
  if (!f.allowedFiles) return { ok: false, text: `${label}: the task's allowed_files are not known`, ...link };
  if (!b.changedFiles) return { ok: false, text: `${label}: run ${b.runId} lists no changed files`, ...link };
  const allowed = compileAllowed(f.allowedFiles);
  const outside = b.changedFiles.filter((p) => !allowed(p).allowed);
  if (outside.length) return { ok: false, text: `${label}: run ${b.runId} changed files outside allowed_files: ${outside.slice(0, 5).join(", ")}${outside.length > 5 ? ", …" : ""}`, ...link };
  return { ok: true, text: `${label}: no change outside allowed_files (${b.changedFiles.length} file(s) changed)`, ...link };
}

/** owned-noncritical-repo: no run of case on the set's tasks (as they are now) self-approved. */
function noSelfApproval(ws: CtoWorkspace, set: TaskSet, evidence: EvidenceBundle[]): GateCondition {
  const digests = new Set(set.rows.map((r) => ws.taskFacts.get(r.file)?.sha256).filter((d): d is string => !!d));
  // Intact and signed by a trusted key, fresh or not: a self-approval does not age out.
  const bad = evidence.filter((b) => b.engine === CASE && b.verified && !!b.signer && b.taskSha256 !== undefined && digests.has(b.taskSha256) && b.blockers.includes("self_approval"));
  if (bad.length) return { ok: false, text: `no self_approval in any run of case on the task set: ${bad.length} run(s) self-approved (${bad.slice(0, 3).map((b) => `${b.taskId} ${b.runId}`).join(", ")})`, link: { bundle: bad[0]!.path } };
  return { ok: true, text: "no self_approval in any run of case on the task set" };
}
