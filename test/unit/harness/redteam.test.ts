// The second adversarial review (after issue 8): unseen variants of the classes issue 8 closed,
// each replayed against the product path as root, with bubblewrap and (where it says so) without.
import * as assert from "node:assert/strict";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { loadTrustStore } from "../../../src/harness";
import { attackerKey, forgePass, resign } from "./forge";
import { join } from "node:path";
import { createSandboxRepo, SandboxRepoError } from "../../../src/harness";
import { TaskError } from "../../../src/harness/task";
import { isRoot } from "../../../src/harness/isolation";
import { cleanupTemps, marker, readJsonl, run, tempDir, withMarker, writeTaskObject } from "./helpers";

const SUBJS = "module.exports = function sub(a, b) {\n  return a - b;\n};\n";
const sh = (script: string) => ({ spawn: { command: ["/bin/sh", "-c", script] } });

describe("harness red team (after issue 8)", function () {
  this.timeout(60_000);
  after(cleanupTemps);

  describe("a task's repo never hands the engine the user's secrets", () => {
    /** A folder holding a copy of the signing key, and a task whose repo it is. */
    function keyRepo(): { taskFile: string; repo: string; env: NodeJS.ProcessEnv; runs: string } {
      const keyDir = tempDir("cto-keydir-");
      const key = join(keyDir, "signing-key.pem");
      copyFileSync(process.env.CTO_SIGNING_KEY!, key);
      const t = writeTaskObject({ id: "steal-key", repo: keyDir, allowed_files: ["**"], scenario: [sh("cat *.pem > stolen.txt"), { sleep_ms: 300 }] }, { repo: keyDir });
      return { taskFile: t.taskFile, repo: keyDir, env: { ...process.env, CTO_SIGNING_KEY: key }, runs: join(tempDir("cto-runs-"), "runs") };
    }

    it("a repo holding the signing key is refused, located, before anything runs", async () => {
      const k = keyRepo();
      await assert.rejects(run({ taskFile: k.taskFile, env: k.env, outDir: k.runs }), (e: Error) => e instanceof TaskError && /holds the harness's signing key/.test(e.message) && /task\.yaml:\d+:\d+/.test(e.message));
      assert.equal(existsSync(k.runs) && readdirSync(k.runs).length > 0, false, "a bundle (with the key in its patch) was written");
    });

    it("a repo inside a hidden folder of the home (~/.ssh, ~/.config…) is refused", async () => {
      const home = tempDir("cto-home-");
      const repo = join(home, ".ssh", "keys");
      mkdirSync(repo, { recursive: true });
      writeFileSync(join(repo, "id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
      const t = writeTaskObject({ id: "steal-ssh", repo, allowed_files: ["**"], scenario: [sh("cat id_ed25519 > stolen.txt")] }, { repo });
      await assert.rejects(run({ taskFile: t.taskFile, env: { ...process.env, HOME: home } }), (e: Error) => e instanceof TaskError && /hidden folder of your home/.test(e.message));
    });

    it("cto sandbox-repo create refuses the same repos (its copy would carry the key into later runs)", () => {
      const k = keyRepo();
      const out = join(tempDir("cto-sbr-"), "copy");
      assert.throws(() => createSandboxRepo(k.taskFile, { out, env: k.env }), (e: Error) => e instanceof SandboxRepoError && /signing key/.test(e.message));
      assert.equal(existsSync(join(out, "signing-key.pem")), false);
    });
  });

  describe("what the engine leaves in its sandbox never crashes the harness or survives the run", () => {
    // 40 folders of 200-character names: a path of 8,000 bytes, twice PATH_MAX.
    const deep = (where: string) => `cd "${where}" && for i in $(seq 40); do mkdir ${"d".repeat(200)} && cd ${"d".repeat(200)} || exit 1; done; echo x > f`;
    const sandboxes = (root: string) => readdirSync(root).filter((n) => n.startsWith("cto-run-"));

    it("a tree deeper than PATH_MAX in the work tree is a blocked change, and the sandbox is removed", async () => {
      const tmpRoot = tempDir("cto-sbroot-");
      const t = writeTaskObject({ id: "deep-work", scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, sh(deep("src")), { sleep_ms: 1500 }] });
      const r = await run({ taskFile: t.taskFile, tmpRoot });
      assert.equal(r.report.status, "fail");
      assert.ok(r.report.blockers.some((b) => b.id === "disallowed_file"), JSON.stringify(r.report.blockers));
      assert.deepEqual(sandboxes(tmpRoot), [], "the sandbox was left behind");
    });

    it("a tree deeper than PATH_MAX, and names that are not UTF-8, in TMPDIR are removed before the tests run", async () => {
      const tmpRoot = tempDir("cto-sbroot-");
      // The tests fail when anything the engine left in TMPDIR is still there.
      const t = writeTaskObject({
        id: "deep-tmp",
        allowed_files: ["src/**"],
        test_command: ["/bin/sh", "-c", `test -z "$(ls -A "$TMPDIR")" && node test.js`],
        scenario: [{ write: { path: "src/sub.js", content: SUBJS } }, sh(`${deep("$TMPDIR")}; cd "$TMPDIR" && touch "$(printf 'bad\\377name')"`), { sleep_ms: 1500 }],
      });
      const r = await run({ taskFile: t.taskFile, tmpRoot });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      assert.deepEqual(sandboxes(tmpRoot), []);
    });
  });

  describe("trusted keys never come with the evidence", () => {
    const io = (cwd: string) => {
      const out: string[] = [];
      return { io: { out: (l: string) => out.push(l), err: (l: string) => out.push(l), cwd, env: process.env } as CliIo, text: () => out.join("\n") };
    };

    it("a forged pass that carries its own WORKBOARD.yaml and .cto/trusted-keys does not verify from inside itself", async () => {
      const t = writeTaskObject({ id: "no-diff", scenario: [] });
      const r = await run({ taskFile: t.taskFile });
      assert.equal(r.report.status, "fail");
      const dir = join(tempDir("cto-forged-"), "bundle");
      cpSync(r.bundleDir!, dir, { recursive: true });
      const evil = attackerKey();
      writeFileSync(join(dir, "WORKBOARD.yaml"), "workspace: { name: forged }\n");
      mkdirSync(join(dir, ".cto"));
      writeFileSync(join(dir, ".cto", "trusted-keys"), evil.line("ci") + "\n");
      forgePass(dir, (rep) => Object.assign(rep.artifacts, { workboard: "WORKBOARD.yaml", trusted_keys: ".cto/trusted-keys" }));
      resign(dir, evil.privateKey, evil.keyid);
      // From inside the bundle (cd into the download, `cto verify .`), and from a folder below it.
      for (const cwd of [dir, join(dir, "raw")]) {
        const c = io(cwd);
        const code = await main(["verify", dir], c.io);
        assert.notEqual(code, 0, `the bundle's own trusted-keys made its forged pass verify:\n${c.text()}`);
        assert.match(c.text(), /untrusted/);
      }
    });

    it("a workspace inside a folder that comes with the evidence (a task folder, as cto compare passes) lends no keys", () => {
      const ws = tempDir("cto-taskws-");
      writeFileSync(join(ws, "WORKBOARD.yaml"), "workspace: { name: evil }\n");
      mkdirSync(join(ws, ".cto"));
      const evil = attackerKey();
      writeFileSync(join(ws, ".cto", "trusted-keys"), evil.line("ci") + "\n");
      const trust = loadTrustStore({ workspaceRoot: ws, exclude: [ws] });
      assert.equal(trust.keys.some((k) => k.keyid === evil.keyid), false);
      assert.match(trust.problems.join("\n"), /comes with the evidence/);
    });
  });

  describe("nothing outlives a run without bubblewrap, whatever environment it gives itself", () => {
    for (const ending of ["a normal end", "a timeout"]) {
      it(`a double-forked, setsid'd process that cleared its environment (env -i) dies at ${ending} (root, no bubblewrap)`, async function () {
        if (!isRoot()) this.skip(); // not as root the child is the user: nothing tells its processes apart
        const outside = tempDir("cto-late-");
        chmodSync(outside, 0o777);
        const name = marker();
        const escape = sh(`(setsid env -i /bin/sh -c 'sleep 2; touch ${outside}/late; exec sleep ${name}' &) ; true`);
        const steps = ending === "a timeout" ? [{ write: { path: "src/sub.js", content: SUBJS } }, escape, { sleep_ms: 5000 }] : [{ write: { path: "src/sub.js", content: SUBJS } }, escape, { sleep_ms: 300 }];
        const t = writeTaskObject({ id: "env-i", timeout_s: ending === "a timeout" ? 1 : 30, scenario: steps });
        const r = await run({ taskFile: t.taskFile, env: { ...process.env, CTO_BWRAP: "" } });
        assert.equal(r.report.isolation, "none");
        assert.equal(r.report.status, ending === "a timeout" ? "blocked" : "pass", JSON.stringify(r.report.blockers));
        await new Promise((res) => setTimeout(res, 2800));
        assert.deepEqual(readdirSync(outside), [], "a process of the run wrote after it ended");
        assert.deepEqual(withMarker(name), []);
      });
    }
  });

  describe("an engine that cannot start is only that", () => {
    it("a CLI the unprivileged uid cannot reach (root, no bubblewrap): provider_unavailable (21) saying why, no no_diff, tests skipped", async function () {
      if (!isRoot()) this.skip(); // not as root the engine runs as the user, who can reach it
      const bin = tempDir("cto-private-bin-"); // mkdtemp: 0700, root's own
      writeFileSync(join(bin, "codex"), "#!/bin/sh\necho codex 1\n", { mode: 0o755 });
      const t = writeTaskObject({ id: "unreachable", prompt: "add sub" });
      const r = await run({ taskFile: t.taskFile, engine: "codex", env: { ...process.env, CTO_BWRAP: "", CTO_CODEX_COMMAND: join(bin, "codex") } });
      assert.equal(r.report.isolation, "none");
      assert.deepEqual(r.report.blockers.map((b) => b.id), ["provider_unavailable"], JSON.stringify(r.report.blockers));
      assert.equal(r.exitCode, 21);
      assert.match(r.report.blockers[0]!.reason, /could not be started without isolation as the unprivileged uid 65534: .*EACCES: uid 65534 may not read or run it where it is installed/);
      const types = readJsonl(join(r.bundleDir!, "events.normalized.jsonl")).map((e) => e.type);
      assert.ok(types.includes("tests.skipped") && !types.includes("tests.started"), types.join(" "));
    });
  });
});
