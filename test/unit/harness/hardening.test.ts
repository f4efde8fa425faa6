// Issue 8 (harness hardening): each finding of the adversarial review, replayed
// against the product path (runTask / the CLI), as root where CI runs as root.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import { readEvidence, verifyBundle } from "../../../src/harness";
import { isRoot, planIsolation } from "../../../src/harness/isolation";
import { BoundedBuffer, LineSplitter } from "../../../src/harness/proc";
import { plainTreeOf } from "../../../src/harness/sandbox";
import { cleanupTemps, ENGINE_FIXTURES, FIXTURES, gitIn, makeGitRepo, marker, run, tempDir, withMarker, writeTask, writeTaskObject } from "./helpers";
import { WORKSPACE } from "./matrixHelpers";

const bwrap = planIsolation("auto").kind === "bubblewrap";
const SUBJS = "module.exports = function sub(a, b) {\n  return a - b;\n};\n";
const sh = (script: string) => ({ spawn: { command: ["/bin/sh", "-c", script] } });
const quiet = { out: () => {}, err: () => {} };

describe("harness hardening (issue 8)", function () {
  this.timeout(60_000);
  after(cleanupTemps);

  describe("1-2. the engine's view: no escape as root, no secrets", function () {
    before(function () {
      if (!bwrap) this.skip();
    });

    it("an engine's remount of / writes nothing on the host, and the run says bubblewrap", async () => {
      const outside = tempDir("cto-escape-");
      chmodSync(outside, 0o777);
      // A name of its own: an escape must fail this run, not every later one.
      const atRoot = `/escaped-cto-${process.pid}-${Date.now()}`;
      const t = writeTaskObject({
        id: "escape",
        scenario: [
          { write: { path: "src/sub.js", content: SUBJS } },
          sh(`umount -l /tmp; mount -o remount,bind,rw /; umount -l /proc; touch ${outside}/escaped ${atRoot}; ls /proc | grep -c '^[0-9]' > src/procs.txt`),
          { sleep_ms: 800 },
        ],
      });
      const r = await run({ taskFile: t.taskFile });
      assert.equal(r.report.isolation, "bubblewrap");
      assert.deepEqual(readdirSync(outside), [], "the engine wrote on the host");
      const escaped = existsSync(atRoot);
      if (escaped) rmSync(atRoot, { force: true });
      assert.equal(escaped, false, `the engine created ${atRoot} on the host`);
      const procs = Number(readFileSync(join(r.bundleDir!, "patch.diff"), "utf8").match(/\+(\d+)\n/)?.[1]);
      assert.ok(procs > 0 && procs < 10, `the engine saw ${procs} processes: the host's were visible`);
    });

    it("the engine sees neither the user's home nor the evidence folder; its HOME is a per-run one", async () => {
      const home = process.env.HOME || homedir();
      const out = join(tempDir("cto-ev-"), "runs-evidence");
      mkdirSync(out);
      writeFileSync(join(out, "an-earlier-bundle"), "");
      const t = writeTaskObject({
        id: "peek",
        scenario: [sh(`{ ls -A ${home} 2>&1 | head -3; echo "HOME=$HOME"; ls -A ${out} 2>&1 | head -3; } > src/peek.txt`), { sleep_ms: 800 }, { write: { path: "src/sub.js", content: SUBJS } }],
      });
      const r = await run({ taskFile: t.taskFile, outDir: out });
      const patch = readFileSync(join(r.bundleDir!, "patch.diff"), "utf8");
      assert.match(patch, /No such file or directory/, patch);
      assert.doesNotMatch(patch.replace(/.*HOME=.*/g, ""), /\.ssh|\.config|\.cache|\.bashrc|an-earlier-bundle/, `something of the home or the evidence was listed:\n${patch}`);
      const homeLine = /\+HOME=(.*)\n/.exec(patch)![1]!;
      assert.notEqual(homeLine, home);
      assert.match(homeLine, /cto-run-[^/]+\/home$/);
    });
  });

  describe("3. the source repo's git config never runs on the host", () => {
    function hostileRepo(): { repo: string; marker: string } {
      const repo = makeGitRepo();
      writeFileSync(join(repo, ".gitattributes"), "* filter=evil diff=evil\n");
      gitIn(repo, "add", ".gitattributes");
      gitIn(repo, "commit", "-q", "-m", "attributes");
      const dir = tempDir("cto-evil-");
      const mark = join(dir, "ran");
      const evil = join(dir, "evil.sh");
      writeFileSync(evil, `#!/bin/sh\necho "$0 $*" >> ${mark}\ncat\n`, { mode: 0o755 });
      mkdirSync(join(dir, "hooks"));
      for (const h of ["post-checkout", "pre-commit", "reference-transaction", "post-index-change"]) writeFileSync(join(dir, "hooks", h), `#!/bin/sh\necho hook ${h} >> ${mark}\n`, { mode: 0o755 });
      writeFileSync(
        join(repo, ".git", "config"),
        readFileSync(join(repo, ".git", "config"), "utf8") +
          `[core]\n\tfsmonitor = ${evil}\n\thooksPath = ${join(dir, "hooks")}\n\tsshCommand = ${evil}\n[filter "evil"]\n\tclean = ${evil} clean\n\tsmudge = ${evil} smudge\n\trequired = true\n[diff "evil"]\n\ttextconv = ${evil}\n[diff]\n\texternal = ${evil}\n[uploadpack]\n\tpackObjectsHook = ${evil}\n`,
      );
      // Racy stat data makes git want to re-hash (and so clean-filter) files.
      for (const f of ["test.js", "README.md"]) spawnSync("touch", [join(repo, f)]);
      return { repo, marker: mark };
    }

    it("not in cto run's preflight and sandbox, not in cto verify --repo, not in cto gates on a planted bundle", async () => {
      const { repo, marker: mark } = hostileRepo();
      const t = writeTaskObject({ id: "cfg", repo, scenario: [{ write: { path: "src/sub.js", content: SUBJS } }] }, { repo });
      const r = await run({ taskFile: t.taskFile });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      assert.equal(existsSync(mark), false, `the repo's config ran: ${existsSync(mark) ? readFileSync(mark, "utf8") : ""}`);
      const v = await verifyBundle(r.bundleDir!, { repo });
      assert.equal(v.verdict, "verified", JSON.stringify(v.problems));
      assert.equal(existsSync(mark), false, "cto verify --repo ran the repo's config");
      // A bundle planted in a workspace's runs folder that names the repo: the gates read it.
      const ws = tempDir("cto-ws-");
      writeFileSync(join(ws, "WORKBOARD.yaml"), "workspace: { name: t }\n");
      mkdirSync(join(ws, ".cto", "runs"), { recursive: true });
      cpSync(r.bundleDir!, join(ws, ".cto", "runs", "planted"), { recursive: true });
      await readEvidence(join(ws, ".cto", "runs"));
      assert.equal(await main(["gates", ws, "--json"], { ...quiet, cwd: ws, env: process.env }), 0);
      assert.equal(existsSync(mark), false, "cto gates ran the repo's config");
    });

    it("a dirty hostile repo is dirty_start, still without running its config", async () => {
      const { repo, marker: mark } = hostileRepo();
      writeFileSync(join(repo, "untracked.txt"), "x");
      const t = writeTaskObject({ id: "cfg2", repo, scenario: [] }, { repo });
      const r = await run({ taskFile: t.taskFile });
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["dirty_start"]);
      assert.match(r.report.blockers[0]!.reason, /untracked\.txt/);
      assert.equal(existsSync(mark), false);
    });
  });

  describe("4. the engine's probe runs inside the isolation, with the reduced environment", () => {
    it("a task's engine_options.command never runs on the host, and never sees the caller's secrets", async function () {
      if (!bwrap) this.skip();
      const dir = tempDir("cto-probe-");
      chmodSync(dir, 0o777);
      const mark = join(dir, "probed");
      const script = join(dir, "fake-codex");
      writeFileSync(script, `#!/bin/sh\necho "args=$* secret=$CTO_TEST_SECRET" >> ${mark}\necho "secret=$CTO_TEST_SECRET" > leak.txt\nexit 0\n`, { mode: 0o755 });
      const t = writeTaskObject({ id: "probe", engine_options: { command: [script] }, scenario: [] });
      const r = await run({ engine: "codex", taskFile: t.taskFile, env: { ...process.env, CTO_TEST_SECRET: "hunter2" } });
      assert.equal(existsSync(mark), false, `the command ran on the host: ${existsSync(mark) ? readFileSync(mark, "utf8") : ""}`);
      const patch = readFileSync(join(r.bundleDir!, "patch.diff"), "utf8");
      assert.match(patch, /\+secret=\n/, "the engine ran, inside the sandbox");
      assert.doesNotMatch(JSON.stringify(r.events) + patch, /hunter2/);
    });
  });

  describe("5. every change is evidence: .gitignore, nested repos, submodule folders", () => {
    it("a .gitignore (the engine's or the repo's) hides nothing from patch.diff and changed_files", async () => {
      const t = writeTaskObject({
        id: "ignored",
        allowed_files: ["src/**", ".gitignore"],
        scenario: [
          { write: { path: ".gitignore", content: "hidden.js\nsrc/also-hidden.js\n" } },
          { write: { path: "hidden.js", content: "module.exports = 1;\n" } },
          { write: { path: "src/also-hidden.js", content: "x\n" } },
          { write: { path: "src/sub.js", content: SUBJS } },
        ],
      });
      const r = await run({ taskFile: t.taskFile });
      const paths = r.report.changed_files.map((f) => f.path).sort();
      assert.deepEqual(paths, [".gitignore", "hidden.js", "src/also-hidden.js", "src/sub.js"]);
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["disallowed_file"]);
      assert.match(r.report.blockers[0]!.reason, /^hidden\.js: not matched/);
      assert.match(readFileSync(join(r.bundleDir!, "patch.diff"), "utf8"), /hidden\.js/);
    });

    it("a nested repo's files are in the patch and its metadata is disallowed; the tests never run on it", async () => {
      const t = writeTaskObject({
        id: "nested",
        scenario: [
          { write: { path: "src/sub.js", content: SUBJS } },
          { write: { path: "src/vendor/lib.js", content: "module.exports = 2;\n" } },
          { write: { path: "src/vendor/.git/HEAD", content: "ref: refs/heads/main\n" } },
        ],
      });
      const r = await run({ taskFile: t.taskFile });
      assert.ok(r.report.changed_files.some((f) => f.path === "src/vendor/lib.js"), JSON.stringify(r.report.changed_files));
      assert.ok(r.report.blockers.some((b) => b.id === "disallowed_file" && /src\/vendor\/\.git: nested git metadata/.test(b.reason)), JSON.stringify(r.report.blockers));
      assert.ok(r.events.some((e) => e.type === "tests.skipped"));
    });

    it("writes inside a submodule folder are changes", async () => {
      const repo = makeGitRepo();
      const sha = gitIn(repo, "rev-parse", "HEAD").trim();
      gitIn(repo, "update-index", "--add", "--cacheinfo", `160000,${sha},vendored`);
      gitIn(repo, "commit", "-q", "-m", "a submodule");
      const t = writeTaskObject({ id: "submodule", repo, allowed_files: ["src/**", "vendored/**"], scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, { write: { path: "vendored/inside.js", content: "x\n" } }] }, { repo });
      const r = await run({ taskFile: t.taskFile });
      assert.ok(r.report.changed_files.some((f) => f.path === "vendored/inside.js"), JSON.stringify(r.report.changed_files));
      // An untouched submodule folder stays what it was.
      const t2 = writeTaskObject({ id: "submodule2", repo, scenario: [{ write: { path: "src/sub.js", content: SUBJS } }] }, { repo });
      const r2 = await run({ taskFile: t2.taskFile });
      assert.deepEqual(r2.report.changed_files.map((f) => f.path), ["src/sub.js"]);
      assert.equal(r2.report.status, "pass", JSON.stringify(r2.report.blockers));
    });

    it("patch.diff applied to the base reproduces exactly the tree the tests ran on, and its tests pass", async () => {
      const t = writeTaskObject({
        id: "apply",
        allowed_files: ["src/**"],
        scenario: [
          // The tests need a file the engine's .gitignore hides: a patch without it fails them.
          { write: { path: "src/.gitignore", content: "*.bin\nimpl.js\n" } },
          { write: { path: "src/data.bin", content: "\u0000\u0001binary\u00ff" } },
          { write: { path: "src/impl.js", content: SUBJS } },
          { write: { path: "src/sub.js", content: 'module.exports = require("./impl");\n' } },
          { symlink: { path: "src/link.js", target: "sub.js" } },
        ],
      });
      // The repo itself carries attributes that would rewrite bytes on checkout or add.
      writeFileSync(join(t.repo, ".gitattributes"), "* text eol=crlf\n");
      const r = await run({ taskFile: t.taskFile });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      const copy = join(tempDir("cto-apply-"), "repo");
      cpSync(t.repo, copy, { recursive: true });
      const a = spawnSync("git", ["apply", "--binary", "--unsafe-paths", join(r.bundleDir!, "patch.diff")], { cwd: copy, encoding: "utf8" });
      assert.equal(a.status, 0, a.stderr);
      assert.equal(spawnSync("node", ["test.js"], { cwd: copy }).status, 0, "the tests fail on the applied patch");
      assert.equal(await plainTreeOf(copy), r.report.freshness.end_tree, "the applied tree differs from the tree the tests ran on");
    });
  });

  describe("7. tests run only on a change that passed the diff checks, without the caller's secrets", () => {
    it("an engine that rewrites test.js gets disallowed_file and its test.js never runs", async () => {
      const dir = tempDir("cto-t7-");
      chmodSync(dir, 0o777);
      const t = writeTaskObject({ id: "t7", scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, { write: { path: "test.js", content: `require("fs").writeFileSync(${JSON.stringify(join(dir, "ran"))}, "x");` } }] });
      const r = await run({ taskFile: t.taskFile, isolation: "none" });
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["disallowed_file"]);
      assert.ok(r.events.some((e) => e.type === "tests.skipped"));
      assert.equal(existsSync(join(dir, "ran")), false, "the engine's test.js ran");
      assert.match(readFileSync(join(r.bundleDir!, "test.log"), "utf8"), /tests not run: the change did not pass the diff checks/);
    });

    it("the tests get an allow-listed environment: a secret of the caller never reaches test.log", async () => {
      const repo = join(tempDir("cto-t7b-"), "repo");
      cpSync(join(FIXTURES, "repo"), repo, { recursive: true });
      writeFileSync(join(repo, "test.js"), readFileSync(join(repo, "test.js"), "utf8") + "\nconsole.log(JSON.stringify(process.env));\n");
      const t = writeTaskObject({ id: "t7b", repo, scenario: [{ write: { path: "src/sub.js", content: SUBJS } }] }, { repo });
      const r = await run({ taskFile: t.taskFile, env: { ...process.env, AWS_SECRET_ACCESS_KEY: "s3cr3t-value", GITHUB_TOKEN: "ghp_secret" } });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      const log = readFileSync(join(r.bundleDir!, "test.log"), "utf8");
      assert.match(log, /"PATH"/);
      assert.doesNotMatch(log, /s3cr3t-value|ghp_secret/);
    });
  });

  describe("8. a task folder cannot admit itself; admission binds the whole command", () => {
    const shSha = () => {
      const real = spawnSync("readlink", ["-f", "/bin/sh"], { encoding: "utf8" }).stdout.trim();
      return spawnSync("sha256sum", [real], { encoding: "utf8" }).stdout.split(" ")[0]!;
    };
    const admission = (hash: string, extra = "") =>
      `---\nname: adm\ntier: local\nstatus: active\ncreated: 2026-01-01\nlast_reviewed: 2026-01-01\nlifecycle_classification: record\ncore_promotion_status: not-promoted\nrecord_type: source-admission\n---\n\n# Admission\n\nSource ID: sh\nSource URL: https://example.invalid/sh\nPinned commit: v1\nLicense note: GPL\nRetrieval date: 2026-01-01\nRetrieval command: apt-get\nIntegrity hash: sha256:${hash}\nAllowed execution mode: sandbox\nProtected-source boundary: none\n${extra}`;
    const decision = `---\nname: dec\ntier: local\nstatus: active\ncreated: 2026-01-01\nlast_reviewed: 2026-01-01\nlifecycle_classification: record\ncore_promotion_status: not-promoted\nrecord_type: eligibility-decision\n---\n\n# Decision\n\nSelected backend: case\nDenied backends: none\nRisk class: low\nRequired gates: all\nAllowed mutation mode: sandbox\nReasons: test\nEscalation path: CTO\nDecided by: CTO\nDecided on: 2026-01-01\n`;
    const selfAdmitting = () => {
      const t = writeTaskObject({ id: "self-admit", engine_options: { command: ["/bin/sh", "-c", "mkdir -p src && echo pwned > src/sub.js"] }, scenario: [] });
      writeFileSync(join(t.dir, "WORKBOARD.yaml"), "workspace: { name: evil }\n");
      writeFileSync(join(t.dir, "admission.md"), admission(shSha()));
      writeFileSync(join(t.dir, "decision.md"), decision);
      return t;
    };

    it("records the task folder brings (its own WORKBOARD.yaml, admission and decision) never count", async () => {
      const t = selfAdmitting();
      const elsewhere = tempDir("cto-cwd-");
      const r = await run({ engine: "case", taskFile: t.taskFile, enableGated: ["case"], cwd: elsewhere });
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["not_eligible"]);
      assert.ok(!r.events.some((e) => e.type === "engine.started"));
      // Run from inside a real workspace that holds the task folder: the task's records still do not count.
      const ws = tempDir("cto-ws-");
      writeFileSync(join(ws, "WORKBOARD.yaml"), "workspace: { name: mine }\n");
      const inner = join(ws, "tasks");
      cpSync(t.dir, inner, { recursive: true });
      const r2 = await run({ engine: "case", taskFile: join(inner, "task.yaml"), enableGated: ["case"], cwd: ws });
      assert.deepEqual(r2.report.blockers.map((b) => b.id), ["not_eligible"], JSON.stringify(r2.report.blockers));
    });

    it("an admission of /bin/sh does not admit `sh -c <script>`; only the exact admitted arguments run", async () => {
      const t = selfAdmitting();
      const ws = tempDir("cto-ws-");
      writeFileSync(join(ws, "WORKBOARD.yaml"), "workspace: { name: mine }\n");
      writeFileSync(join(ws, "admission.md"), admission(shSha()));
      writeFileSync(join(ws, "decision.md"), decision);
      const r = await run({ engine: "case", taskFile: t.taskFile, enableGated: ["case"], cwd: ws });
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["not_eligible"]);
      assert.match(r.report.blockers[0]!.reason, /adds arguments .*-c/);
    });
  });

  describe("11. bounded output, linear time, whole characters", () => {
    it("10 MB of garbage on stdout gives a bounded report, bounded events and a raw log that says what was cut", async () => {
      const dir = tempDir("cto-garbage-");
      const script = join(dir, "garbage");
      writeFileSync(script, `#!/usr/bin/env node\nconst line = "x".repeat(99) + "\\n";\nlet s = ""; for (let i = 0; i < 1000; i++) s += line;\nfor (let i = 0; i < 100; i++) process.stdout.write(s);\n`, { mode: 0o755 });
      chmodSync(dir, 0o755);
      const t = writeTaskObject({ id: "garbage", engine_options: { command: [script] }, scenario: [] });
      const r = await run({ engine: "codex", taskFile: t.taskFile, expose: [dir] });
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["no_diff", "missing_event"]);
      assert.ok(r.report.blockers[1]!.reason.length < 3000, `reason of ${r.report.blockers[0]!.reason.length} chars`);
      assert.match(r.report.blockers[1]!.reason, /and \d+ more/);
      const size = (f: string) => statSync(join(r.bundleDir!, f)).size;
      assert.ok(size("report.json") < 100_000 && size("report.md") < 100_000, `report ${size("report.json")} bytes`);
      assert.ok(size("events.normalized.jsonl") < 5_000_000, `events ${size("events.normalized.jsonl")} bytes`);
      assert.ok(size("raw/engine.stdout.log") < 10 * 1024 * 1024);
      assert.ok((r.report.cut?.["raw/engine.stdout.log"] ?? 0) > 0, "the report says what was cut");
      assert.match(readFileSync(join(r.bundleDir!, "raw/engine.stdout.log"), "utf8"), /\[cto: \d+ bytes cut here; 10000000 bytes in all\]/);
      assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
    });

    it("lines are split in linear time and an over-long line is cut, not accumulated", () => {
      const got: { len: number; cut: boolean }[] = [];
      const s = new LineSplitter(1000, (l, i) => got.push({ len: l.length, cut: i.truncated }));
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let i = 0; i < 1600; i++) s.push(chunk); // 100 MB without a newline
      s.push(Buffer.from("\nok\n"));
      s.end();
      assert.deepEqual(got, [{ len: 1000, cut: true }, { len: 2, cut: false }]);
    });

    it("a UTF-8 character split across pipe chunks stays one character", () => {
      const got: string[] = [];
      const s = new LineSplitter(1000, (l) => got.push(l));
      const bytes = Buffer.from('{"text":"naïve ✓ 😀"}\n');
      for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1));
      s.end();
      assert.deepEqual(got, ['{"text":"naïve ✓ 😀"}']);
    });

    it("a bounded buffer keeps head and tail and counts the cut", () => {
      const b = new BoundedBuffer({ head: 4, tail: 3 });
      for (const c of ["abc", "defg", "hij", "klm"]) b.push(Buffer.from(c));
      const r = b.result();
      assert.equal(r.totalBytes, 13);
      assert.equal(r.cutBytes, 6);
      assert.match(r.data.toString(), /^abcd\n\[cto: 6 bytes cut here; 13 bytes in all\]\nklm$/);
    });
  });

  describe("12. without bubblewrap", () => {
    it("a double-forked, setsid'd background process does not survive a normal end", async () => {
      const m = marker();
      const t = writeTaskObject({ id: "fork", scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, sh(`setsid sh -c 'sleep ${m} &' &`), { sleep_ms: 500 }] });
      const r = await run({ taskFile: t.taskFile, isolation: "none" });
      assert.equal(r.report.isolation, "none");
      await new Promise((res) => setTimeout(res, 200));
      assert.deepEqual(withMarker(m), [], "the setsid'd grandchild outlived the run");
    });

    it("a write through a symlinked folder removed right after is still caught", async () => {
      const outside = tempDir("cto-outside-");
      chmodSync(outside, 0o777);
      const t = writeTaskObject({
        id: "race",
        allowed_files: ["**"],
        scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, { symlink: { path: "d", target: outside } }, { write: { path: "d/x.js", content: "x" } }, { delete: { path: "d" } }],
      });
      const r = await run({ taskFile: t.taskFile, isolation: "none" });
      assert.ok(r.report.blockers.some((b) => b.id === "disallowed_file" && /^d\/x\.js/.test(b.reason)), JSON.stringify(r.report.blockers));
    });

    it("cto fixtures passes on a machine without bubblewrap (blockers listed in table order)", async () => {
      const out: string[] = [];
      const runs = join(tempDir("cto-fx-"), "runs");
      const code = await main(["fixtures", "gated engine not enabled", "happy path", "--json", "--workspace", WORKSPACE, "--out", runs], { out: (l) => out.push(l), err: () => {}, cwd: process.cwd(), env: { ...process.env, CTO_BWRAP: "" } });
      assert.equal(code, 0, out.join("\n"));
      // It really ran without bubblewrap (the command's own environment reached the runs).
      const isolations = readdirSync(runs).map((d) => JSON.parse(readFileSync(join(runs, d, "report.json"), "utf8")).isolation);
      assert.deepEqual(isolations, ["none", "none"]);
    });

    it("as root, the engine runs as the unprivileged uid: the harness's files stay out of its reach", async function () {
      if (!isRoot()) this.skip();
      const t = writeTaskObject({ id: "uid", scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, sh("id -u > src/uid.txt; cat /root/.bashrc > src/stolen.txt 2>&1"), { sleep_ms: 500 }] });
      const r = await run({ taskFile: t.taskFile, isolation: "none" });
      const patch = readFileSync(join(r.bundleDir!, "patch.diff"), "utf8");
      assert.match(patch, /\+65534\n/);
      assert.match(patch, /Permission denied|No such file/);
    });
  });

  it("the task file is never the source of what becomes visible: CTO_REPLAY_SPEC needs --pass-env and --expose", async () => {
    const t = writeTask(`id: pe\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nengine_options: { command: ["${join(ENGINE_FIXTURES, "replay-stdout")}"] }\n`);
    const r = await run({ engine: "codex", taskFile: t.taskFile, env: { ...process.env, CTO_REPLAY_SPEC: join(ENGINE_FIXTURES, "codex/replay-success.json") } });
    assert.notEqual(r.report.status, "pass", "the replayer saw the caller's variable without --pass-env");
    const r2 = await run({ engine: "codex", taskFile: t.taskFile, env: { ...process.env, CTO_REPLAY_SPEC: join(ENGINE_FIXTURES, "codex/replay-success.json") }, passEnv: ["CTO_REPLAY_SPEC"], expose: [ENGINE_FIXTURES] });
    assert.equal(r2.report.status, "pass", JSON.stringify(r2.report.blockers));
  });
});
