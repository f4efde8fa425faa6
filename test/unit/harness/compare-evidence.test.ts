// candidate-default on real evidence: `cto compare` over a task set writes a signed comparison
// naming each bundle by its attestation's digest; the gate re-verifies every named bundle
// whenever it is read. A tampered, unsigned, untrusted or stale bundle, a bundle swapped for
// another, an edited task file, a comparison whose own signature is bad or untrusted, or a
// comparison over other tasks each make it fail — and say which.
import * as assert from "node:assert/strict";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discoverWorkspaces, evaluateGates, loadWorkspace, nodeFs, type GateState } from "../../../src/core";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { checkComparison, compareEngines, loadSigningKey, loadTrustStore, readComparisons, renderComparisonMd, writeComparison, type Comparison } from "../../../src/harness";
import { attackerKey, resign, stripSignature } from "./forge";
import { compareWorkspace, setRuleLine, type CompareWorkspace } from "./compareHelpers";
import { cleanupTemps, tempDir } from "./helpers";
import { flipByte } from "./matrixHelpers";

const ENGINES = ["case", "fake", "codex", "pi"];

async function gateOf(ws: CompareWorkspace, compareDir = join(ws.root, ".cto", "compare"), o: { maxAgeDays?: number } = {}): Promise<GateState> {
  const [found] = await discoverWorkspaces(ws.root, nodeFs);
  const w = await loadWorkspace(found!, nodeFs);
  const trust = loadTrustStore({ workspaceRoot: ws.root });
  const comparisons = await readComparisons(compareDir, { root: ws.root, trust, ...o });
  return evaluateGates(w, [], { comparisons }).find((g) => g.id === "candidate-default")!;
}
const lacks = (g: GateState) => g.lacks.join("\n");

