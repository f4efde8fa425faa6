// The candidate-default conditions and the `pass-rate-then-blockers` rule on plain data (what the
// harness hands the core after re-verifying every bundle): each clause can decide alone; ties;
// missing and duplicated cells; an engine that could not run; tasks that changed; comparisons
// that are not evidence, over other tasks, or superseded by a newer one.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { applyRule, evaluateGates, type ComparisonCellEvidence, type ComparisonEvidence, type ComparisonTable, type EvidenceBundle, type GateState } from "../../../src/core";
import { CtoWorkspace } from "../../../src/core/workspace";
import { DISCLAIMER, fm, FIXTURES } from "../helpers";

const GATES_REL = ".sot/03-PROTOCOLS/CTO-CASE-STAGE-GATES.md";
const GATES = readFileSync(path.join(FIXTURES, "workspace", GATES_REL), "utf8");
const ROOT = "/ws";
const TASKS = ["tasks/a.yaml", "tasks/b.yaml", "tasks/c.yaml"];
const ENGINES = ["case", "fake", "codex", "pi"];
const sha = (p: string) => p.replace(/\W/g, "").padEnd(64, "0").slice(0, 64);

function ws(o: { gates?: string; set?: string | null } = {}): CtoWorkspace {
  const w = new CtoWorkspace(ROOT);
  w.setDoc(GATES_REL, o.gates ?? GATES);
  const set = o.set === undefined ? `| task | task file | repo |\n| --- | --- | --- |\n${TASKS.map((t) => `| ${path.basename(t, ".yaml")} | \`${t}\` | \`repos/calc\` |`).join("\n")}\n` : o.set;
  if (set !== null) w.setDoc("records/set.md", `${fm({ name: "set", record_type: "task-set", gate: "candidate-default" })}\n# Set\n\n${DISCLAIMER}\n\n${set}`);
  return w;
}

type Outcome = "pass" | string; // "pass", or the blocker id of a fail

function bundle(engine: string, task: string, outcome: Outcome, extra: Partial<EvidenceBundle> = {}): EvidenceBundle {
  const blockers = outcome === "pass" ? [] : [outcome];
  const status = outcome === "pass" ? "pass" : ["provider_unavailable", "engine_not_enabled", "not_eligible", "timeout", "approval_denied", "self_approval"].includes(outcome) ? "blocked" : "fail";
  return { runId: `${engine}-${task}`, path: `/ws/.cto/compare/c/runs/${engine}-${task}`, engine, taskId: task, status, blockers, verified: true, fresh: true, signer: "CI", signature: "trusted", isolation: "bubblewrap", gated: engine === "case", ...extra };
}

/** A trusted, intact comparison; `outcomes[engine][i]` is task i's outcome (default: pass). */
function comparison(outcomes: Record<string, Outcome[]> = {}, o: Partial<ComparisonEvidence> = {}): ComparisonEvidence {
  const tasks = TASKS.map((p) => ({ id: path.basename(p, ".yaml"), path: p, sha256: sha(p), current: sha(p) }));
  const cells: ComparisonCellEvidence[] = ENGINES.flatMap((engine) =>
    tasks.map((t, i) => {
      const out = outcomes[engine]?.[i] ?? "pass";
      const b = bundle(engine, t.id, out);
      return { engine, taskId: t.id, taskPath: t.path, status: b.status, blockers: b.blockers, bundle: b };
    }),
  );
  return { path: "/ws/.cto/compare/c", signature: "trusted", signer: "CI", problems: [], generatedAt: "2026-06-01T10:00:00.000Z", engines: ENGINES, tasks, cells, ...o };
}

const gate = (w: CtoWorkspace, comparisons: ComparisonEvidence[]): GateState => evaluateGates(w, [], { comparisons }).find((g) => g.id === "candidate-default")!;
const lacks = (g: GateState) => g.lacks.join("\n");
const judged = (outcomes: Record<string, Outcome[]>) => gate(ws(), [comparison(outcomes)]);

