// The sidebar's core: dependency graph, issue tree modes, record parsers, gate evaluation.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { buildGraph, buildIssueTree, dependencyOrder, evaluateGates, parseDoc, parseFailureMatrix, parseSourceAdmission, parseStageGates, parseEligibility, type EvidenceBundle } from "../../../src/core";
import { runValidate } from "../../../src/cli/commands/validate";
import { CtoWorkspace } from "../../../src/core/workspace";
import { discoverWorkspaces, loadWorkspace } from "../../../src/core/load";
import { nodeFs } from "../../../src/core/nodeFs";
import { DISCLAIMER, fm, FIXTURES, issue, matchingDoneView, options, validFiles, workspace } from "../helpers";

const loadFixture = async (): Promise<CtoWorkspace> => loadWorkspace((await discoverWorkspaces(path.join(FIXTURES, "workspace"), nodeFs))[0], nodeFs);
const record = (type: string, body: string) => parseDoc("r.md", `${fm({ name: "r", record_type: type })}\n# Record\n\n${DISCLAIMER}\n\n${body}`);

describe("dependency graph", () => {
  it("finds each cycle once, as a path from its smallest ID", () => {
    const g = buildGraph([
      { id: "CTO-WORK-003", blockedBy: ["CTO-WORK-002"] },
      { id: "CTO-WORK-002", blockedBy: ["CTO-WORK-004"] },
      { id: "CTO-WORK-004", blockedBy: ["CTO-WORK-003"] },
      { id: "CTO-WORK-009", blockedBy: ["CTO-WORK-009"] },
      { id: "CTO-WORK-010", blockedBy: ["CTO-WORK-002"] },
    ]);
    assert.deepEqual(g.cycles, [["CTO-WORK-002", "CTO-WORK-004", "CTO-WORK-003", "CTO-WORK-002"], ["CTO-WORK-009", "CTO-WORK-009"]]);
    assert.equal(g.cycleOf.has("CTO-WORK-010"), false);
    assert.deepEqual(g.unblocks.get("CTO-WORK-002"), ["CTO-WORK-003", "CTO-WORK-010"]);
  });

  it("orders blockers first, numerically, with cycle members last", () => {
    const g = buildGraph([
      { id: "CTO-WORK-010", blockedBy: ["CTO-WORK-9"] },
      { id: "CTO-WORK-9", blockedBy: [] },
      { id: "CTO-WORK-011", blockedBy: ["CTO-WORK-012"] },
      { id: "CTO-WORK-012", blockedBy: ["CTO-WORK-011"] },
      { id: "CTO-WORK-002", blockedBy: [] },
    ]);
    assert.deepEqual(dependencyOrder(g), ["CTO-WORK-002", "CTO-WORK-9", "CTO-WORK-010", "CTO-WORK-011", "CTO-WORK-012"]);
  });
});

