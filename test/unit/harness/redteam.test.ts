// The second adversarial review (after issue 8): unseen variants of the classes issue 8 closed,
// each replayed against the product path as root, with bubblewrap and (where it says so) without.
import * as assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createSandboxRepo, SandboxRepoError } from "../../../src/harness";
import { TaskError } from "../../../src/harness/task";
import { cleanupTemps, run, tempDir, writeTaskObject } from "./helpers";

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
});