describe("candidate-default: the comparison rule and its conditions", () => {
  it("holds when case does at least as well as codex and pi; the table holds every engine × task", () => {
    const g = judged({ case: ["pass", "pass", "tests_failed"], codex: ["pass", "tests_failed", "tests_failed"], pi: ["pass", "pass", "tests_failed"] });
    assert.equal(lacks(g), "");
    assert.ok(g.conditions.some((c) => c.ok && c.text === "pass rate: case passes 2/3, at least as many as codex 1/3, pi 2/3"));
    assert.ok(g.conditions.some((c) => c.ok && c.text === "blockers: every blocker kind case hits (tests_failed), codex and pi hit too"));
    assert.equal(g.comparison!.cells.length, 12);
    assert.deepEqual(g.comparison!.engineTotals.map((t) => `${t.engine} ${t.passed}/${t.tasks} ${t.blockerKinds.join(",")}`), ["case 2/3 tests_failed", "fake 3/3 ", "codex 1/3 tests_failed", "pi 2/3 tests_failed"]);
  });

  it("pass rate decides alone: fewer passes than either incumbent fails, whatever the blockers", () => {
    const g = judged({ case: ["pass", "tests_failed", "tests_failed"], codex: ["pass", "pass", "tests_failed"], pi: ["tests_failed", "tests_failed", "tests_failed"] });
    assert.equal(g.lacks.length, 1, lacks(g));
    assert.equal(g.lacks[0], "pass rate: case passes 1/3, fewer than codex (2/3)");
  });

  it("pass rate: case passing nothing fails even when nobody passes anything (a tie at zero)", () => {
    const all = ["tests_failed", "tests_failed", "tests_failed"];
    const g = judged({ case: all, fake: all, codex: all, pi: all });
    assert.equal(g.lacks.length, 1, lacks(g));
    assert.match(g.lacks[0]!, /^pass rate: case passes none of the 3 task\(s\)/);
  });

  it("blockers decide alone: a tie on pass rate, or even a better one, fails on a blocker kind an incumbent avoids", () => {
    let g = judged({ case: ["pass", "pass", "disallowed_file"], codex: ["pass", "pass", "tests_failed"], pi: ["pass", "pass", "disallowed_file"] });
    assert.deepEqual(g.lacks, ["blockers: case hits blocker kinds the others avoid: disallowed_file (codex never hits it)"]);
    g = judged({ case: ["pass", "pass", "self_approval"], codex: ["pass", "tests_failed", "tests_failed"], pi: ["tests_failed", "tests_failed", "tests_failed"] });
    assert.deepEqual(g.lacks, ["blockers: case hits blocker kinds the others avoid: self_approval (codex never hits it), self_approval (pi never hits it)"], "a higher pass rate does not buy a blocker the others avoid");
  });

  it("ties: equal passes and the same blocker kinds hold; every blocker kind is counted, not only the first", () => {
    assert.equal(lacks(judged({ case: ["pass", "tests_failed", "pass"], codex: ["tests_failed", "pass", "pass"], pi: ["pass", "pass", "tests_failed"] })), "");
    const c = comparison({ codex: ["pass", "pass", "tests_failed"], pi: ["pass", "pass", "tests_failed"] });
    const cell = c.cells.find((x) => x.engine === "case" && x.taskId === "c")!;
    cell.bundle = { ...cell.bundle!, status: "fail", blockers: ["tests_failed", "dirty_end"] };
    Object.assign(cell, { status: "fail", blockers: ["tests_failed", "dirty_end"] });
    assert.deepEqual(gate(ws(), [c]).lacks, ["blockers: case hits blocker kinds the others avoid: dirty_end (codex never hits it), dirty_end (pi never hits it)"]);
  });

  it("applyRule is exactly the two clauses, each decided on its own", () => {
    const t = (passed: Record<string, number>, kinds: Record<string, string[]>): ComparisonTable => ({ path: "c", generatedAt: "", signer: "", engines: ENGINES, tasks: TASKS.map((p) => ({ id: p, path: p })), cells: [], engineTotals: ENGINES.map((e) => ({ engine: e, passed: passed[e] ?? 0, tasks: 3, blockerKinds: kinds[e] ?? [] })) });
    const oks = (x: ComparisonTable) => applyRule("pass-rate-then-blockers", x).map((c) => c.ok);
    assert.deepEqual(oks(t({ case: 2, codex: 2, pi: 1 }, { case: ["timeout"], codex: ["timeout"], pi: ["timeout", "tests_failed"] })), [true, true]);
    assert.deepEqual(oks(t({ case: 1, codex: 2, pi: 1 }, {})), [false, true]);
    assert.deepEqual(oks(t({ case: 3, codex: 2, pi: 1 }, { case: ["timeout"], codex: ["timeout"] })), [true, false]);
    assert.deepEqual(oks(t({ case: 0 }, {})), [false, true]);
  });

  it("provider_unavailable (or a refused case) for a compared engine fails the gate — the rule is not applied", () => {
    let g = judged({ pi: ["provider_unavailable", "provider_unavailable", "provider_unavailable"] });
    assert.match(lacks(g), /a compared engine could not run, so it was not compared: pi: provider_unavailable on 3 task\(s\)/);
    assert.match(lacks(g), /pass-rate-then-blockers: applied only to a comparison that is complete, current and verified/);
    assert.equal(g.lacks.length, 2);
    g = judged({ case: ["not_eligible", "pass", "pass"], fake: ["pass", "provider_unavailable", "pass"] });
    assert.match(lacks(g), /case: not_eligible on 1 task\(s\); fake: provider_unavailable on 1 task\(s\)/);
  });

  it("a missing cell, a duplicated cell, a missing engine: not one cell per engine × task", () => {
    const missing = comparison();
    missing.cells = missing.cells.filter((c) => !(c.engine === "codex" && c.taskId === "b"));
    assert.match(lacks(gate(ws(), [missing])), /not one cell per engine × task: codex × b is missing/);
    const dup = comparison();
    dup.cells.push({ ...dup.cells.find((c) => c.engine === "case" && c.taskId === "a")!, bundle: bundle("case", "a", "pass", { runId: "again" }) });
    assert.match(lacks(gate(ws(), [dup])), /case × a appears 2 times/);
    const noPi = comparison();
    noPi.engines = ["case", "fake", "codex"];
    noPi.cells = noPi.cells.filter((c) => c.engine !== "pi");
    assert.match(lacks(gate(ws(), [noPi])), /pi × a is missing; pi × b is missing; pi × c is missing/);
  });

  it("every named bundle must count now: tampered, unsigned, untrusted, stale, unisolated case, not found, not the one signed for — each named", () => {
    const cases: [Partial<EvidenceBundle> | null, string | undefined, RegExp][] = [
      [{ verified: false, fresh: false, signature: "bad", signer: undefined }, undefined, /case × b: tampered \(bad signature\)/],
      [{ verified: false, fresh: false, signature: "trusted" }, undefined, /case × b: tampered \(fails verification\)/],
      [{ signature: "unsigned", signer: undefined }, undefined, /case × b: unsigned/],
      [{ signature: "untrusted", signer: undefined }, undefined, /case × b: signed by an untrusted key/],
      [{ fresh: false }, undefined, /case × b: stale/],
      [{ isolation: "none" }, undefined, /case × b: run without OS isolation \(a gated engine\)/],
      [{}, "not the bundle the comparison signed for (…)", /case × b: not the bundle the comparison signed for/],
      [null, "bundle x not found (looked in /a)", /case × b: bundle x not found/],
    ];
    for (const [patch, problem, re] of cases) {
      const c = comparison();
      const cell = c.cells.find((x) => x.engine === "case" && x.taskId === "b")!;
      if (patch === null) delete cell.bundle;
      else cell.bundle = { ...cell.bundle!, ...patch };
      if (problem) cell.problem = problem;
      const g = gate(ws(), [c]);
      assert.match(lacks(g), re);
      assert.equal(g.lacks.length, 2, lacks(g)); // that condition, and the rule not applied
    }
  });

  it("a task file whose digest changed (or cannot be read) since the comparison fails it", () => {
    const c = comparison();
    c.tasks[2] = { ...c.tasks[2]!, current: "f".repeat(64) };
    assert.match(lacks(gate(ws(), [c])), /tasks\/c\.yaml changed since the comparison \(sha256 tasksc\w+… then, ffffffffffff… now\)/);
    c.tasks[2] = { ...c.tasks[2]!, current: null, problem: "the task file does not exist" };
    assert.match(lacks(gate(ws(), [c])), /tasks\/c\.yaml: the task file does not exist/);
  });

  it("only a trusted, intact comparison over exactly the set's task files counts; the newest of them decides", () => {
    const other = comparison({}, { path: "/ws/.cto/compare/other", tasks: comparison().tasks.slice(0, 2) });
    assert.match(lacks(gate(ws(), [other])), /needs a comparison over the task set's 3 task\(s\), signed by a trusted key \(cto compare\) — 1 signed comparison\(s\) over other tasks/);
    for (const [sig, text] of [["untrusted", "signed by an untrusted key"], ["unsigned", "unsigned"], ["bad", "bad signature"]] as const) {
      const g = gate(ws(), [comparison({}, { signature: sig, signer: undefined, problems: sig === "bad" ? ["attestation.json: the signature does not verify"] : [] })]);
      assert.match(lacks(g), new RegExp(`not evidence: \\.cto/compare/c: ${text}`));
    }
    const edited = comparison({}, { problems: ["comparison.json differs from the comparison that was signed (edited after signing?)"] });
    assert.match(lacks(gate(ws(), [edited])), /not evidence: \.cto\/compare\/c: comparison\.json differs/);
    const older = comparison({}, { path: "/ws/.cto/compare/old", generatedAt: "2026-05-01T00:00:00.000Z" });
    const newer = comparison({ case: ["tests_failed", "tests_failed", "pass"] }, { path: "/ws/.cto/compare/new", generatedAt: "2026-06-02T00:00:00.000Z" });
    const g = gate(ws(), [older, newer]);
    assert.match(g.conditions.find((c) => /^comparison \.cto/.test(c.text))!.text, /^comparison \.cto\/compare\/new of 2026-06-02T00:00:00\.000Z, signed by CI \(the newest of 2 over this set\)/);
    assert.equal(g.lacks[0], "pass rate: case passes 1/3, fewer than codex (3/3) and pi (3/3)", "an older, better comparison does not outvote the newest");
  });

  it("the task set: none, two, or one with problems (a row twice, a path outside the workspace)", () => {
    assert.match(lacks(gate(ws({ set: null }), [comparison()])), /^no task set for candidate-default/);
    const two = ws();
    two.setDoc("records/set2.md", two.docs.get("records/set.md")!.text);
    assert.match(lacks(gate(two, [comparison()])), /2 task sets name candidate-default/);
    assert.match(lacks(gate(ws({ set: "| task | task file | repo |\n| --- | --- | --- |\n| a | tasks/a.yaml | r |\n| a2 | ./tasks/a.yaml | r |\n| x | ../x.yaml | r |\n" }), [])), /task file 'tasks\/a\.yaml' is listed twice.*; task file '\.\.\/x\.yaml' climbs out of the workspace/);
  });

  it("the gate record must state a known rule", () => {
    const noRule = GATES.replace(/^Comparison rule:.*\n/m, "");
    assert.match(lacks(gate(ws({ gates: noRule }), [comparison()])), /gate 'candidate-default' states no 'Comparison rule:'/);
    assert.match(lacks(gate(ws({ gates: GATES.replace(/^Comparison rule: `pass-rate-then-blockers`/m, "Comparison rule: `most-stars`") }), [comparison()])), /unknown comparison rule 'most-stars'/);
  });
});

describe("record-structure: the candidate-default comparison rule", () => {
  it("an unknown rule is a located error on its value; a missing one is the gate's to report, not the validator's", async () => {
    const { validateWorkspace } = await import("../../../src/core");
    const { options } = await import("../helpers");
    const at = (text: string) => (validateWorkspace(ws({ gates: text }), options()).get(GATES_REL) ?? []).filter((f) => f.rule === "record-structure");
    const bad = at(GATES.replace(/^Comparison rule: `pass-rate-then-blockers`/m, "Comparison rule: `most-stars`"));
    const line = GATES.split("\n").findIndex((l) => l.startsWith("Comparison rule:")) + 1;
    assert.deepEqual(bad.map((f) => [f.range.line, f.range.column, f.message]), [[line, 18, "unknown comparison rule 'most-stars' (known rules: pass-rate-then-blockers)"]]);
    assert.deepEqual(at(GATES.replace(/^Comparison rule:.*\n/m, "")), []);
    assert.deepEqual(at(GATES), []);
  });
});
