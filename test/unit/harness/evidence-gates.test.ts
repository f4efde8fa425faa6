// Evidence for the gates: readEvidence (verified / tampered / stale / incomplete, fixture rows
// recomputed against the doc), and the stage gates moving to passed on that evidence and back
// to open when one bundle is tampered with or goes stale.
import * as assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discoverWorkspaces, evaluateGates, loadWorkspace, nodeFs, type CtoWorkspace, type GateState } from "../../../src/core";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { loadMatrix, loadTrustStore, readEvidence, runFixtures, runTask, type EvidenceEntry, type MatrixExpectation, type TrustStore } from "../../../src/harness";
import { attackerKey, resign, stripSignature } from "./forge";
import { cleanupTemps, FIXTURES, tempDir } from "./helpers";
import { flipByte, workspaceCopy, WORKSPACE } from "./matrixHelpers";

const states = (g: GateState[]) => g.map((s) => `${s.id}:${s.state}`);

describe("harness: evidence and the gates", function () {
  this.timeout(40_000);
  let runs: string;
  let matrix: MatrixExpectation[];
  let ws: CtoWorkspace;
  /** A copy of the whole-matrix runs folder, for one test to damage. */
  const copyRuns = () => {
    const d = join(tempDir("cto-ev-"), "runs");
    cpSync(runs, d, { recursive: true });
    return d;
  };
  const read = (dir: string, extra: { maxAgeDays?: number; matrix?: MatrixExpectation[]; trust?: TrustStore } = {}) => readEvidence(dir, { matrix, fixturesDir: FIXTURES, ...extra });
  const eachBundle = (dir: string, fn: (bundle: string) => void) => readdirSync(dir).forEach((n) => fn(join(dir, n)));
  const bundleOf = (list: EvidenceEntry[], row: string) => list.find((e) => e.fixture === row)!;

  before(async () => {
    matrix = (await loadMatrix(WORKSPACE)).rows;
    const [found] = await discoverWorkspaces(WORKSPACE, nodeFs);
    ws = await loadWorkspace(found!, nodeFs);
    runs = join(tempDir("cto-ev-"), "runs");
    const outcomes = await runFixtures({ fixturesDir: FIXTURES, matrix, outDir: runs });
    const bad = outcomes.filter((o) => !o.matched);
    assert.deepEqual(bad.map((o) => `${o.row}: ${o.mismatches.join("; ")}`), []);
  });
  after(cleanupTemps);

  it("reads every bundle verified and fresh, mapped to its matrix row and matched — newest first", async () => {
    const list = await read(runs);
    assert.equal(list.length, 17);
    assert.deepEqual(list.map((e) => e.fixture).sort(), matrix.map((m) => m.row).sort(), "every row, the git-dirty one included");
    for (const e of list) {
      assert.equal(e.verdict, "verified", `${e.fixture}: ${e.reason}`);
      assert.ok(e.verified && e.fresh && e.matched === true, e.fixture);
      assert.equal(e.reason, undefined);
      assert.ok(e.artifacts.includes("report.json") && e.artifacts.includes("SHA256SUMS"));
      assert.ok(e.runStart <= e.runEnd && e.durationMs >= 0);
    }
    const gated = bundleOf(list, "gated engine not enabled");
    assert.deepEqual([gated.engine, gated.status, gated.exitCode, gated.blockers], ["case", "blocked", 22, ["engine_not_enabled"]]);
    assert.ok(!bundleOf(list, "artifact write failure").artifacts.includes("patch.diff"));
    const starts = list.map((e) => Date.parse(e.runStart));
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a), "newest first");
  });

  it("tampered, stale and incomplete bundles; .tmp-* folders skipped; a bundle of no fixture has no row", async () => {
    const d = copyRuns();
    const before = await read(d);
    const victim = bundleOf(before, "timeout");
    flipByte(join(victim.path, "test.log"), -1);
    mkdirSync(join(d, "20260101T000000000Z-00000000aa"));
    writeFileSync(join(d, "20260101T000000000Z-00000000aa", "trace.jsonl"), "{}\n");
    mkdirSync(join(d, ".tmp-20260101T000000001Z-00000000bb"));
    const after = await read(d);
    assert.equal(after.length, 18);
    const t = after.find((e) => e.path === victim.path)!;
    assert.equal(t.verdict, "tampered");
    assert.ok(!t.verified && !t.fresh);
    assert.match(t.reason!, /test\.log changed/);
    const inc = after.find((e) => e.runId === "20260101T000000000Z-00000000aa")!;
    assert.equal(inc.verdict, "incomplete");
    assert.ok(!inc.verified && !inc.fresh);
    assert.match(inc.reason!, /no report\.json/);
    assert.deepEqual(inc.artifacts, ["trace.jsonl"]);
    assert.equal(after.at(-1), inc, "oldest by its run id");

    const stale = await read(runs, { maxAgeDays: 0 });
    assert.ok(stale.every((e) => e.verdict === "stale" && e.verified && !e.fresh), JSON.stringify(stale.map((e) => e.verdict)));
    assert.match(stale[0]!.reason!, /days old \(max 0\)/);

    const noMatrix = await readEvidence(runs);
    assert.ok(noMatrix.every((e) => e.fixture === undefined && e.matched === undefined), "without a matrix, bundles are not fixture runs");
    assert.deepEqual(await readEvidence(join(d, "does-not-exist")), []);
  });

  it("matched is recomputed against the doc's row today, not stored", async () => {
    const changed = matrix.map((m) => (m.row === "timeout" ? { ...m, exit: 99 } : m));
    const list = await read(runs, { matrix: changed });
    assert.equal(bundleOf(list, "timeout").matched, false);
    assert.equal(bundleOf(list, "timeout").verdict, "verified", "the bundle is still intact");
    assert.equal(list.filter((e) => e.matched).length, 16);
    const g = evaluateGates(ws, list);
    assert.deepEqual(states(g).slice(0, 3), ["gated-engine:passed", "artificial-fixture:open", "copied-repo-fixture:locked"]);
    assert.ok(g[1]!.lacks.some((l) => /matrix row 'timeout' \(timeout\).*1 fresh bundle\(s\) do not match the row/.test(l)), g[1]!.lacks.join(" | "));
  });

  it("gates: no evidence → gated-engine open; the whole matrix → gated-engine and artificial-fixture passed", async () => {
    assert.deepEqual(states(evaluateGates(ws, [])).slice(0, 2), ["gated-engine:open", "artificial-fixture:locked"]);
    const g = evaluateGates(ws, await read(runs));
    assert.deepEqual(states(g), ["gated-engine:passed", "artificial-fixture:passed", "copied-repo-fixture:open", "disposable-sandbox-repo:locked", "owned-noncritical-repo:locked", "candidate-default:locked"]);
    assert.ok(g[0]!.conditions.some((c) => c.ok && /matrix row 'self approval' \(self_approval\) reproduced/.test(c.text) && c.link && "bundle" in c.link));
    assert.equal(g[1]!.conditions.filter((c) => /^matrix row/.test(c.text)).length, 17);
    assert.match(g[2]!.lacks[0]!, /cto run --engine case --enable-gated case/, "later gates name the runs they need");
  });

  it("gates: one tampered byte un-passes them; a stale bundle too", async () => {
    const d = copyRuns();
    const list = await read(d);
    // A non-gating row: artificial-fixture falls back to open, gated-engine holds.
    flipByte(join(bundleOf(list, "dirty ending tree").path, "patch.diff"), 20);
    let g = evaluateGates(ws, await read(d));
    assert.deepEqual(states(g).slice(0, 3), ["gated-engine:passed", "artificial-fixture:open", "copied-repo-fixture:locked"]);
    assert.deepEqual(g[1]!.lacks, ["needs a fresh, verified, signed bundle reproducing matrix row 'dirty ending tree' (dirty_end) (1 bundle(s) failing verification do not count)"]);
    // A gating row: gated-engine falls back to open, and everything after it is locked.
    flipByte(join(bundleOf(list, "self approval").path, "events.normalized.jsonl"), 10);
    g = evaluateGates(ws, await read(d));
    assert.deepEqual(states(g).slice(0, 2), ["gated-engine:open", "artificial-fixture:locked"]);
    assert.ok(g[0]!.lacks.some((l) => /self approval/.test(l) && /failing verification/.test(l)), g[0]!.lacks.join(" | "));
    // Stale evidence (older than the maximum age) counts for nothing.
    assert.deepEqual(states(evaluateGates(ws, await read(runs, { maxAgeDays: 0 }))).slice(0, 2), ["gated-engine:open", "artificial-fixture:locked"]);
  });

  it("gates count only bundles signed by a trusted key: the whole matrix unsigned, or signed by another key, counts for nothing", async () => {
    const unsigned = copyRuns();
    eachBundle(unsigned, stripSignature);
    const u = await read(unsigned);
    assert.deepEqual([...new Set(u.map((e) => e.verdict))], ["unsigned"]);
    assert.ok(u.every((e) => !e.verified && e.signer === undefined && e.matched === true), "intact, matching, but unsigned");
    let g = evaluateGates(ws, u);
    assert.deepEqual(states(g).slice(0, 2), ["gated-engine:open", "artificial-fixture:locked"]);
    assert.ok(g[0]!.lacks.some((l) => /self approval.*1 bundle\(s\) unsigned do not count/.test(l)), g[0]!.lacks.join(" | "));

    const other = attackerKey();
    const untrusted = copyRuns();
    eachBundle(untrusted, (b) => resign(b, other.privateKey, other.keyid));
    const t = await read(untrusted);
    assert.deepEqual([...new Set(t.map((e) => e.verdict))], ["untrusted"]);
    g = evaluateGates(ws, t);
    assert.deepEqual(states(g).slice(0, 2), ["gated-engine:open", "artificial-fixture:locked"]);
    assert.ok(g[0]!.lacks.some((l) => /1 bundle\(s\) signed by an untrusted key do not count/.test(l)), g[0]!.lacks.join(" | "));

    // The same bundles count once their key is trusted — in the workspace's .cto/trusted-keys.
    const copy = workspaceCopy();
    mkdirSync(join(copy.root, ".cto"), { recursive: true });
    writeFileSync(join(copy.root, ".cto", "trusted-keys"), other.line("the other harness") + "\n");
    g = evaluateGates(ws, await read(untrusted, { trust: loadTrustStore({ workspaceRoot: copy.root }) }));
    assert.deepEqual(states(g).slice(0, 2), ["gated-engine:passed", "artificial-fixture:passed"]);
    assert.ok(g[0]!.conditions.some((c) => c.ok && /reproduced by a fresh, verified, signed bundle \(the other harness\)/.test(c.text)));
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: () => {}, cwd: copy.root, env: process.env };
    assert.equal(await main(["gates", ".", "--runs", untrusted, "--json"], io), 0);
    assert.deepEqual(JSON.parse(out.join("\n")).gates.slice(0, 2).map((x: { state: string }) => x.state), ["passed", "passed"]);
    out.length = 0;
    io.cwd = WORKSPACE;
    assert.equal(await main(["gates", ".", "--runs", untrusted, "--json"], io), 0);
    const j = JSON.parse(out.join("\n"));
    assert.equal(j.evidence.untrusted, 17);
    assert.deepEqual(j.gates.slice(0, 2).map((x: { state: string }) => x.state), ["open", "locked"]);
  });

  it("a gated engine's bundle without OS isolation does not count for the gates", async () => {
    const d = copyRuns();
    const list = await read(d);
    for (const e of list.filter((x) => x.fixture === "gated engine not enabled")) rmSync(e.path, { recursive: true });
    const r = await runTask({ engine: "case", taskFile: join(FIXTURES, "gated-not-enabled", "task.yaml"), isolation: "none", outDir: d });
    assert.deepEqual([r.report.isolation, r.report.engine.gated, r.report.blockers[0]?.id], ["none", true, "engine_not_enabled"]);
    const after = await read(d);
    const e = after.find((x) => x.runId === r.report.run_id)!;
    assert.deepEqual([e.verdict, e.fixture, e.matched, e.isolation, e.gated], ["verified", "gated engine not enabled", true, "none", true]);
    const g = evaluateGates(ws, after);
    assert.equal(g[0]!.state, "open");
    assert.ok(g[0]!.lacks.some((l) => /gated engine not enabled.*1 bundle\(s\) run without OS isolation \(a gated engine\) do not count/.test(l)), g[0]!.lacks.join(" | "));
  });

  it("cto gates reads the evidence from --runs with the workspace's matrix", async () => {
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: () => {}, cwd: WORKSPACE, env: process.env };
    assert.equal(await main(["gates", ".", "--runs", runs, "--json"], io), 0);
    const j = JSON.parse(out.join("\n"));
    assert.equal(j.current, "copied-repo-fixture");
    assert.equal(j.evidence_bundles, 17);
    assert.deepEqual(j.evidence, { verified: 17, stale: 0, tampered: 0, unsigned: 0, untrusted: 0, incomplete: 0 });
    assert.deepEqual(j.gates.slice(0, 2).map((x: { state: string }) => x.state), ["passed", "passed"]);
    out.length = 0;
    assert.equal(await main(["gates", ".", "--runs", runs, "--max-age-days", "0"], io), 0);
    assert.match(out.join("\n"), /current gate: gated-engine; 17 evidence bundle\(s\) in .* \(0 verified, 17 stale, 0 tampered, 0 unsigned, 0 untrusted, 0 incomplete\)/);
    assert.equal(readdirSync(runs).length, 17, "reading evidence writes nothing");
  });
});
