// The case adapter end to end through the harness (default isolation) on the
// real Case event logs, replayed unchanged by the `ca` STAND-IN
// (fixtures/engines/case/ca — NOT Case: it runs no agent). The stand-in behaves
// as the real `ca` does around its pipeline (ENGINES.md): it finds the repo only
// through projects.json in CASE_DATA_DIR, rewrites the task file in place, and
// exits 0 when the pipeline failed. So these runs prove the adapter gives it
// what the real one needs and reads the outcome from the log, not the exit.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { verifyBundle } from "../../../src/harness";
import { cleanupTemps, ENGINE_FIXTURES, readJsonl, run, tempDir } from "./helpers";

const CA = join(ENGINE_FIXTURES, "case", "ca");
const CA_SHA = createHash("sha256").update(readFileSync(CA)).digest("hex");

const ADMISSION = `---\nname: adm\nrecord_type: source-admission\ncore_promotion_status: not-promoted\n---\n\n# Admission\n\nSource ID: case-30b1fa1\nSource URL: https://github.com/workos/case\nPinned commit: 30b1fa1285a9d8f5a05f81377bcf95fbe250642c\nLicense note: no LICENSE file; no license granted; sandbox evaluation only\nRetrieval date: 2026-05-16\nRetrieval command: git clone https://github.com/workos/case\nIntegrity hash: sha256:${CA_SHA}\nAllowed execution mode: sandbox only\nProtected-source boundary: source repo never mutated\n`;
const DECISION = `---\nname: dec\nrecord_type: eligibility-decision\ncore_promotion_status: not-promoted\n---\n\n# Decision\n\nSelected backend: \`case\`\nDenied backends: none\nRisk class: high\nRequired gates: gated-engine\nAllowed mutation mode: sandbox\nReasons: evaluation\nEscalation path: CTO\nDecided by: CTO (human reviewer)\nDecided on: 2026-05-16\n`;

/** A workspace with the gate records, a repo whose test needs sub.js, and a case task. */
function workspace(): { dir: string; taskFile: string; repo: string } {
  const dir = tempDir("cto-case-");
  writeFileSync(join(dir, "WORKBOARD.yaml"), "workspace: { name: test }\n");
  mkdirSync(join(dir, "records"));
  writeFileSync(join(dir, "records", "admission.md"), ADMISSION);
  writeFileSync(join(dir, "records", "decision.md"), DECISION);
  const repo = join(dir, "repo");
  mkdirSync(repo);
  writeFileSync(join(repo, "test.js"), "const sub = require('./sub.js');\nif (sub(5, 3) !== 2) { console.error('subtract is wrong'); process.exit(1); }\nconsole.log('ok');\n");
  const taskFile = join(dir, "task.yaml");
  writeFileSync(taskFile, `id: e2e-subtract\nprompt: "Add subtract()"\nrepo: ./repo\nallowed_files: ["sub.js"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nengine_options: { command: ["${CA}"] }\n`);
  return { dir, taskFile, repo };
}

const caseRun = (ws: { taskFile: string; dir: string }, spec: string) =>
  run({ engine: "case", taskFile: ws.taskFile, enableGated: ["case"], recordsDir: join(ws.dir, "records"), env: { ...process.env, CTO_CA_REPLAY: join(ENGINE_FIXTURES, "case", spec) }, passEnv: ["CTO_CA_REPLAY"], expose: [ENGINE_FIXTURES] });

describe("harness: case adapter on the real Case logs, through the ca stand-in (not Case)", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  it("pass: the bundle verifies, patch.diff applies, the tests pass", async () => {
    const ws = workspace();
    const r = await caseRun(ws, "replay-real-pass.json");
    assert.equal(r.report.isolation, "bubblewrap");
    assert.deepEqual(r.report.blockers, [], JSON.stringify(r.report.blockers));
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.report.changed_files.map((c) => c.path), ["sub.js"]);
    const v = await verifyBundle(r.bundleDir!);
    assert.equal(v.verdict, "verified", JSON.stringify(v.problems));
    // patch.diff applies to a fresh copy of the source
    const copy = tempDir("cto-apply-");
    spawnSync("cp", ["-r", `${ws.repo}/.`, copy]);
    const ap = spawnSync("git", ["apply", "--check", join(r.bundleDir!, "patch.diff")], { cwd: copy, encoding: "utf8" });
    assert.equal(ap.status, 0, ap.stderr);
    // The stand-in found the sandbox through projects.json and rewrote its task file in place.
    const task = JSON.parse(readFileSync(join(r.bundleDir!, "raw", "case.task.json"), "utf8"));
    assert.equal(task.status, "pr-opened");
    const events = readJsonl(join(r.bundleDir!, "events.normalized.jsonl")) as { type: string; data: Record<string, unknown> }[];
    const home = events.filter((e) => e.type === "engine.home").map((e) => e.data.variable);
    assert.deepEqual(home, ["CASE_DATA_DIR", "PI_CODING_AGENT_DIR"]);
    assert.ok((events.find((e) => e.type === "engine.home")!.data.written as string[]).includes("projects.json"));
  });

  it("tool output saying 'approved' is not a self-approval: the run passes", async () => {
    const ws = workspace();
    const r = await caseRun(ws, "replay-real-approved.json");
    assert.deepEqual(r.report.blockers, []);
    assert.equal(r.exitCode, 0);
  });

  it("provider down: ca exits 0, the log says the implementer never acted → provider_unavailable (21), tests skipped", async () => {
    const ws = workspace();
    const r = await caseRun(ws, "replay-real-provider-down.json");
    assert.equal(r.report.backend_exit_code, 0);
    assert.equal(r.report.blockers[0]?.id, "provider_unavailable", JSON.stringify(r.report.blockers));
    assert.match(r.report.blockers[0]!.reason, /AGENT_RESULT start delimiter not found/);
    assert.equal(r.exitCode, 21);
    assert.ok(!r.report.blockers.some((b) => b.id === "no_diff" || b.id === "tests_failed"));
    assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
  });

  it("dry run: completed with no change → no_diff (10)", async () => {
    const ws = workspace();
    const r = await caseRun(ws, "replay-real-dry-run.json");
    assert.deepEqual(r.report.blockers.map((b) => b.id), ["no_diff"]);
    assert.equal(r.exitCode, 10);
  });

  it("the stand-in refuses a repo that projects.json does not name (as the real ca does)", () => {
    const dir = tempDir("cto-ca-");
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data", "projects.json"), JSON.stringify({ repos: [{ name: "other", path: dir }] }));
    writeFileSync(join(dir, "t.task.json"), JSON.stringify({ id: "t", status: "active", created: "2026-01-01T00:00:00Z", repo: "mine" }));
    const r = spawnSync(CA, ["run", "--task", join(dir, "t.task.json")], { cwd: dir, env: { PATH: process.env.PATH, CASE_DATA_DIR: join(dir, "data"), CTO_CA_REPLAY: join(ENGINE_FIXTURES, "case", "replay-real-pass.json") }, encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Repo "mine" not found in projects.json/);
  });
});
