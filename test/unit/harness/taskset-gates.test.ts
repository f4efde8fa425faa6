// Gates 3–5 on real evidence: a copy of the fixture workspace whose admission record pins the
// recorded-log `ca` replayer (fixtures/engines/case/ca — NOT Case), a git repo, one task and a
// task set per gate; the whole failure matrix run once (gates 1–2), then case runs through
// runTask / the CLI, throwaway repos (`cto sandbox-repo create`), reviews by a person (`cto
// review`), and each thing that must stop a bundle or a review from counting.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discoverWorkspaces, evaluateGates, loadWorkspace, nodeFs, type CtoWorkspace, type GateState } from "../../../src/core";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import {
  createReview,
  createSandboxRepo,
  loadMatrix,
  loadTrustStore,
  readGateEvidence,
  readReviews,
  reviewRefusal,
  runFixtures,
  runTask,
  verifyBundle,
  REVIEW_PREDICATE_TYPE,
  SANDBOX_REPO_MARKER,
  type RunResult,
} from "../../../src/harness";
import { signStatement, STATEMENT_TYPE } from "../../../src/harness/attest";
import type { SigningKey } from "../../../src/harness/keys";
import { ownerTag } from "../../../src/harness/leftovers";
import { attackerKey } from "./forge";
import { cleanupTemps, CLI, ENGINE_FIXTURES, FIXTURES, gitIn, schemaValidator, tempDir } from "./helpers";
import { flipByte, workspaceCopy } from "./matrixHelpers";

const CA = join(ENGINE_FIXTURES, "case", "ca");
const CA_SHA = createHash("sha256").update(readFileSync(CA)).digest("hex");
const REPLAY = join(ENGINE_FIXTURES, "case", "replay-completed.json");
const env = { ...process.env, CTO_CA_REPLAY: REPLAY };
const GATES = ["copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo"] as const;

const taskSet = (gate: string) => `---
name: cto-case-task-set-${gate}
tier: local
status: draft
owner: jp
created: 2026-05-31
last_reviewed: 2026-05-31
lifecycle_classification: planning
core_promotion_status: not-promoted
record_type: task-set
gate: ${gate}
---

# Task set: ${gate}

Local planning SOT only. Not a Core Protocol. Not active Core authority.

| task | task file | repo |
| --- | --- | --- |
| add-subtract | tasks/add.yaml | repos/calc |
`;
const TASK = `id: add-subtract
prompt: "Add subtract() in src/sub.js"
repo: ../repos/calc
allowed_files: ["src/**"]
test_command: ["node", "test.js"]
timeout_s: 30
reviewer: { command: ["node", "-e", "process.exit(0)"] }
engine_options: { command: ["${CA}"] }
`;