describe("issue tree of the fixture workspace (the seed's real edges)", () => {
  it("puts an issue under each of its blockers, expanding it once", async () => {
    const tree = buildIssueTree(await loadFixture(), "tree");
    const parents = new Map<string, string[]>();
    const walk = (nodes: typeof tree.roots) => {
      for (const n of nodes) {
        parents.set(n.id, [...(parents.get(n.id) ?? []), n.parent?.id ?? "root"]);
        walk(n.children);
      }
    };
    walk(tree.roots);
    assert.deepEqual(Object.fromEntries([...parents].map(([k, v]) => [k, v.sort()])), {
      "CTO-WORK-001": ["root"],
      "CTO-WORK-002": ["CTO-WORK-001"],
      "CTO-WORK-003": ["CTO-WORK-002"],
      "CTO-WORK-004": ["CTO-WORK-003"],
      "CTO-WORK-005": ["CTO-WORK-003"],
      "CTO-WORK-006": ["CTO-WORK-004", "CTO-WORK-005"],
      "CTO-WORK-007": ["CTO-WORK-004", "CTO-WORK-006"],
      "CTO-WORK-008": ["CTO-WORK-004", "CTO-WORK-006", "CTO-WORK-007"],
    });
    const expanded = [...tree.firstOf.values()].map((n) => n.id).sort();
    assert.equal(expanded.length, 8);
    assert.deepEqual(tree.ready, ["CTO-WORK-003"]);
  });

  it("orders the flat list by dependency and ranks what each issue unblocks", async () => {
    const ws = await loadFixture();
    assert.deepEqual(buildIssueTree(ws, "flat").roots.map((n) => n.id).slice(0, 4), ["CTO-WORK-001", "CTO-WORK-002", "CTO-WORK-003", "CTO-WORK-004"]);
    const unblocks = buildIssueTree(ws, "unblocks").roots;
    assert.deepEqual(unblocks.map((n) => [n.id, n.impact]).slice(0, 3), [["CTO-WORK-003", 5], ["CTO-WORK-004", 3], ["CTO-WORK-005", 3]]);
    assert.deepEqual(unblocks[0].children.map((c) => c.id), ["CTO-WORK-004", "CTO-WORK-005"]);
  });

  it("stops at cycles instead of looping, and starts unreachable cycles once", () => {
    const ws = workspace(validFiles({ "issues.md": `${fm({ name: "issues", source: "prd.md" })}\n# I\n\n${DISCLAIMER}\n\n${issue("CTO-WORK-002", "CTO-WORK-003")}${issue("CTO-WORK-003", "CTO-WORK-002")}` }));
    const tree = buildIssueTree(ws, "tree");
    const loop = tree.roots.find((r) => r.id === "CTO-WORK-002")!;
    assert.equal(loop.children[0].id, "CTO-WORK-003");
    assert.equal(loop.children[0].children[0].cycle, true);
    assert.equal(loop.children[0].children[0].children.length, 0);
    assert.deepEqual(tree.cycles, [["CTO-WORK-002", "CTO-WORK-003", "CTO-WORK-002"]]);
  });

  it("keeps readiness current when an edit finishes an issue, without a graph change", async () => {
    const ws = await loadFixture();
    ws.setDoneRecords(new Map());
    assert.deepEqual(buildIssueTree(ws, "tree").ready, ["CTO-WORK-003"]);
    const rel = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-ISSUES.md";
    const doc = ws.docs.get(rel)!;
    const i3 = doc.issues[0];
    const lines = doc.text.split("\n");
    for (const c of i3.criteria) lines[c.range.line - 1] = lines[c.range.line - 1].replace("- [ ]", "- [x]");
    const graph = ws.graph();
    ws.setDoc(rel, lines.join("\n"));
    assert.equal(ws.graph(), graph, "no ID or blocker changed");
    // Checked is not done (CONTRACT §5): nothing is ready until a done record holds for 003.
    assert.equal(buildIssueTree(ws, "tree").firstOf.get("CTO-WORK-003")!.status.state, "checked");
    assert.deepEqual(buildIssueTree(ws, "tree").ready, []);
    ws.setDoneRecords(new Map([["CTO-WORK-003", matchingDoneView(ws, "CTO-WORK-003")]]));
    assert.equal(buildIssueTree(ws, "tree").firstOf.get("CTO-WORK-003")!.status.state, "done");
    assert.deepEqual(buildIssueTree(ws, "tree").ready, ["CTO-WORK-004", "CTO-WORK-005"]);
    ws.setDoc(rel, doc.text);
    assert.deepEqual(buildIssueTree(ws, "tree").ready, ["CTO-WORK-003"]);
  });

  it("re-uses the graph when an edit leaves IDs and blockers alone", async () => {
    const ws = await loadFixture();
    const before = ws.graph();
    const rel = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-ISSUES.md";
    ws.setDoc(rel, ws.docs.get(rel)!.text.replace("- [ ] Source update rule", "- [x] Source update rule"));
    assert.equal(ws.graph(), before);
    assert.equal(buildIssueTree(ws, "tree").firstOf.get("CTO-WORK-005")!.status.criteriaDone, 1);
    ws.setDoc(rel, ws.docs.get(rel)!.text.replace("Blocked by: CTO-WORK-003\n\nUser stories covered: 1, 12, 13", "Blocked by: None\n\nUser stories covered: 1, 12, 13"));
    assert.notEqual(ws.graph(), before);
  });
});

