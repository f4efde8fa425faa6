// Task sets (record_type: task-set) and the gates they feed (copied-repo-fixture,
// disposable-sandbox-repo, owned-noncritical-repo), in the pure core: the record parsed with
// located problems, the harness's facts turned into located record-structure findings, and every
// condition of every gate failing alone on evidence that is otherwise good.
import * as assert from "node:assert/strict";
import { evaluateGates, isSelfReview, parseTaskSet, taskSetGateConditions, type EvidenceBundle, type GateCondition, type ReviewEvidence, type TaskFacts } from "../../../src/core";
import { byRule, DISCLAIMER, findings, fm, validFiles, workspace } from "../helpers";

const SHA = "a".repeat(64);
const OLD_SHA = "b".repeat(64);
const TREE = "1".repeat(40);
const OLD_TREE = "2".repeat(40);
const END = "3".repeat(40);
const ATT = "c".repeat(64);

const setDoc = (gate: string | undefined, rows: string[], extra: Record<string, string | undefined> = {}) =>
  `${fm({ name: `set-${gate}`, record_type: "task-set", ...(gate !== undefined ? { gate } : {}), ...extra })}\n# Task set\n\n${DISCLAIMER}\n\n| task | task file | repo |\n| --- | --- | --- |\n${rows.join("\n")}\n`;
const ROW = "| add-subtract | tasks/add.yaml | repos/calc |";

const facts = (over: Partial<TaskFacts> = {}): TaskFacts => ({
  file: "tasks/add.yaml",
  id: "add-subtract",
  sha256: SHA,
  repo: "/virtual/repos/calc",
  repoKind: "git",
  baseTree: TREE,
  head: "4".repeat(40),
  allowedFiles: ["src/**"],
  ...over,
});

const bundle = (over: Partial<EvidenceBundle> = {}): EvidenceBundle => ({
  runId: "20260601T000000000Z-0000000001",
  path: "/runs/20260601T000000000Z-0000000001",
  engine: "case",
  taskId: "add-subtract",
  status: "pass",
  blockers: [],
  verified: true,
  fresh: true,
  signer: "local key",
  signature: "trusted",
  isolation: "bubblewrap",
  gated: true,
  taskSha256: SHA,
  taskPath: "/virtual/tasks/add.yaml",
  baseTree: TREE,
  endTree: END,
  changedFiles: ["src/sub.js"],
  attestationSha256: ATT,
  eventTypes: ["run.started", "preflight.isolation", "eligibility.granted", "sandbox.created", "engine.started", "review.approved", "run.finished"],
  runReviewer: { approved: true, by: "command:node review.js" },
  ...over,
});

const review = (over: Partial<ReviewEvidence> = {}): ReviewEvidence => ({
  file: "/runs/.reviews/r/1.json",
  runId: "20260601T000000000Z-0000000001",
  attestationSha256: ATT,
  verdict: "approve",
  reviewer: "Jane Doe <jane@example.com>",
  at: "2026-06-01T10:00:00.000Z",
  signer: "local key",
  signature: "trusted",
  ...over,
});

type Gate = "copied-repo-fixture" | "disposable-sandbox-repo" | "owned-noncritical-repo";

function gateWith(gate: Gate, evidence: EvidenceBundle[], reviews: ReviewEvidence[] = [], f: TaskFacts | null = facts(), rows = [ROW]) {
  const ws = workspace({ [`sets/${gate}.md`]: setDoc(gate, rows) });
  if (f) ws.setTaskFacts(new Map([[f.file, f]]));
  return taskSetGateConditions(ws, gate, evidence, reviews);
}

/** The conditions that fail; the test asserts it is exactly the one it broke. */
const failing = (c: GateCondition[]) => c.filter((x) => !x.ok).map((x) => x.text);
const sandboxBundle = (over: Partial<EvidenceBundle> = {}) => bundle({ sandboxRepo: { id: "sbr-1", sourceRepo: "/virtual/repos/calc", sourceTree: TREE }, ...over });