describe("harness: gates 3–5 on task sets, throwaway repos and reviews", function () {
  this.timeout(60_000);
  let root: string;
  let runs: string;
  let repo: string;
  let taskFile: string;

  const io = (out: string[], err: string[] = [], extra: NodeJS.ProcessEnv = {}): CliIo => ({ out: (l) => out.push(l), err: (l) => err.push(l), cwd: root, env: { ...env, ...extra } });
  const cto = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, io(out, err, extra));
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const loadWs = async (): Promise<CtoWorkspace> => loadWorkspace((await discoverWorkspaces(root, nodeFs))[0]!, nodeFs);
  const gates = async (): Promise<GateState[]> => {
    const ws = await loadWs();
    const trust = loadTrustStore({ workspaceRoot: root });
    const { evidence, reviews } = await readGateEvidence(ws, { runsDir: runs, matrix: (await loadMatrix(root)).rows, fixturesDir: FIXTURES, trust });
    return evaluateGates(ws, evidence, { reviews });
  };
  const gate = async (id: string) => (await gates()).find((g) => g.id === id)!;
  const runCase = (extra: { sandboxRepo?: string } = {}): Promise<RunResult> =>
    runTask({ engine: "case", taskFile, cwd: root, outDir: runs, enableGated: ["case"], env, passEnv: ["CTO_CA_REPLAY"], expose: [ENGINE_FIXTURES], killGraceMs: 200, ...extra });

  before(async () => {
    ({ root } = workspaceCopy());
    runs = join(root, ".cto", "runs");
    const adm = join(root, ".sot/03-PROTOCOLS/CTO-CASE-SOURCE-ADMISSION.md");
    writeFileSync(adm, readFileSync(adm, "utf8").replace(/sha256:0{64}/, `sha256:${CA_SHA}`));
    repo = join(root, "repos", "calc");
    cpSync(join(FIXTURES, "repo"), repo, { recursive: true });
    gitIn(repo, "init", "-q");
    gitIn(repo, "add", "-A");
    gitIn(repo, "commit", "-q", "-m", "base");
    mkdirSync(join(root, "tasks"));
    taskFile = join(root, "tasks", "add.yaml");
    writeFileSync(taskFile, TASK);
    for (const g of GATES) writeFileSync(join(root, `.sot/03-PROTOCOLS/TASKS-${g}.md`), taskSet(g));
    const outcomes = await runFixtures({ fixturesDir: FIXTURES, matrix: (await loadMatrix(root)).rows, outDir: runs });
    assert.deepEqual(outcomes.filter((o) => !o.matched).map((o) => `${o.row}: ${o.mismatches.join("; ")}`), []);
  });
  after(cleanupTemps);

  it("before any case run: gates 1–2 pass, copied-repo-fixture is open and names the run it needs", async () => {
    const g = await gates();
    assert.deepEqual(g.slice(0, 3).map((s) => s.state), ["passed", "passed", "open"]);
    assert.deepEqual(g[2]!.lacks, ["task add-subtract: needs a new run (no run of case on it yet): cto run --engine case --enable-gated case --task tasks/add.yaml"]);
    assert.deepEqual([g[2]!.progress!.needed, g[2]!.progress!.passed, g[2]!.progress!.record], [1, 0, ".sot/03-PROTOCOLS/TASKS-copied-repo-fixture.md"]);
    const v = await cto(["validate", ".", "--today", "2026-06-01"]);
    assert.equal(v.code, 0, v.out + v.err);
  });

  it("a dirty repo is a located record-structure error in every task set, and the task cannot count", async () => {
    writeFileSync(join(repo, "src", "add.js"), "module.exports = (a, b) => a + b + 0;\n");
    try {
      const v = await cto(["validate", ".", "--today", "2026-06-01"]);
      assert.equal(v.code, 1);
      const lines = v.out.split("\n");
      assert.equal(lines.length, 3, v.out);
      for (const g of GATES) assert.ok(lines.some((l) => l.startsWith(`.sot/03-PROTOCOLS/TASKS-${g}.md:20:35: error record-structure repo 'repos/calc' is not a clean start:`) && /src\/add\.js/.test(l) && /dirty_start/.test(l)), v.out);
      assert.match((await gate("copied-repo-fixture")).lacks.join(), /task add-subtract: repo repos\/calc is not a clean start/);
    } finally {
      gitIn(repo, "checkout", "--", "src/add.js");
    }
  });

  it("copied-repo-fixture passes on a pass run of case; cto gates shows tasks 1/1", async () => {
    const r = await runCase();
    assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
    const g = await gate("copied-repo-fixture");
    assert.equal(g.state, "passed", g.lacks.join(" | "));
    assert.ok(g.conditions.some((c) => c.ok && /task add-subtract: no change outside allowed_files \(1 file\(s\) changed\)/.test(c.text)));
    const j = await cto(["gates", ".", "--json"]);
    const cr = JSON.parse(j.out).gates.find((x: { id: string }) => x.id === "copied-repo-fixture");
    assert.deepEqual([cr.state, cr.tasks.needed, cr.tasks.passed, cr.tasks.list[0].bundle], ["passed", 1, 1, r.bundleDir]);
    assert.match((await cto(["gates", "."])).out, /✔ copied-repo-fixture +passed: .* — tasks 1\/1/);
  });

  it("an edited task file stops its bundles counting, visibly (which task, why); edited back, they count again", async () => {
    writeFileSync(taskFile, TASK + "# a comment changes the digest\n");
    try {
      const g = await gate("copied-repo-fixture");
      assert.equal(g.state, "open");
      assert.match(g.lacks.join(), /^task add-subtract: needs a new run \(1 bundle\(s\) of an older task file \(sha256 [0-9a-f]{12}…, now [0-9a-f]{12}…\): the task file changed\)/);
    } finally {
      writeFileSync(taskFile, TASK);
    }
    assert.equal((await gate("copied-repo-fixture")).state, "passed");
  });

  it("disposable-sandbox-repo: a run on the task's own repo does not count; a run on its throwaway repo does, named in freshness", async () => {
    let g = await gate("disposable-sandbox-repo");
    assert.equal(g.state, "open");
    assert.match(g.lacks.join(), /1 bundle\(s\) run on the task's own repo, not on a throwaway repo \(cto sandbox-repo create\)/);
    const made = await cto(["sandbox-repo", "create", "--task", "tasks/add.yaml"]);
    assert.equal(made.code, 0, made.err);
    const sb = made.out.trim();
    assert.equal(spawnSync("git", ["-C", sb, "status", "--porcelain"], { encoding: "utf8" }).stdout, "", "a clean repo");
    assert.equal(spawnSync("git", ["-C", sb, "rev-parse", "HEAD^{tree}"], { encoding: "utf8" }).stdout.trim(), gitIn(repo, "rev-parse", "HEAD^{tree}").trim(), "the same base tree as the original");
    const r = await runCase({ sandboxRepo: sb });
    assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
    assert.equal(r.report.task.repo, sb);
    assert.deepEqual([r.report.freshness.sandbox_repo?.source_repo, r.report.freshness.sandbox_repo?.source_tree], [repo, r.report.freshness.base_tree]);
    assert.deepEqual(schemaValidator("report")(r.report), [], "the report schema knows freshness.sandbox_repo");
    g = await gate("disposable-sandbox-repo");
    assert.equal(g.state, "passed", g.lacks.join(" | "));
    assert.ok(g.conditions.some((c) => c.ok && /reviewer approval of the patch \(command:node -e process\.exit\(0\)\)/.test(c.text)));
    const v = await cto(["verify", r.bundleDir!, "--repo", sb]);
    assert.equal(v.code, 0, v.out);
    rmSync(sb, { recursive: true, force: true });
    assert.equal((await gate("disposable-sandbox-repo")).state, "passed", "the throwaway repo is deleted afterwards: its bundle still counts");
  });

  it("a throwaway repo is used only as made: a copied marker, an untrusted marker, another task's repo, a moved HEAD are refused", async () => {
    const sb = createSandboxRepo(taskFile, { out: join(tempDir("cto-sbr-"), "repo") }).path;
    // The marker copied into another repo (the original, here a copy of it) names another folder.
    const other = join(tempDir("cto-sbr-"), "calc");
    cpSync(repo, other, { recursive: true });
    cpSync(join(sb, ".git", SANDBOX_REPO_MARKER), join(other, ".git", SANDBOX_REPO_MARKER));
    await assert.rejects(runCase({ sandboxRepo: other }), /--sandbox-repo: .*marker was made for .*: a marker is not moved or copied/);
    // Signed by a key nobody trusts here.
    const k = attackerKey();
    const text = readFileSync(join(sb, ".git", SANDBOX_REPO_MARKER), "utf8");
    const statement = JSON.parse(Buffer.from(JSON.parse(text).payload, "base64").toString("utf8"));
    writeFileSync(join(sb, ".git", SANDBOX_REPO_MARKER), signStatement(statement, { keyid: k.keyid, privateKey: k.privateKey } as SigningKey));
    await assert.rejects(runCase({ sandboxRepo: sb }), /--sandbox-repo: .*marker is signed by an untrusted key/);
    // A throwaway repo of some other task's repo.
    const elsewhere = join(tempDir("cto-sbr-"), "task.yaml");
    writeFileSync(elsewhere, TASK.replace("repo: ../repos/calc", `repo: ${join(FIXTURES, "repo")}`));
    const foreign = createSandboxRepo(elsewhere, { out: join(tempDir("cto-sbr-"), "repo") }).path;
    await assert.rejects(runCase({ sandboxRepo: foreign }), /was made from .*fixtures\/harness\/repo, not from this task's repo/);
    // HEAD moved on: not the repo as made.
    const fresh = createSandboxRepo(taskFile, { out: join(tempDir("cto-sbr-"), "repo") }).path;
    writeFileSync(join(fresh, "extra.txt"), "x\n");
    gitIn(fresh, "add", "-A");
    gitIn(fresh, "commit", "-q", "-m", "moved");
    await assert.rejects(runCase({ sandboxRepo: fresh }), /HEAD is [0-9a-f]{40}, not the commit it was made with/);
    // A dirty source is not copied.
    writeFileSync(join(repo, "stray.txt"), "x\n");
    try {
      const r = await cto(["sandbox-repo", "create", "--task", "tasks/add.yaml"]);
      assert.equal(r.code, 1);
      assert.match(r.err, /not clean.*stray\.txt.*commit or stash first/);
    } finally {
      rmSync(join(repo, "stray.txt"));
    }
  });

  it("owned-noncritical-repo: outstanding until a person reviews; cto review --approve passes it; the bundle still verifies", async () => {
    let g = await gate("owned-noncritical-repo");
    assert.equal(g.state, "open");
    assert.equal(g.progress!.reviewsOutstanding.length, 1);
    const bundle = g.progress!.reviewsOutstanding[0]!.bundle;
    assert.match(g.lacks.join(), /needs a person's review of the patch/);
    const r = await cto(["review", bundle, "--approve", "--by", "Jane Doe", "--email", "jane@example.com", "--note", "reads right"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^approved: run .* \(case on add-subtract\) by Jane Doe <jane@example\.com>\n  attestation sha256:[0-9a-f]{64}\n  review: .*\/\.cto\/runs\/\.reviews\/.*\.json$/);
    g = await gate("owned-noncritical-repo");
    assert.equal(g.state, "passed", g.lacks.join(" | "));
    assert.ok(g.conditions.some((c) => c.ok && /reviewed by a person \(Jane Doe <jane@example\.com>\)/.test(c.text)));
    assert.equal((await verifyBundle(bundle)).verdict, "verified", "the review lies beside the bundle, never in it");
    assert.deepEqual(readdirSync(join(runs, ".reviews")).length > 0, true);
    // A file added inside the bundle folder would fail it: that is why reviews live outside.
    const inside = join(bundle, "review.json");
    writeFileSync(inside, "{}");
    assert.equal((await verifyBundle(bundle)).verdict, "tampered");
    rmSync(inside);
  });

  it("reviews that do not count: signed by an untrusted key, naming another digest, a self-review — and a tampered bundle un-passes the gate", async () => {
    const g = await gate("owned-noncritical-repo");
    const bundle = g.progress!.tasks[0]!.bundle!;
    const runId = g.progress!.tasks[0]!.runId!;
    // Start over from the reviews of this run: take the good one away.
    const dir = join(runs, ".reviews", runId);
    const good = readdirSync(dir).map((f) => join(dir, f));
    const keep = good.map((f) => [f, readFileSync(f)] as const);
    for (const f of good) rmSync(f);
    const forge = (over: (p: Record<string, unknown>) => void, key: { keyid: string; privateKey: import("node:crypto").KeyObject }, name: string) => {
      const p = JSON.parse(Buffer.from(JSON.parse(keep[0]![1].toString("utf8")).payload, "base64").toString("utf8"));
      over(p.predicate);
      p.subject = [{ name: `${runId}/attestation.json`, digest: { sha256: p.predicate.bundle.attestation_sha256 } }];
      writeFileSync(join(dir, name), signStatement({ ...p, _type: STATEMENT_TYPE, predicateType: REVIEW_PREDICATE_TYPE }, key as SigningKey));
    };
    const attacker = attackerKey();
    forge(() => {}, { keyid: attacker.keyid, privateKey: attacker.privateKey }, "untrusted.json");
    const local = (await import("../../../src/harness/keys")).loadSigningKey(process.env, { create: false });
    forge((p) => ((p.bundle as { attestation_sha256: string }).attestation_sha256 = "f".repeat(64)), local, "digest.json");
    forge((p) => ((p.reviewer as { name: string }).name = "case"), local, "self.json");
    const reviews = await readReviews(runs, loadTrustStore());
    assert.deepEqual(reviews.filter((x) => x.runId === runId).map((x) => x.signature).sort(), ["trusted", "trusted", "untrusted"]);
    let after = await gate("owned-noncritical-repo");
    assert.equal(after.state, "open");
    const text = after.lacks.join(" | ");
    for (const why of [/1 review\(s\) do not count: signed by an untrusted key/, /1 review\(s\) do not count: naming another attestation digest/, /1 review\(s\) do not count: a self-review \(the reviewer 'case <jane@example\.com>' is the engine\)/]) assert.match(text, why);
    // The good review back: passed; then one flipped byte in the bundle: open again.
    for (const [f, b] of keep) writeFileSync(f, b);
    assert.equal((await gate("owned-noncritical-repo")).state, "passed");
    const copy = join(tempDir(), "patch.diff");
    cpSync(join(bundle, "patch.diff"), copy);
    flipByte(join(bundle, "patch.diff"), 5);
    try {
      after = await gate("owned-noncritical-repo");
      assert.notEqual(after.state, "passed");
      // The tampered bundle counts for nothing; what is left (the older run) lacks a review.
      assert.ok(!after.conditions.some((c) => c.ok && c.link && "bundle" in c.link && c.link.bundle === bundle), JSON.stringify(after.conditions));
      assert.match(after.lacks.join(" | "), /needs a person's review of the patch in run (?!.*do not count)/);
    } finally {
      cpSync(copy, join(bundle, "patch.diff"));
    }
    assert.equal((await gate("owned-noncritical-repo")).state, "passed");
  });

  it("cto review refuses in a run's processes, for the engine, and for a bundle that does not verify", async () => {
    const bundle = (await gate("owned-noncritical-repo")).progress!.tasks[0]!.bundle!;
    for (const [extra, why] of [
      [{ CTO_RUN_MARKER: "1.2/run/engine" }, /CTO_RUN_MARKER is set/],
      [{ CTO_RUN_ID: "r" }, /CTO_RUN_ID is set/],
      [{ USER: "cto-sandbox" }, /the sandbox user/],
    ] as const) {
      const r = await cto(["review", bundle, "--approve", "--by", "Jane"], extra);
      assert.equal(r.code, 1);
      assert.match(r.err, why);
    }
    // A process whose environment was cleared is still a run's descendant: refused through its ancestry.
    // (The marker names this live process as its owner: any harness's orphan sweep kills processes
    // marked by an owner that is gone.)
    const parent = spawnSync(process.execPath, ["-e", `require("child_process").spawnSync(process.execPath, [${JSON.stringify(CLI)}, "review", ${JSON.stringify(bundle)}, "--approve", "--by", "Jane"], { env: { PATH: process.env.PATH, CTO_SIGNING_KEY: process.env.CTO_SIGNING_KEY }, stdio: "inherit" }); `], { env: { ...process.env, CTO_RUN_MARKER: `${ownerTag()}/test-run/engine` }, encoding: "utf8" });
    assert.match(parent.stderr, /an ancestor process \(pid \d+\) was started by a harness run/);
    assert.equal(reviewRefusal({}), undefined, "this test process is no run's");
    const self = await cto(["review", bundle, "--approve", "--by", "Case (the engine)"]);
    assert.equal(self.code, 2);
    assert.match(self.err, /names the engine 'case' — an engine never reviews its own patch/);
    const t = join(tempDir(), "bundle");
    cpSync(bundle, t, { recursive: true });
    flipByte(join(t, "test.log"), 3);
    const tampered = await cto(["review", t, "--reject", "--by", "Jane"]);
    assert.equal(tampered.code, 3);
    assert.match(tampered.err, /the bundle is tampered .*: only a bundle that verifies can be reviewed/);
    await assert.rejects(createReview(bundle, { verdict: "approve", name: " ", tool: "test" }), /needs a name/);
    assert.equal((await cto(["review", bundle, "--approve", "--reject", "--by", "J"])).code, 2);
  });

  it("a new commit in the repo stops every bundle of its tasks counting (older repo tree)", async () => {
    writeFileSync(join(repo, "NOTES.md"), "more\n");
    gitIn(repo, "add", "-A");
    gitIn(repo, "commit", "-q", "-m", "more");
    const g = await gates();
    assert.deepEqual(g.slice(2, 5).map((s) => s.state), ["open", "locked", "locked"]);
    // The run on the repo itself is stale now (verify sees HEAD moved); the one on the deleted
    // throwaway repo is intact and fresh, but of the old tree.
    const lacks = g[2]!.lacks.join();
    assert.match(lacks, /^task add-subtract: needs a new run \(/);
    assert.match(lacks, /1 bundle\(s\) stale/);
    assert.match(lacks, /1 bundle\(s\) of an older repo tree \([0-9a-f]{12}…, now [0-9a-f]{12}…\): the repo changed/);
  });
});
