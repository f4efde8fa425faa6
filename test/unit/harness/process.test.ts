// Process and sandbox guarantees: a timeout leaves no process behind; an engine
// that writes outside the sandbox or through a symlink is blocked and writes
// nothing outside; a kill -9 of the harness leaves no bundle that claims pass;
// approvals, cancel, crash, reviewer commands, isolation and write faults.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import { verifyBundle } from "../../../src/harness";
import { cleanupTemps, CLI, FIXTURES, marker, run, tempDir, treeHash, withMarker, writeTask, SUB } from "./helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("harness: processes, sandbox boundary, crashes", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  for (const isolation of ["none", "required"] as const) {
    it(`a timeout kills the whole process group, grandchildren included (isolation ${isolation})`, async () => {
      const m = marker();
      const t = writeTask(`id: to\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 0.8\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - spawn: { command: ["sleep", "${m}"] }\n  - sleep_ms: 60000\n`);
      const r = await run({ taskFile: t.taskFile, isolation });
      assert.equal(r.exitCode, 17, JSON.stringify(r.report.blockers));
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["timeout"]);
      const fin = r.events.find((e) => e.type === "engine.finished")!;
      assert.equal(fin.data.process_group_gone, true);
      assert.ok(r.events.some((e) => e.type === "engine.spawned"), "the grandchild was started");
      assert.deepEqual(withMarker(m), [], "no process outlives the run");
      assert.ok(r.events.some((e) => e.type === "tests.skipped"));
    });
  }

  it("a background child left by an engine that exits normally is swept too", async () => {
    const m = marker();
    const t = writeTask(`id: bg\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - spawn: { command: ["sleep", "${m}"] }\n`);
    const r = await run({ taskFile: t.taskFile, isolation: "none" });
    assert.equal(r.report.status, "pass");
    assert.deepEqual(withMarker(m), []);
  });

  it("an engine writing outside the sandbox, or through a symlink, is blocked and writes nothing outside", async function () {
    const outsideTmp = tempDir("cto-outside-");
    const outsideVar = mkdtempSync("/var/tmp/cto-outside-");
    try {
      const before = [treeHash(outsideTmp), treeHash(outsideVar)];
      const t = writeTask(
        `id: escape\nrepo: ./repo\nallowed_files: ["**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n` +
          `  - write: { path: src/sub.js, content: "${SUB}" }\n` +
          `  - write: { path: ../escaped.txt, content: "x" }\n` +
          `  - write: { path: ${outsideVar}/abs.txt, content: "x" }\n` +
          `  - symlink: { path: link, target: ${outsideVar} }\n` +
          `  - write: { path: link/through-link.txt, content: "x" }\n` +
          `  - symlink: { path: tmplink, target: ${outsideTmp} }\n` +
          `  - write: { path: tmplink/through-link.txt, content: "x" }\n`,
      );
      const r = await run({ taskFile: t.taskFile, isolation: "required" });
      assert.equal(r.report.isolation, "bubblewrap");
      assert.equal(r.exitCode, 11, JSON.stringify(r.report.blockers));
      assert.ok(r.report.blockers.every((b) => b.id === "disallowed_file"));
      const reasons = r.report.blockers.map((b) => b.reason).join("\n");
      assert.match(reasons, /\.\.\/escaped\.txt: engine reported a write outside the sandbox/);
      assert.match(reasons, /abs\.txt: engine reported a write outside the sandbox/);
      assert.match(reasons, /link\/through-link\.txt: engine reported a write through a symlink/);
      assert.match(reasons, /link: symlink points outside the repo/);
      assert.deepEqual([treeHash(outsideTmp), treeHash(outsideVar)], before, "nothing was written outside");
      assert.ok(!existsSync(join(t.dir, "escaped.txt")));
      assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
    } finally {
      rmSync(outsideVar, { recursive: true, force: true });
    }
  });

  for (const bwrap of [true, false]) {
    it(`a kill -9 of the harness mid-run leaves no bundle, and the next run collects its sandbox and engine (${bwrap ? "bubblewrap" : "no isolation"})`, async () => {
      const m = marker();
      const t = writeTask(`id: k9\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 60\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - spawn: { command: ["sleep", "${m}"] }\n  - sleep_ms: 60000\n`);
      const out = join(t.dir, "runs");
      const tmp = tempDir("cto-k9-tmp-");
      chmodSync(tmp, 0o755); // without bubblewrap the unprivileged engine walks to its sandbox
      const env = { ...process.env, TMPDIR: tmp, ...(bwrap ? {} : { CTO_BWRAP: "" }) };
      const child = spawn(process.execPath, [CLI, "run", "--engine", "fake", "--task", t.taskFile, "--out", out], { stdio: "ignore", env });
      const deadline = Date.now() + 15_000;
      while (withMarker(m).length === 0) {
        if (Date.now() > deadline) assert.fail("the engine never started");
        await sleep(50);
      }
      // While the engine runs there is no bundle folder it could reach.
      assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], "nothing in the evidence folder while the engine runs");
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      await sleep(300);
      assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], "a killed run leaves no bundle at all");
      assert.equal(readdirSync(tmp).filter((d) => d.startsWith("cto-run-")).length, 1, "its sandbox is left behind");
      if (bwrap) assert.deepEqual(withMarker(m), [], "bubblewrap's --die-with-parent took the engine down with the harness");
      // The next run collects the dead run's sandbox and whatever of it still runs.
      const next = writeTask(`id: next\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
      const r = await run({ taskFile: next.taskFile, tmpRoot: tmp, env, isolation: bwrap ? "auto" : "none" });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      assert.ok(r.events.some((e) => e.type === "leftovers.collected"), "the leftovers were collected");
      assert.deepEqual(readdirSync(tmp).filter((d) => d.startsWith("cto-run-")), []);
      assert.deepEqual(withMarker(m), [], "no engine of the dead run is left");
    });
  }

  it("approvals: `ask` goes to the person's callback; granted runs pass", async () => {
    const t = writeTask(`id: ask\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\napprovals: { policy: ask }\nscenario:\n  - approval: { action: "install left-pad" }\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
    const asked: string[] = [];
    const r = await run({ taskFile: t.taskFile }, { ask: async (req) => (asked.push(req.action), "grant") });
    assert.deepEqual(asked, ["install left-pad"]);
    assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
    const g = r.events.find((e) => e.type === "approval.granted")!;
    assert.equal(g.source, "approver");
    assert.equal(g.data.by, "person");
    assert.equal(r.events.find((e) => e.type === "approval.requested")!.source, "engine");
  });

  it("approvals: the CLI answers `ask` with deny and says so", async () => {
    const t = writeTask(`id: ask\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\napprovals: { policy: ask }\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - approval: { action: "install left-pad" }\n`);
    const err: string[] = [];
    const code = await main(["run", "--engine", "fake", "--task", t.taskFile, "--out", join(t.dir, "runs")], { out: () => {}, err: (l) => err.push(l), cwd: t.dir, env: process.env });
    assert.equal(code, 16);
    assert.match(err.join("\n"), /answers 'ask' with deny/);
  });

  it("approvals: `grant` policy grants", async () => {
    const t = writeTask(`id: grant\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\napprovals: { policy: grant }\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - approval: { action: "run npm install" }\n`);
    const r = await run({ taskFile: t.taskFile });
    assert.equal(r.report.status, "pass");
  });

  it("cancel (AbortSignal) kills the engine group and ends blocked, never pass", async () => {
    const t = writeTask(`id: cancel\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 60\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - sleep_ms: 60000\n`);
    const ac = new AbortController();
    const p = run({ taskFile: t.taskFile }, { signal: ac.signal, onEvent: (e) => e.type === "engine.started" && setTimeout(() => ac.abort(), 200) });
    const r = await p;
    assert.equal(r.exitCode, 17);
    assert.match(r.report.blockers[0]!.reason, /cancelled/);
  });

  it("a crashing engine (killed by a signal) is engine_failed with 128+N, not missing_event", async () => {
    const t = writeTask(`id: crash\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n  - crash: true\n`);
    const r = await run({ taskFile: t.taskFile });
    assert.deepEqual(r.report.blockers.map((b) => b.id), ["engine_failed"]);
    assert.equal(r.report.backend_exit_code, 137);
  });

  it("a reviewer command reads the patch on stdin; nonzero is reviewer_rejected", async () => {
    const approve = `["node", "-e", "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.exit(s.includes('a - b')?0:1))"]`;
    const t1 = writeTask(`id: rev\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nreviewer: { command: ${approve} }\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
    const r1 = await run({ taskFile: t1.taskFile });
    assert.equal(r1.report.status, "pass", JSON.stringify(r1.report.blockers));
    const t2 = writeTask(`id: rev\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nreviewer: { command: ["node", "-e", "process.exit(2)"] }\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
    const r2 = await run({ taskFile: t2.taskFile });
    assert.equal(r2.exitCode, 15);
    assert.ok(existsSync(join(r2.bundleDir!, "raw", "reviewer.log")));
  });

  it("isolation 'required' that cannot be had is blocked (not_eligible), never weakened", async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml"), isolation: "required", env: { ...process.env, CTO_BWRAP: "" } });
    assert.equal(r.exitCode, 23);
    assert.match(r.report.blockers[0]!.reason, /isolation is required/);
    const r2 = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml"), env: { ...process.env, CTO_BWRAP: "" } });
    assert.equal(r2.report.status, "pass");
    assert.equal(r2.report.isolation, "none");
  });

  it("isolation: the tests see no network and only the sandbox writable", async () => {
    const probe = `["node", "-e", "const fs=require('fs');let ro=false;try{fs.writeFileSync('${FIXTURES}/repo/x','')}catch(e){ro=true};const n=Object.keys(require('os').networkInterfaces()).filter(i=>i!=='lo');process.exit(ro&&n.length===0?0:1)"]`;
    const t = writeTask(`id: iso\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ${probe}\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
    const r = await run({ taskFile: t.taskFile, isolation: "required" });
    assert.equal(r.report.status, "pass", readFileSync(join(r.bundleDir!, "test.log"), "utf8"));
  });

  it("a failed write of every artifact leaves no bundle at all (exit 20)", async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml"), faults: { artifactWrite: ["*"] } });
    assert.equal(r.exitCode, 20);
    assert.equal(r.report.status, "error");
    assert.equal(r.bundleDir, null);
    assert.deepEqual(existsSync(r.out) ? readdirSync(r.out) : [], []);
  });

  it("a failed report.json write leaves no bundle; a failed raw log write is recorded", async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml"), faults: { artifactWrite: ["report.json"] } });
    assert.equal(r.exitCode, 20);
    assert.equal(r.bundleDir, null);
    const r2 = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml"), faults: { artifactWrite: ["raw/engine.stdout.log"] } });
    assert.equal(r2.exitCode, 20);
    assert.equal(r2.report.status, "error");
    assert.equal((await verifyBundle(r2.bundleDir!)).verdict, "verified", "the bundle honestly records its own failure");
  });
});
