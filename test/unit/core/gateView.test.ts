// What the Stage Gates view says about each gate (src/core/gateView.ts), on plain data: the counts
// per gate (matrix rows for gates 1–2, tasks for 3–5, the comparison's totals for 6), the reviews
// outstanding, what Run What Is Missing runs, and that the package.json menus offer it exactly on
// the items whose contextValue says something is missing.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { evaluateGates, gateContextValue, gateCounts, gateDescription, missingWork, parseFailureMatrix, taskStatus, type EvidenceBundle, type GateState, type TaskProgress } from "../../../src/core";
import { discoverWorkspaces, loadWorkspace } from "../../../src/core/load";
import { nodeFs } from "../../../src/core/nodeFs";
import { FIXTURES, REPO } from "../helpers";

const loadFixture = async () => loadWorkspace((await discoverWorkspaces(path.join(FIXTURES, "workspace"), nodeFs))[0], nodeFs);
const bundle = (extra: Partial<EvidenceBundle>): EvidenceBundle => ({ runId: "r", path: "/b", engine: "fake", taskId: "t", status: "blocked", blockers: [], verified: true, fresh: true, signer: "local key", signature: "trusted", isolation: "bubblewrap", gated: false, ...extra });
const task = (extra: Partial<TaskProgress>): TaskProgress => ({ task: "t", file: "/ws/tasks/t.yaml", line: 20, ok: false, needsRun: true, sandboxRepo: false, ...extra });
const gate = (extra: Partial<GateState>): GateState => ({ id: "copied-repo-fixture", state: "open", summary: "", conditions: [], lacks: [], ...extra });
const progress = (tasks: TaskProgress[], reviews = 0): GateState["progress"] => ({
  gate: "copied-repo-fixture",
  record: ".sot/TASKS.md",
  needed: tasks.length,
  passed: tasks.filter((t) => t.ok).length,
  tasks,
  reviewsOutstanding: Array.from({ length: reviews }, (_, i) => ({ task: `t${i}`, bundle: `/runs/r${i}`, runId: `r${i}` })),
});