describe("record parsers", () => {
  it("read the fixture records without problems", async () => {
    const run = await runValidate([path.join(FIXTURES, "workspace")], options());
    assert.deepEqual(run.findings.filter((f) => f.rule === "record-structure"), []);
    const ws = await loadFixture();
    const byType = (t: string) => ws.planningDocs().find((d) => d.frontmatter.data?.record_type === t)!;
    assert.equal(parseStageGates(byType("stage-gates")).gates.length, 6);
    assert.equal(parseFailureMatrix(byType("failure-matrix")).rows.length, 17);
    assert.equal(parseEligibility(byType("eligibility-decision")).record?.selected, "case");
    assert.equal(parseSourceAdmission(byType("source-admission")).record?.pinnedCommit, "30b1fa1285a9d8f5a05f81377bcf95fbe250642c");
  });

  it("locate malformed gate records", () => {
    const doc = record("stage-gates", "Default status is earned, not assumed.\n\n### Gate: gated-engine\n\nValidator: x\n\n### Gate: nonsense\n\nValidator: y\n");
    const { problems } = parseStageGates(doc);
    const lines = problems.map((p) => [p.range.line, p.message.slice(0, 40)]);
    assert.ok(problems.some((p) => p.range.line === 18 && /gate 'gated-engine' lacks 'Allowed mutation scope:', 'Required artifacts:', 'Failure modes:', 'Promotion condition:'/.test(p.message)), JSON.stringify(lines));
    assert.ok(problems.some((p) => p.range.line === 22 && /unknown gate 'nonsense'/.test(p.message)), JSON.stringify(lines));
    assert.ok(problems.some((p) => /lack '### Gate: artificial-fixture'/.test(p.message)));
  });

  it("refuse an eligibility decision made by the selected backend", () => {
    const fields = "Selected backend: case\n\nDenied backends: none\n\nRisk class: high\n\nRequired gates: gated-engine\n\nAllowed mutation mode: sandbox\n\nReasons: x\n\nEscalation path: y\n\nDecided by: case (self)\n";
    const { problems, record: r } = parseEligibility(record("eligibility-decision", fields));
    assert.equal(r, undefined);
    assert.match(problems[0].message, /cannot select its own authority/);
    assert.equal(problems[0].range.line, 30);
  });

  it("reports a malformed matrix table row by row", () => {
    const table = "| fixture | blocker id | characteristic event | status | exit |\n| --- | --- | --- | --- | --- |\n| no diff | `no_diff` | `diff.empty` | failed | 10 |\n| timeout | `timeout` | `engine.timeout` | blocked | x |\n";
    const { rows, problems } = parseFailureMatrix(record("failure-matrix", table));
    assert.equal(rows.length, 0);
    assert.deepEqual(problems.slice(0, 2).map((p) => p.range.line), [18, 19]);
    assert.match(problems[2].message, /lacks rows: no diff, disallowed file/);
  });
});

