// Gated engines: `case` is refused unless enabled (engine_not_enabled), admitted
// (integrity hash = sha256 of the configured executable) and eligible (a
// decision selecting case, made by someone else) — else not_eligible. Run
// through the recorded-log `ca` replayer (fixtures/engines/case/ca, NOT Case):
// a clean pipeline passes, an approval in its stream is self_approval, an
// unreadable or absent log is missing_event. Also codex/pi end to end through
// the stdout replayer.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { evaluateEligibility, readGateRecords, verifyBundle } from "../../../src/harness";
import { decidedBySelf } from "../../../src/harness/gating";
import { main } from "../../../src/cli/main";
import { cleanupTemps, ENGINE_FIXTURES, FIXTURES, readJsonl, run, tempDir, treeHash } from "./helpers";

const CA = join(ENGINE_FIXTURES, "case", "ca");
const CA_SHA = createHash("sha256").update(readFileSync(CA)).digest("hex");

function admission(hash: string, extra = ""): string {
  return `---\nname: adm\nrecord_type: source-admission\ncore_promotion_status: not-promoted\n---\n\n# Admission\n\nSource ID: case-30b1fa1\nSource URL: https://github.com/workos/case\nPinned commit: 30b1fa1285a9d8f5a05f81377bcf95fbe250642c\nLicense note: no LICENSE file; no license granted; sandbox evaluation only\nRetrieval date: 2026-05-16\nRetrieval command: git clone https://github.com/workos/case\nIntegrity hash: ${hash}\nAllowed execution mode: sandbox only\nProtected-source boundary: source repo never mutated\n${extra}`;
}
function decision(by: string, extra = ""): string {
  return `---\nname: dec\nrecord_type: eligibility-decision\ncore_promotion_status: not-promoted\n---\n\n# Decision\n\nSelected backend: \`case\`\nDenied backends: none\nRisk class: high\nRequired gates: gated-engine\nAllowed mutation mode: sandbox\nReasons: evaluation\nEscalation path: CTO\nDecided by: ${by}\nDecided on: 2026-05-16\n${extra}`;
}

/** A CTO child workspace (WORKBOARD.yaml) holding the task and the records. */
function workspace(records: Record<string, string>): { dir: string; taskFile: string } {
  const dir = tempDir("cto-ws-");
  writeFileSync(join(dir, "WORKBOARD.yaml"), "workspace: { name: test }\n");
  mkdirSync(join(dir, "records"));
  for (const [name, text] of Object.entries(records)) writeFileSync(join(dir, "records", name), text);
  mkdirSync(join(dir, "tasks"));
  const taskFile = join(dir, "tasks", "task.yaml");
  writeFileSync(
    taskFile,
    `id: case-task\nprompt: "Add subtract()"\nrepo: ${join(FIXTURES, "repo")}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nengine_options: { command: ["${CA}"] }\n`,
  );
  return { dir, taskFile };
}

/** The replayer reads its spec from the caller's env and the fixtures folder: both passed explicitly, as a caller would. */
const replayEnv = (spec: string) => ({ ...process.env, CTO_CA_REPLAY: join(ENGINE_FIXTURES, spec) });
const replay = (spec: string) => ({ env: replayEnv(spec), passEnv: ["CTO_CA_REPLAY"], expose: [ENGINE_FIXTURES] });