describe("harness: candidate-default from a signed comparison", function () {
  this.timeout(120_000);
  let ws: CompareWorkspace;
  let base: string;
  let comparison: Comparison;
  /** A copy of the workspace's comparison folder (bundles inside it) for one test to damage. */
  const copy = () => {
    const d = join(ws.root, ".cto", `damaged-${Math.random().toString(36).slice(2)}`);
    cpSync(base, join(d, "c"), { recursive: true });
    return join(d, "c");
  };
  const bundleOf = (dir: string, engine: string, task = 0) => join(dir, comparison.cells.find((c) => c.engine === engine && c.task === comparison.tasks[task]!.id)!.bundle!);

  before(async () => {
    ws = compareWorkspace();
    base = join(ws.root, ".cto", "compare", "base");
    const r = await compareEngines({ engines: ENGINES, tasks: ws.tasks, outDir: base, env: ws.env, passEnv: ws.passEnv, expose: ws.expose, enableGated: ["case"], taskSet: { record: "records/compare-set.md", gate: "candidate-default" } });
    comparison = r.comparison;
    const odd = comparison.cells.filter((c) => c.verdict !== "verified" || (c.task.endsWith("pass") ? c.status !== "pass" : c.blockers[0] !== "tests_failed"));
    assert.deepEqual(odd.map((c) => `${c.engine} × ${c.task}: ${c.status} ${c.blockers.join(",")} ${c.verdict} ${c.error ?? ""}`), []);
  });
  after(cleanupTemps);

  it("writes comparison.json/.md and a DSSE attestation naming every bundle by its attestation digest; the workspace-relative tasks", async () => {
    assert.equal(comparison.schema, "cto.comparison/v2");
    assert.deepEqual(comparison.tasks.map((t) => t.path), ["tasks/t1-pass.yaml", "tasks/t2-tests-fail.yaml"]);
    assert.deepEqual(comparison.task_set, { record: "records/compare-set.md", gate: "candidate-default" });
    const env = JSON.parse(readFileSync(join(base, "attestation.json"), "utf8"));
    const st = JSON.parse(Buffer.from(env.payload, "base64").toString("utf8"));
    assert.equal(st.predicateType, "https://cto-workbench.dev/comparison/v1");
    assert.deepEqual(JSON.parse(readFileSync(join(base, "comparison.json"), "utf8")), st.predicate);
    const bundles = st.subject.filter((s: { name: string }) => s.name.startsWith("bundle:"));
    assert.equal(bundles.length, 8);
    for (const cell of comparison.cells) {
      const subj = bundles.find((s: { name: string }) => s.name === `bundle:${cell.run_id}`);
      const att = readFileSync(join(base, cell.bundle!, "attestation.json"));
      assert.equal(`sha256:${subj.digest.sha256}`, cell.bundle_digest);
      assert.equal(cell.bundle_digest, `sha256:${require("node:crypto").createHash("sha256").update(att).digest("hex")}`);
    }
    const check = await checkComparison(base, loadTrustStore());
    assert.deepEqual([check.signature, check.problems], ["trusted", []]);
  });

  it("its conditions all hold on that evidence (the state stays locked below the earlier gates), with the engine × task table", async () => {
    const g = await gateOf(ws);
    assert.equal(lacks(g), "");
    assert.equal(g.state, "locked", "earlier gates are not earned in this workspace");
    assert.ok(g.conditions.some((c) => c.ok && /^pass rate: case passes 1\/2, at least as many as codex 1\/2, pi 1\/2$/.test(c.text)));
    assert.ok(g.conditions.some((c) => c.ok && /^blockers: every blocker kind case hits \(tests_failed\), codex and pi hit too$/.test(c.text)));
    const t = g.comparison!;
    assert.deepEqual(t.engines, ENGINES);
    assert.deepEqual(
      t.cells.map((c) => `${c.engine}/${c.taskId}: ${c.status} ${c.blocker ?? "—"} ${c.counts}`),
      ENGINES.flatMap((e) => [`${e}/t1-pass: pass — true`, `${e}/t2-tests-fail: fail tests_failed true`]),
    );
  });

  for (const [what, damage, why] of [
    ["a tampered bundle", (d: string) => flipByte(join(bundleOf(d, "codex"), "test.log"), -1), /codex × t1-pass: tampered \(fails verification\): test\.log: test\.log changed/],
    ["an unsigned bundle", (d: string) => stripSignature(bundleOf(d, "pi", 1)), /pi × t2-tests-fail: unsigned: attestation\.json: the bundle is not signed/],
    ["a bundle signed by an untrusted key", (d: string) => { const k = attackerKey(); resign(bundleOf(d, "case"), k.privateKey, k.keyid); }, /case × t1-pass: signed by an untrusted key: attestation\.json: signed by key \w+, which is not trusted here/],
    ["a deleted bundle", (d: string) => rmSync(bundleOf(d, "fake", 1), { recursive: true }), /fake × t2-tests-fail: bundle \S+ not found/],
  ] as const) {
    it(`${what} among the named ones makes it fail and says which`, async () => {
      const d = copy();
      damage(d);
      const g = await gateOf(ws, d);
      assert.match(lacks(g), why);
      assert.match(lacks(g), /applied only to a comparison that is complete, current and verified/);
      assert.equal(g.lacks.length, 2, lacks(g));
    });
  }

  it("a bundle swapped for another verified bundle of the same cell is not the one signed for", async () => {
    const d = copy();
    const other = await compareEngines({ engines: ["codex"], tasks: [ws.tasks[0]!], outDir: tempDir(), env: ws.env });
    const victim = bundleOf(d, "codex");
    rmSync(victim, { recursive: true });
    cpSync(join(other.jsonPath, "..", other.comparison.cells[0]!.bundle!), victim, { recursive: true });
    assert.match(lacks(await gateOf(ws, d)), /codex × t1-pass: not the bundle the comparison signed for/);
  });

  it("a stale bundle (the repo moved on, or too old) makes it fail", async () => {
    const d = copy();
    assert.match(lacks(await gateOf(ws, d, { maxAgeDays: 0 })), /: stale/);
    const before = readFileSync(join(ws.repo, "README.md"), "utf8");
    writeFileSync(join(ws.repo, "README.md"), before + "\nmoved on\n");
    try {
      const g = await gateOf(ws, d);
      assert.match(lacks(g), /case × t1-pass, case × t2-tests-fail, fake × t1-pass, .*, pi × t2-tests-fail: stale: the folder's content \(tree \w+\) is no longer the run's base/);
    } finally {
      writeFileSync(join(ws.repo, "README.md"), before);
    }
    assert.equal(lacks(await gateOf(ws, d)), "", "fresh again once the repo is back");
  });

  it("an edited task file: the comparison's tasks are not the set's as it is now", async () => {
    const f = ws.tasks[1]!;
    const before = readFileSync(f, "utf8");
    writeFileSync(f, before.replace("timeout_s: 30", "timeout_s: 31"));
    try {
      assert.match(lacks(await gateOf(ws)), /tasks\/t2-tests-fail\.yaml changed since the comparison/);
    } finally {
      writeFileSync(f, before);
    }
  });

  it("a comparison whose own signature is bad, untrusted or missing is no evidence", async () => {
    const bad = copy();
    const j = readFileSync(join(bad, "comparison.json"), "utf8");
    writeFileSync(join(bad, "comparison.json"), j.replace(/"status": "fail"/, '"status": "pass"'));
    let g = await gateOf(ws, join(bad, ".."));
    assert.match(lacks(g), /needs a comparison over the task set's 2 task\(s\), signed by a trusted key/);
    assert.match(lacks(g), /comparison\.json differs from the comparison that was signed/);
    const env = JSON.parse(readFileSync(join(bad, "attestation.json"), "utf8"));
    writeFileSync(join(bad, "comparison.json"), j);
    env.signatures[0].sig = Buffer.alloc(64, 7).toString("base64");
    writeFileSync(join(bad, "attestation.json"), JSON.stringify(env));
    g = await gateOf(ws, join(bad, ".."));
    assert.match(lacks(g), /bad signature \(attestation\.json: the signature does not verify/);
    const k = attackerKey();
    const { sign } = await import("node:crypto");
    const payload = Buffer.from(env.payload, "base64");
    env.signatures = [{ keyid: k.keyid, sig: sign(null, Buffer.concat([Buffer.from(`DSSEv1 ${env.payloadType.length} ${env.payloadType} ${payload.length} `), payload]), k.privateKey).toString("base64") }];
    writeFileSync(join(bad, "attestation.json"), JSON.stringify(env));
    g = await gateOf(ws, join(bad, ".."));
    assert.match(lacks(g), /signed by an untrusted key/);
    rmSync(join(bad, "attestation.json"));
    assert.match(lacks(await gateOf(ws, join(bad, ".."))), /not evidence: .*: unsigned/);
  });

  it("a comparison dated ahead of the clock is not evidence (the newest decides: it would decide for ever)", async () => {
    const d = copy();
    const c: Comparison = JSON.parse(readFileSync(join(d, "comparison.json"), "utf8"));
    c.generated_at = new Date(Date.now() + 86_400_000).toISOString();
    writeComparison(d, c, renderComparisonMd(c), loadSigningKey());
    assert.match(lacks(await gateOf(ws, join(d, ".."))), /not evidence: .*the comparison claims to be generated in the future/);
  });

  it("a comparison over other tasks does not count for the set", async () => {
    const dir = join(tempDir(), "only-one");
    await compareEngines({ engines: ENGINES, tasks: [ws.tasks[0]!], root: ws.root, outDir: join(dir, "c"), env: ws.env, passEnv: ws.passEnv, expose: ws.expose, enableGated: ["case"] });
    assert.match(lacks(await gateOf(ws, dir)), /needs a comparison over the task set's 2 task\(s\).*1 signed comparison\(s\) over other tasks/);
  });

  it("without a rule in the gate record, or with an unknown one, the comparison is not judged", async () => {
    setRuleLine(ws, "Comparison rule: best-of-three (whatever wins)");
    try {
      assert.match(lacks(await gateOf(ws)), /unknown comparison rule 'best-of-three'/);
      setRuleLine(ws, "");
      const g = await gateOf(ws);
      assert.match(lacks(g), /gate 'candidate-default' states no 'Comparison rule:'/);
      assert.match(lacks(g), /judged only by a rule the gate record states/);
    } finally {
      setRuleLine(ws, "Comparison rule: `pass-rate-then-blockers`");
    }
    assert.equal(lacks(await gateOf(ws)), "");
  });

  it("cto gates shows the comparison table and reads .cto/compare by default", async () => {
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: () => {}, cwd: ws.root, env: ws.env };
    assert.equal(await main(["gates", "."], io), 0);
    const text = out.join("\n");
    assert.match(text, /comparison \.cto\/compare\/base \(.*signed by local key/);
    assert.match(text, /t1-pass\s+pass\s+pass\s+pass\s+pass/);
    assert.match(text, /t2-tests-fail\s+fail tests_failed\s+fail tests_failed/);
    out.length = 0;
    assert.equal(await main(["gates", ".", "--json"], io), 0);
    const j = JSON.parse(out.join("\n"));
    const cd = j.gates.find((g: { id: string }) => g.id === "candidate-default");
    assert.deepEqual(cd.lacks, []);
    assert.equal(cd.comparison.cells.length, 8);
    assert.deepEqual(cd.comparison.totals.find((t: { engine: string }) => t.engine === "case"), { engine: "case", passed: 1, tasks: 2, blocker_kinds: ["tests_failed"] });
  });
});