describe("Stage Gates view model: counts, reviews outstanding, Run What Is Missing", () => {
  it("gates 1–2 count their failure-matrix rows, reproduced / needed, from evaluateGates itself", async () => {
    const ws = await loadFixture();
    const none = evaluateGates(ws, []);
    assert.deepEqual(none.slice(0, 2).map(gateDescription), ["open · rows 0/3", "locked · rows 0/17"]);
    const matrix = parseFailureMatrix(ws.planningDocs().find((d) => d.frontmatter.data?.record_type === "failure-matrix")!).rows;
    const gating = matrix.filter((r) => ["engine_not_enabled", "not_eligible", "self_approval"].includes(r.blocker ?? ""));
    const some = evaluateGates(ws, gating.map((r) => bundle({ fixture: r.fixture, blockers: [r.blocker!], matched: true })));
    assert.deepEqual(some.slice(0, 2).map(gateDescription), ["passed · rows 3/3", "open · rows 3/17"]);
    // What is missing is exactly the rows not reproduced, by the matrix's own names.
    const w = missingWork(some[1]!);
    assert.equal(w?.kind, "fixtures");
    assert.deepEqual(w?.kind === "fixtures" && w.rows, matrix.filter((r) => !gating.includes(r)).map((r) => r.fixture));
    assert.equal(gateContextValue(some[1]!), "gate.open.missing");
    assert.equal(gateContextValue(some[0]!), "gate.passed");
    // A stale bundle reproduces nothing: its row is missing again.
    const stale = evaluateGates(ws, gating.map((r, i) => bundle({ fixture: r.fixture, blockers: [r.blocker!], matched: true, fresh: i !== 0 })));
    assert.equal(gateDescription(stale[0]!), "open · rows 2/3");
    assert.deepEqual(missingWork(stale[0]!), { kind: "fixtures", rows: [gating[0]!.fixture] });
  });

  it("gates 3–5 count tasks passed / needed and the reviews outstanding", () => {
    const g = gate({ progress: progress([task({ task: "a", ok: true, needsRun: false }), task({ task: "b", needsRun: false, reviewOutstanding: true })], 1) });
    assert.equal(gateDescription(g), "open · tasks 1/2 · 1 review(s) outstanding");
    assert.deepEqual(gateCounts(g), { unit: "tasks", passed: 1, needed: 2 });
    // Only a review is missing: nothing to run, so no Run What Is Missing on the gate.
    assert.equal(missingWork(g), undefined);
    assert.equal(gateContextValue(g), "gate.open");
    assert.equal(gateDescription(gate({ state: "passed", progress: progress([task({ ok: true, needsRun: false })]) })), "passed · tasks 1/1");
  });

  it("a task set that is not there is not counted as 0/0", () => {
    const g = gate({ progress: { gate: "copied-repo-fixture", needed: 0, passed: 0, tasks: [], reviewsOutstanding: [] } });
    assert.equal(gateCounts(g), undefined);
    assert.equal(gateDescription(g), "open");
    assert.equal(missingWork(g), undefined);
  });

  it("Run What Is Missing offers only runs that could help, and only on an open gate", () => {
    const runnable = task({ task: "needs", needsRun: true });
    const unusable = task({ task: "broken", needsRun: false, reason: "task file tasks/x.yaml does not exist" });
    const passed = task({ task: "done", ok: true, needsRun: false });
    const open = gate({ progress: progress([runnable, unusable, passed]) });
    assert.deepEqual(missingWork(open), { kind: "runs", tasks: [runnable] });
    for (const state of ["locked", "passed"] as const) {
      const g = { ...open, state };
      assert.equal(missingWork(g), undefined, state);
      assert.equal(gateContextValue(g), `gate.${state}`);
    }
    // Gates 1–2: a locked gate's missing rows wait for the gate before it.
    assert.equal(missingWork(gate({ id: "artificial-fixture", state: "locked", rows: [{ fixture: "timeout", blocker: "timeout", ok: false }] })), undefined);
  });

  it("names each task's state", () => {
    assert.deepEqual(
      [task({ ok: true, needsRun: false }), task({}), task({ needsRun: false, reviewOutstanding: true }), task({ needsRun: false })].map(taskStatus),
      ["passed", "needs a run", "review outstanding", "not counted"],
    );
  });

  it("candidate-default shows how each engine did in the comparison it was judged on", () => {
    const g = gate({
      id: "candidate-default",
      comparison: { path: ".cto/compare/c", generatedAt: "2026-12-02T10:00:00Z", signer: "local key", engines: ["case", "fake", "codex", "pi"], tasks: [], cells: [], engineTotals: [{ engine: "case", passed: 2, tasks: 2, blockerKinds: [] }, { engine: "fake", passed: 2, tasks: 2, blockerKinds: [] }, { engine: "codex", passed: 1, tasks: 2, blockerKinds: ["tests_failed"] }, { engine: "pi", passed: 2, tasks: 2, blockerKinds: [] }] },
    });
    assert.equal(gateDescription(g), "open · compared: case 2/2, fake 2/2, codex 1/2, pi 2/2");
    assert.equal(missingWork(g), undefined, "a comparison needs the real codex and pi: cto compare, not Run What Is Missing");
  });

  it("package.json offers Run What Is Missing inline and in the context menu exactly where something is missing", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8"));
    const menus = (pkg.contributes.menus["view/item/context"] as { command: string; when: string; group: string }[]).filter((m) => m.when.includes("view == ctoGates"));
    const run = menus.filter((m) => m.command === "cto.gates.runMissing");
    assert.deepEqual(run.map((m) => m.group.startsWith("inline")).sort(), [false, true], "one inline, one in the context menu");
    for (const m of run) {
      const re = new RegExp(/viewItem =~ \/(.*?)\/ &&/.exec(m.when)![1]!);
      const offered = (g: GateState) => re.test(gateContextValue(g));
      assert.equal(offered(gate({ progress: progress([task({})]) })), true);
      assert.equal(offered(gate({ id: "gated-engine", rows: [{ fixture: "self approval", blocker: "self_approval", ok: false }] })), true);
      assert.equal(offered(gate({ progress: progress([task({ ok: true, needsRun: false })]) })), false);
      assert.equal(offered(gate({ state: "locked", progress: progress([task({})]) })), false);
      assert.equal(re.test("gateTask.missing"), true);
      assert.equal(re.test("gateTask"), false);
    }
    const review = menus.filter((m) => m.command === "cto.reviewPatch");
    assert.deepEqual(review.map((m) => m.group.startsWith("inline")).sort(), [false, true]);
    for (const m of review) assert.match(m.when, /viewItem == gateReview/);
  });
});