describe("harness: gated engines and adapters", function () {
  this.timeout(20_000);
  after(cleanupTemps);
  const good = () => ({ "admission.md": admission(`sha256:${CA_SHA}`), "decision.md": decision("CTO (human reviewer)") });

  describe("records", () => {
    it("reads admission and decision fields with their lines", () => {
      const ws = workspace(good());
      const r = readGateRecords(ws.dir);
      assert.equal(r.admissions.length, 1);
      assert.equal(r.decisions.length, 1);
      assert.deepEqual(r.problems, []);
      assert.equal(r.admissions[0]!.fields["Integrity hash"]!.value, `sha256:${CA_SHA}`);
      assert.equal(r.admissions[0]!.fields["Integrity hash"]!.line, 15);
      assert.equal(r.decisions[0]!.fields["Selected backend"]!.value, "case");
    });
    it("a record lacking a field is a located problem", () => {
      const ws = workspace({ "admission.md": admission(`sha256:${CA_SHA}`).replace(/License note:.*\n/, ""), "decision.md": decision("CTO") });
      const r = readGateRecords(ws.dir);
      assert.deepEqual(r.problems.map((p) => [p.file, p.message]), [["records/admission.md", "source-admission record lacks 'License note:'"]]);
      assert.equal(evaluateEligibility("case", { program: CA, args: [] }, r).ok, false);
    });
    it("decided-by-self detection", () => {
      assert.equal(decidedBySelf("case", "case"), true);
      assert.equal(decidedBySelf("Case (the engine)", "case"), true);
      assert.equal(decidedBySelf("workos/case", "case"), true);
      assert.equal(decidedBySelf("CTO (human reviewer)", "case"), false);
      assert.equal(decidedBySelf("CTO, not case", "case"), false);
    });
    it("a superseded admission (named as Previous source ID) does not count", () => {
      const ws = workspace({ "old.md": admission(`sha256:${CA_SHA}`), "new.md": admission(`sha256:${"1".repeat(64)}`, "Previous source ID: case-30b1fa1\n").replace("Source ID: case-30b1fa1", "Source ID: case-next"), "decision.md": decision("CTO") });
      const e = evaluateEligibility("case", { program: CA, args: [] }, readGateRecords(ws.dir));
      assert.equal(e.ok, false);
      assert.match(e.reasons.join(";"), /integrity hash mismatch/);
    });
  });

  describe("cto run --engine case", () => {
    it("is refused unless enabled (engine_not_enabled, 22), before anything runs", async () => {
      const ws = workspace(good());
      const r = await run({ engine: "case", taskFile: ws.taskFile, cwd: ws.dir, ...replay("case/replay-completed.json") });
      assert.equal(r.exitCode, 22);
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["engine_not_enabled"]);
      assert.equal(r.report.backend_exit_code, null);
      assert.ok(!r.events.some((e) => e.type === "engine.started"));
    });

    it("runs when enabled, admitted and eligible (records found via WORKBOARD.yaml)", async () => {
      const ws = workspace(good());
      const before = treeHash(join(FIXTURES, "repo"));
      const r = await run({ engine: "case", taskFile: ws.taskFile, cwd: ws.dir, enableGated: ["case"], ...replay("case/replay-completed.json") });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      assert.equal(r.report.engine.gated, true);
      assert.equal(r.report.isolation, "bubblewrap", "gated engines require isolation by default");
      assert.deepEqual(r.report.changed_files.map((f) => f.path), ["src/sub.js"], "Case's .case/ state stays out of the diff");
      const types = r.events.map((e) => e.type);
      assert.ok(types.includes("eligibility.granted") && types.includes("engine.pipeline_started") && types.includes("engine.pipeline_finished"));
      assert.ok(readFileSync(join(r.bundleDir!, "raw", "case.events.jsonl"), "utf8").includes("pipeline_end"));
      assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
      assert.equal(treeHash(join(FIXTURES, "repo")), before);
    });

    const refusals: [string, () => Record<string, string>, RegExp][] = [
      ["a wrong integrity hash", () => ({ "admission.md": admission(`sha256:${"0".repeat(64)}`), "decision.md": decision("CTO") }), /integrity hash mismatch/],
      ["a decision made by case", () => ({ "admission.md": admission(`sha256:${CA_SHA}`), "decision.md": decision("case") }), /cannot decide its own eligibility/],
      ["a decision that denies case", () => ({ "admission.md": admission(`sha256:${CA_SHA}`), "decision.md": decision("CTO").replace("Denied backends: none", "Denied backends: codex, case") }), /denies 'case'/],
      ["no decision at all", () => ({ "admission.md": admission(`sha256:${CA_SHA}`) }), /no eligibility decision selects 'case'/],
      ["no admission at all", () => ({ "decision.md": decision("CTO") }), /no source admission record/],
    ];
    for (const [what, recs, why] of refusals) {
      it(`is not_eligible (23) with ${what}`, async () => {
        const ws = workspace(recs());
        const r = await run({ engine: "case", taskFile: ws.taskFile, cwd: ws.dir, enableGated: ["case"], ...replay("case/replay-completed.json") });
        assert.equal(r.exitCode, 23);
        assert.deepEqual(r.report.blockers.map((b) => b.id), ["not_eligible"]);
        assert.match(r.report.blockers[0]!.reason, why);
        assert.ok(!r.events.some((e) => e.type === "engine.started"), "refused before anything runs");
      });
    }

    it("is not_eligible without a workspace or --records", async () => {
      const dir = tempDir();
      const taskFile = join(dir, "task.yaml");
      writeFileSync(taskFile, `id: t\nrepo: ${join(FIXTURES, "repo")}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nengine_options: { command: ["${CA}"] }\n`);
      const r = await run({ engine: "case", taskFile, enableGated: ["case"] });
      assert.equal(r.exitCode, 23);
      assert.match(r.report.blockers[0]!.reason, /WORKBOARD\.yaml/);
    });

    it("an approval in Case's own stream is self_approval (24)", async () => {
      const ws = workspace(good());
      const r = await run({ engine: "case", taskFile: ws.taskFile, cwd: ws.dir, enableGated: ["case"], ...replay("case/replay-self-approval.json") });
      assert.equal(r.exitCode, 24, JSON.stringify(r.report.blockers));
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["self_approval"]);
      const e = r.events.find((x) => x.type === "approval.self_granted")!;
      assert.equal(e.source, "engine");
      assert.ok(!r.events.some((x) => (x.type === "approval.granted" || x.type === "approval.denied") && x.source !== "approver"));
    });

    for (const [spec, why] of [
      ["case/replay-garbage.json", /line 1/],
      ["case/replay-no-log.json", /no event log/],
    ] as const) {
      it(`missing_event (14) on ${spec.includes("garbage") ? "an unreadable" : "an absent"} log`, async () => {
        const ws = workspace(good());
        const r = await run({ engine: "case", taskFile: ws.taskFile, cwd: ws.dir, enableGated: ["case"], ...replay(spec) });
        assert.equal(r.exitCode, 14, JSON.stringify(r.report.blockers));
        assert.deepEqual(r.report.blockers.map((b) => b.id), ["missing_event"]);
        assert.match(r.report.blockers[0]!.reason, why);
      });
    }

    it("the CLI takes --enable-gated and --records", async () => {
      const ws = workspace(good());
      const out: string[] = [];
      const io = { out: (l: string) => out.push(l), err: () => {}, cwd: ws.dir, env: replayEnv("case/replay-completed.json") };
      const code = await main(["run", "--engine", "case", "--task", ws.taskFile, "--enable-gated", "case", "--records", join(ws.dir, "records"), "--out", join(ws.dir, "runs"), "--pass-env", "CTO_CA_REPLAY", "--expose", ENGINE_FIXTURES, "--json"], io);
      assert.equal(code, 0, out.join("\n"));
      assert.equal(JSON.parse(out.join("\n")).status, "pass");
    });
  });

  describe("codex and pi adapters end to end (stdout replayer, not the real CLIs)", () => {
    const task = (engine: string) => {
      const dir = tempDir();
      const f = join(dir, "task.yaml");
      writeFileSync(f, `id: ${engine}-task\nprompt: "Add subtract()"\nrepo: ${join(FIXTURES, "repo")}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nengine_options: { command: ["${join(ENGINE_FIXTURES, "replay-stdout")}"] }\n`);
      return f;
    };
    const env = (spec: string) => ({ env: { ...process.env, CTO_REPLAY_SPEC: join(ENGINE_FIXTURES, spec) }, passEnv: ["CTO_REPLAY_SPEC"], expose: [ENGINE_FIXTURES] });

    it("codex: a successful exec passes, with normalized events", async () => {
      const r = await run({ engine: "codex", taskFile: task("codex"), ...env("codex/replay-success.json") });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      assert.match(r.report.engine.version ?? "", /replay-stdout/);
      assert.ok(r.events.some((e) => e.type === "engine.turn_completed" && e.source === "engine"));
      assert.ok(readFileSync(join(r.bundleDir!, "raw", "engine.stdout.log"), "utf8").includes("thread.started"));
    });
    it("codex: a declined command is approval_denied (16) decided by the approver side", async () => {
      const r = await run({ engine: "codex", taskFile: task("codex"), ...env("codex/replay-declined.json") });
      assert.equal(r.exitCode, 16, JSON.stringify(r.report.blockers));
      const denied = r.events.find((e) => e.type === "approval.denied")!;
      assert.equal(denied.source, "approver");
    });
    it("codex: a provider error is provider_unavailable (21)", async () => {
      const r = await run({ engine: "codex", taskFile: task("codex"), ...env("codex/replay-provider-error.json") });
      assert.equal(r.exitCode, 21, JSON.stringify(r.report.blockers));
    });
    it("codex / pi: a missing CLI is provider_unavailable (21), never a crash", async () => {
      for (const engine of ["codex", "pi"]) {
        const dir = tempDir();
        const f = join(dir, "task.yaml");
        writeFileSync(f, `id: t\nrepo: ${join(FIXTURES, "repo")}\nallowed_files: ["src/**"]\ntest_command: ["${process.execPath}", "test.js"]\n`);
        const r = await run({ engine, taskFile: f, env: { ...process.env, PATH: "/nonexistent" , CTO_CODEX_COMMAND: "", CTO_PI_COMMAND: "" } });
        assert.equal(r.exitCode, 21, `${engine}: ${JSON.stringify(r.report.blockers)}`);
      }
    });
    it("pi: a json session passes", async () => {
      const r = await run({ engine: "pi", taskFile: task("pi"), ...env("pi/replay-success.json") });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      const ev = readJsonl(join(r.bundleDir!, "events.normalized.jsonl"));
      assert.ok(ev.some((e) => e.type === "engine.tool_started"));
    });
  });
});