describe("gate evaluation", () => {
  const bundle = (extra: Partial<EvidenceBundle>): EvidenceBundle => ({ runId: "r", path: "/b", engine: "case", taskId: "t", status: "blocked", blockers: [], verified: true, fresh: true, signer: "local key", signature: "trusted", isolation: "bubblewrap", gated: false, ...extra });

  it("with no evidence: the first gate open, the rest locked, candidate-default never passed", async () => {
    const states = evaluateGates(await loadFixture(), []);
    assert.deepEqual(states.map((s) => s.state), ["open", "locked", "locked", "locked", "locked", "locked"]);
    assert.deepEqual(states[0].lacks.length, 3);
  });

  it("passes gated-engine only when the gating matrix rows are reproduced on fresh, verified bundles", async () => {
    const ws = await loadFixture();
    const rows: [string, string][] = [
      ["gated engine not enabled", "engine_not_enabled"],
      ["not admitted / not eligible", "not_eligible"],
      ["self approval", "self_approval"],
    ];
    const three = rows.map(([fixture, b]) => bundle({ blockers: [b], fixture, matched: true }));
    assert.equal(evaluateGates(ws, three)[0].state, "passed");
    assert.equal(evaluateGates(ws, three)[1].state, "open");
    // A bundle with the right blocker but no fixture row (or not matching it) does not count.
    assert.equal(evaluateGates(ws, rows.map(([, b]) => bundle({ blockers: [b] })))[0].state, "open");
    const mismatched = [...three.slice(0, 2), bundle({ blockers: ["self_approval"], fixture: "self approval", matched: false })];
    assert.match(evaluateGates(ws, mismatched)[0].lacks[0], /matrix row 'self approval' \(self_approval\) \(1 fresh bundle\(s\) do not match the row\)/);
    const tampered = [...three.slice(0, 2), bundle({ blockers: ["self_approval"], fixture: "self approval", matched: true, verified: false })];
    const s = evaluateGates(ws, tampered)[0];
    assert.equal(s.state, "open");
    assert.match(s.lacks[0], /matrix row 'self approval' \(self_approval\) \(1 bundle\(s\) failing verification do not count\)/);
    const stale = [...three.slice(0, 2), bundle({ blockers: ["self_approval"], fixture: "self approval", matched: true, fresh: false })];
    assert.equal(evaluateGates(ws, stale)[0].state, "open");
    // Signed by no trusted key, or a gated engine's run without OS isolation: not evidence.
    const selfRow = { blockers: ["self_approval"], fixture: "self approval", matched: true };
    for (const [extra, why] of [
      [{ signer: undefined, signature: "unsigned" }, "unsigned"],
      [{ signer: undefined, signature: "untrusted" }, "signed by an untrusted key"],
      [{ signer: undefined }, "not signed by a trusted key"],
      [{ gated: true, isolation: "none" }, "run without OS isolation \\(a gated engine\\)"],
    ] as [Partial<EvidenceBundle>, string][]) {
      const g = evaluateGates(ws, [...three.slice(0, 2), bundle({ ...selfRow, ...extra })])[0];
      assert.equal(g.state, "open", JSON.stringify(extra));
      assert.match(g.lacks[0], new RegExp(`\\(1 bundle\\(s\\) ${why} do not count\\)`), g.lacks[0]);
    }
    // A gated engine's run with isolation, and a non-gated engine's without, do count.
    assert.equal(evaluateGates(ws, [...three.slice(0, 2), bundle({ ...selfRow, gated: true, isolation: "bubblewrap" })])[0].state, "passed");
    assert.equal(evaluateGates(ws, [...three.slice(0, 2), bundle({ ...selfRow, engine: "fake", isolation: "none" })])[0].state, "passed");
  });

  it("passes artificial-fixture only when every matrix row is reproduced on fresh, verified bundles", async () => {
    const ws = await loadFixture();
    const matrix = parseFailureMatrix(ws.planningDocs().find((d) => d.frontmatter.data?.record_type === "failure-matrix")!).rows;
    const all = matrix.map((r) => bundle({ fixture: r.fixture, blockers: r.blocker ? [r.blocker] : [], status: r.status, matched: true }));
    assert.deepEqual(evaluateGates(ws, all).slice(0, 3).map((g) => g.state), ["passed", "passed", "open"]);
    const oneStale = all.map((b) => (b.fixture === "timeout" ? { ...b, fresh: false } : b));
    const g = evaluateGates(ws, oneStale)[1];
    assert.equal(g.state, "open");
    assert.deepEqual(g.lacks, ["needs a fresh, verified, signed bundle reproducing matrix row 'timeout' (timeout) (1 bundle(s) stale do not count)"]);
  });

  it("cannot pass candidate-default without the comparison, whatever else is given", async () => {
    const ws = await loadFixture();
    const everything = ["case", "fake", "codex", "pi"].map((engine) => bundle({ engine, status: "pass" }));
    const last = evaluateGates(ws, everything).at(-1)!;
    assert.notEqual(last.state, "passed");
    assert.ok(last.lacks.some((l) => /needs a signed comparison of case, fake, codex and pi over the task set/.test(l)), last.lacks.join("; "));
  });
});

describe("fixture workspace records", () => {
  it("name the gates in the seed's order", () => {
    const text = readFileSync(path.join(FIXTURES, "workspace/.sot/03-PROTOCOLS/CTO-CASE-STAGE-GATES.md"), "utf8");
    assert.deepEqual(parseStageGates(parseDoc("g.md", text)).gates.map((g) => g.id), ["gated-engine", "artificial-fixture", "copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo", "candidate-default"]);
  });
});