describe("task-set records", () => {
  it("parse: gate, rows with exact cell ranges", () => {
    const ws = workspace({ "s.md": setDoc("copied-repo-fixture", [ROW, "| mul | `tasks/mul.yaml` | ../elsewhere/repo |"]) });
    const s = parseTaskSet(ws.docs.get("s.md")!);
    assert.deepEqual(s.problems, []);
    assert.equal(s.gate, "copied-repo-fixture");
    assert.deepEqual(s.rows.map((r) => [r.task, r.file, r.repo, r.line]), [["add-subtract", "tasks/add.yaml", "repos/calc", 19], ["mul", "tasks/mul.yaml", "../elsewhere/repo", 20]]);
    assert.deepEqual(s.rows[0]!.fileRange, { line: 19, column: 18, endLine: 19, endColumn: 32 });
    assert.deepEqual(s.rows[1]!.taskRange, { line: 20, column: 3, endLine: 20, endColumn: 6 });
  });

  const cases: [string, string, RegExp, number, number][] = [
    ["no gate", setDoc(undefined, [ROW]), /names its gate in the frontmatter/, 9, 14],
    ["an unknown gate", setDoc("gate-seven", [ROW]), /unknown gate 'gate-seven': the stages are gated-engine/, 10, 7],
    ["a gate that takes no task set", setDoc("artificial-fixture", [ROW]), /gate 'artificial-fixture' takes no task set/, 10, 7],
    ["a duplicate task id", setDoc("copied-repo-fixture", [ROW, "| add-subtract | tasks/other.yaml | repos/calc |"]), /task 'add-subtract' is listed twice \(also on line 19\)/, 20, 3],
    ["a duplicate task file", setDoc("copied-repo-fixture", [ROW, "| other | tasks/add.yaml | repos/calc |"]), /task file 'tasks\/add\.yaml' is listed twice/, 20, 11],
    ["a task file outside the workspace", setDoc("copied-repo-fixture", ["| t | ../tasks/t.yaml | repos/calc |"]), /climbs out of the workspace/, 19, 7],
    ["an absolute task file", setDoc("copied-repo-fixture", ["| t | /etc/t.yaml | repos/calc |"]), /must be relative to the workspace root/, 19, 7],
    ["a bad task id", setDoc("copied-repo-fixture", ["| no way | t.yaml | r |"]), /'no way' is not a task id/, 19, 3],
    ["an empty cell", setDoc("copied-repo-fixture", ["| t | t.yaml |  |"]), /the 'repo' cell is empty/, 19, 15],
    ["a row of two cells", setDoc("copied-repo-fixture", ["| t | t.yaml |"]), /row has 2 cell\(s\)/, 19, 1],
    ["no row", setDoc("copied-repo-fixture", []), /lists no task/, 17, 1],
    ["no table", `${fm({ name: "s", record_type: "task-set", gate: "copied-repo-fixture" })}\n# Task set\n\n${DISCLAIMER}\n`, /lacks its table headed '\| task \| task file \| repo \|'/, 13, 1],
  ];
  for (const [what, text, msg, line, column] of cases) {
    it(`record-structure: ${what}, located`, () => {
      const f = byRule(findings(workspace(validFiles({ "s.md": text }))), "record-structure");
      assert.equal(f.length, 1, JSON.stringify(f));
      assert.match(f[0]!.message, msg);
      assert.deepEqual([f[0]!.file, f[0]!.range.line, f[0]!.range.column], ["s.md", line, column]);
    });
  }

  it("record-structure: two task sets for one gate", () => {
    const f = byRule(findings(workspace(validFiles({ "a.md": setDoc("copied-repo-fixture", [ROW]), "b.md": setDoc("copied-repo-fixture", [ROW]) }))), "record-structure");
    assert.deepEqual(f.map((x) => [x.file, x.range.line]), [["a.md", 10], ["b.md", 10]]);
    assert.match(f[0]!.message, /more than one task set \(also b\.md\)/);
  });

  const factCases: [string, Partial<TaskFacts>, RegExp, number, number][] = [
    ["a missing task file", { problem: "does not exist", id: undefined, sha256: undefined }, /task file 'tasks\/add\.yaml' does not exist/, 19, 18],
    ["an invalid task file", { problem: "is not a valid task file: 3:1: unknown key 'allowed_file'" }, /is not a valid task file: 3:1: unknown key/, 19, 18],
    ["a task file of another id", { id: "mul" }, /has id 'mul', not 'add-subtract'/, 19, 3],
    ["a task file on another repo", { repo: "/somewhere/else" }, /runs on repo \/somewhere\/else, not \/virtual\/repos\/calc/, 19, 35],
    ["a dirty repo", { repoDirty: "the source repo's working tree is not clean (1 entry: src/add.js)" }, /repo 'repos\/calc' is not a clean start: .*src\/add\.js.*dirty_start/, 19, 35],
    ["a repo that cannot be used", { repoProblem: "does not exist" }, /repo 'repos\/calc' does not exist/, 19, 35],
  ];
  for (const [what, over, msg, line, column] of factCases) {
    it(`record-structure from the harness's facts: ${what}, located on its cell`, () => {
      const ws = workspace(validFiles({ "s.md": setDoc("copied-repo-fixture", [ROW]) }));
      assert.deepEqual(byRule(findings(ws), "record-structure"), [], "no facts yet: nothing to say");
      ws.setTaskFacts(new Map([["tasks/add.yaml", facts(over)]]));
      const f = byRule(findings(ws), "record-structure");
      assert.equal(f.length, 1, JSON.stringify(f));
      assert.match(f[0]!.message, msg);
      assert.deepEqual([f[0]!.range.line, f[0]!.range.column], [line, column]);
    });
  }

  it("setTaskFacts names the task-set docs to re-validate", () => {
    const ws = workspace(validFiles({ "s.md": setDoc("copied-repo-fixture", [ROW]) }));
    assert.deepEqual([...ws.setTaskFacts(new Map())], ["s.md"]);
  });
});

describe("gates 3–5: every condition holds on good evidence", () => {
  it("copied-repo-fixture", () => {
    const r = gateWith("copied-repo-fixture", [bundle()]);
    assert.deepEqual(failing(r.conditions), []);
    assert.deepEqual([r.progress.needed, r.progress.passed], [1, 1]);
  });
  it("disposable-sandbox-repo", () => {
    assert.deepEqual(failing(gateWith("disposable-sandbox-repo", [sandboxBundle()]).conditions), []);
  });
  it("owned-noncritical-repo", () => {
    const r = gateWith("owned-noncritical-repo", [bundle()], [review()]);
    assert.deepEqual(failing(r.conditions), []);
    assert.deepEqual(r.progress.reviewsOutstanding, []);
  });
});

describe("gates 3–5: each condition fails alone", () => {
  // A bundle that does not count: the task's "a counting bundle" condition is the one that fails.
  const counting: [string, Partial<EvidenceBundle>, RegExp][] = [
    ["unsigned", { signature: "unsigned", signer: undefined, verified: false }, /1 bundle\(s\) unsigned/],
    ["signed by an untrusted key", { signature: "untrusted", signer: undefined, verified: false }, /1 bundle\(s\) signed by an untrusted key/],
    ["tampered", { verified: false, fresh: false, signature: "bad", signer: undefined }, /1 bundle\(s\) failing verification/],
    ["stale", { fresh: false }, /1 bundle\(s\) stale/],
    ["run without OS isolation", { isolation: "none" }, /1 bundle\(s\) run without OS isolation/],
    ["not pass", { status: "fail", blockers: ["tests_failed"] }, /1 bundle\(s\) not pass \(tests_failed\)/],
    ["of an edited task file", { taskSha256: OLD_SHA }, /needs a new run \(1 bundle\(s\) of an older task file \(sha256 bbbbbbbbbbbb…, now aaaaaaaaaaaa…\): the task file changed\): cto run --engine case --enable-gated case --task tasks\/add\.yaml/],
    ["of an older repo tree", { baseTree: OLD_TREE }, /1 bundle\(s\) of an older repo tree \(222222222222…, now 111111111111…\): the repo changed/],
    ["without an eligibility grant", { eventTypes: ["run.started", "sandbox.created"] }, /without an eligibility grant/],
    ["not gated", { gated: false }, /not a gated run of case/],
  ];
  for (const gate of ["copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo"] as const) {
    for (const [what, over, msg] of counting) {
      it(`${gate}: a bundle ${what} does not count`, () => {
        const b = gate === "disposable-sandbox-repo" ? sandboxBundle(over) : bundle(over);
        const r = gateWith(gate, [b], [review()]);
        const f = failing(r.conditions);
        assert.equal(f.length, 1, f.join(" | "));
        assert.match(f[0]!, /^task add-subtract: needs a new run/);
        assert.match(f[0]!, msg);
        assert.equal(r.progress.tasks[0]!.needsRun, true);
      });
    }
    it(`${gate}: a bundle of another engine is no run of the task`, () => {
      const f = failing(gateWith(gate, [bundle({ engine: "codex", gated: false })], [review()]).conditions);
      assert.deepEqual(f, [`task add-subtract: needs a new run (no run of case on it yet): cto run --engine case --enable-gated case --task tasks/add.yaml${gate === "disposable-sandbox-repo" ? ' --sandbox-repo "$(cto sandbox-repo create --task tasks/add.yaml)"' : ""}`]);
    });
    it(`${gate}: a change outside allowed_files`, () => {
      const over = { changedFiles: ["src/sub.js", "package.json"] };
      const f = failing(gateWith(gate, [gate === "disposable-sandbox-repo" ? sandboxBundle(over) : bundle(over)], [review()]).conditions);
      assert.deepEqual(f.length, 1, f.join(" | "));
      assert.match(f[0]!, /changed files outside allowed_files: package\.json$/);
    });
    it(`${gate}: a dirty repo, or no facts, or a missing task file: the task cannot count`, () => {
      assert.match(failing(gateWith(gate, [bundle()], [review()], facts({ repoDirty: "1 entry" })).conditions).join(), /is not a clean start \(1 entry\)/);
      assert.match(failing(gateWith(gate, [bundle()], [review()], null).conditions).join(), /were not read, so no bundle can be counted/);
      assert.match(failing(gateWith(gate, [bundle()], [review()], facts({ problem: "does not exist", sha256: undefined })).conditions).join(), /task file tasks\/add\.yaml does not exist/);
    });
  }

  it("no task set, or two: the gate says so", () => {
    const ws = workspace({});
    assert.match(failing(taskSetGateConditions(ws, "copied-repo-fixture", [bundle()], []).conditions)[0]!, /no task set for copied-repo-fixture/);
    const two = workspace({ "a.md": setDoc("owned-noncritical-repo", [ROW]), "b.md": setDoc("owned-noncritical-repo", [ROW]) });
    assert.match(failing(taskSetGateConditions(two, "owned-noncritical-repo", [bundle()], []).conditions)[0]!, /2 task-set records name owned-noncritical-repo \(a\.md, b\.md\)/);
  });

  it("a task set with problems fails its record condition alone", () => {
    const f = failing(gateWith("copied-repo-fixture", [bundle()], [], facts(), [ROW, "| add-subtract | tasks/x.yaml | r |"]).conditions);
    assert.equal(f.length, 1, f.join(" | "));
    assert.match(f[0]!, /task set sets\/copied-repo-fixture\.md has problems .*listed twice/);
  });

  describe("disposable-sandbox-repo", () => {
    const one = (b: EvidenceBundle, reviews: ReviewEvidence[] = []) => failing(gateWith("disposable-sandbox-repo", [b], reviews).conditions);
    it("a run on the task's own repo does not count (the report names no throwaway repo)", () => {
      const [f, ...rest] = one(bundle());
      assert.equal(rest.length, 0);
      assert.match(f!, /run on the task's own repo, not on a throwaway repo \(cto sandbox-repo create\)/);
    });
    it("a throwaway repo of another tree does not count", () => {
      assert.match(one(sandboxBundle({ sandboxRepo: { id: "s", sourceRepo: "/x", sourceTree: OLD_TREE } })).join(), /on a throwaway repo of another tree \(222222222222…\)/);
    });
    it("a starting tree that was not clean", () => {
      const f = one(sandboxBundle({ eventTypes: ["eligibility.granted", "preflight.dirty_tree", "sandbox.created"] }));
      assert.deepEqual(f.length, 1, f.join(" | "));
      assert.match(f[0]!, /no clean starting tree/);
      assert.match(one(sandboxBundle({ eventTypes: ["eligibility.granted"] })).join(), /no clean starting tree/);
    });
    it("an ending tree that was not clean", () => {
      const f = one(sandboxBundle({ eventTypes: ["eligibility.granted", "sandbox.created", "postflight.dirty_tree"] }));
      assert.deepEqual(f.length, 1, f.join(" | "));
      assert.match(f[0]!, /no clean ending tree/);
      assert.match(one(sandboxBundle({ endTree: null })).join(), /no clean ending tree/);
    });
    it("no reviewer approval: a policy approves without looking; a person's approval, or a reviewer command, is one", () => {
      const policy = sandboxBundle({ runReviewer: { approved: true, by: "policy:approve" } });
      const f = one(policy);
      assert.deepEqual(f.length, 1, f.join(" | "));
      assert.match(f[0]!, /no reviewer approval of the patch .*its reviewer was policy:approve, a policy that approves without looking/);
      const r = gateWith("disposable-sandbox-repo", [policy]);
      assert.deepEqual(r.progress.reviewsOutstanding.map((x) => x.task), ["add-subtract"], "a person's review is what it lacks");
      assert.deepEqual(one(policy, [review()]), []);
      assert.match(one(policy, [review({ verdict: "reject", note: "wrong sign" })]).join(), /the patch was rejected by Jane Doe <jane@example\.com>: wrong sign/);
      assert.deepEqual(one(sandboxBundle()), [], "reviewer command approved");
    });
  });

  describe("owned-noncritical-repo", () => {
    const one = (reviews: ReviewEvidence[], evidence: EvidenceBundle[] = [bundle()]) => {
      const r = gateWith("owned-noncritical-repo", evidence, reviews);
      return { f: failing(r.conditions), r };
    };
    it("without a person's review: outstanding, and the only unmet condition", () => {
      const { f, r } = one([]);
      assert.equal(f.length, 1, f.join(" | "));
      assert.match(f[0]!, /task add-subtract: needs a person's review of the patch in run .*: cto review \/runs\/.* --approve\|--reject --by NAME, or CTO: Review Patch…/);
      assert.deepEqual(r.progress.reviewsOutstanding, [{ task: "add-subtract", bundle: "/runs/20260601T000000000Z-0000000001", runId: "20260601T000000000Z-0000000001" }]);
      assert.equal(r.progress.tasks[0]!.reviewOutstanding, true);
      assert.equal(r.progress.tasks[0]!.needsRun, false);
    });
    const bad: [string, Partial<ReviewEvidence>, RegExp][] = [
      ["signed by an untrusted key", { signature: "untrusted", signer: undefined }, /1 review\(s\) do not count: signed by an untrusted key/],
      ["unsigned", { signature: "unsigned", signer: undefined }, /1 review\(s\) do not count: unsigned/],
      ["naming another attestation digest", { attestationSha256: "d".repeat(64) }, /naming another attestation digest/],
      ["by the engine itself (a self-review)", { reviewer: "case" }, /a self-review \(the reviewer 'case' is the engine\)/],
      ["malformed", { problem: "it names no reviewer" }, /it names no reviewer/],
    ];
    for (const [what, over, msg] of bad) {
      it(`a review ${what} does not count`, () => {
        const { f } = one([review(over)]);
        assert.equal(f.length, 1, f.join(" | "));
        assert.match(f[0]!, msg);
      });
    }
    it("a rejection stands until that reviewer approves later; another reviewer's rejection stands", () => {
      assert.match(one([review({ verdict: "reject", note: "no" })]).f.join(), /rejected by Jane Doe <jane@example\.com>: no/);
      assert.deepEqual(one([review({ verdict: "reject" }), review({ at: "2026-06-02T00:00:00.000Z" })]).f, []);
      assert.match(one([review(), review({ reviewer: "Bob", verdict: "reject" })]).f.join(), /rejected by Bob/);
    });
    it("a self_approval in any run of case on the set fails its condition alone", () => {
      const selfApproved = bundle({ runId: "r2", path: "/runs/r2", status: "blocked", blockers: ["self_approval"], fresh: false });
      const { f } = one([review()], [bundle(), selfApproved]);
      assert.deepEqual(f, ["no self_approval in any run of case on the task set: 1 run(s) self-approved (add-subtract r2)"]);
      assert.deepEqual(one([review()], [bundle(), { ...selfApproved, verified: false, signer: undefined }]).f, [], "a bundle that does not verify is no evidence either way");
    });
  });

  it("self-review: any word of the reviewer's name or e-mail naming the engine (fail closed)", () => {
    for (const r of ["case", "Case (the engine)", "workos/case", "ca", "case@bots.example", "CASE-engine"]) assert.equal(isSelfReview(r, "case"), true, r);
    for (const r of ["Jane Doe <jane@example.com>", "Cassandra", "casey"]) assert.equal(isSelfReview(r, "case"), false, r);
    assert.equal(isSelfReview("codex", "codex"), true);
  });
});

describe("evaluateGates: the task-set gates carry their progress", () => {
  it("tasks passed / needed, in order, with the state's locked/open", () => {
    const ws = workspace({ "a.md": setDoc("copied-repo-fixture", [ROW, "| mul | tasks/mul.yaml | repos/calc |"]) });
    ws.setTaskFacts(new Map([["tasks/add.yaml", facts()], ["tasks/mul.yaml", facts({ file: "tasks/mul.yaml", id: "mul", sha256: "e".repeat(64) })]]));
    const g = evaluateGates(ws, [bundle()]).find((s) => s.id === "copied-repo-fixture")!;
    assert.equal(g.state, "locked", "gates 1-2 are not passed here");
    assert.deepEqual([g.progress!.needed, g.progress!.passed], [2, 1]);
    assert.deepEqual(g.progress!.tasks.map((t) => [t.task, t.ok, t.needsRun]), [["add-subtract", true, false], ["mul", false, true]]);
    assert.ok(g.lacks.some((l) => /^task mul: needs a new run \(no run of case on it yet\)/.test(l)), g.lacks.join(" | "));
  });
});
