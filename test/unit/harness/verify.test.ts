// cto verify: the happy bundle verifies and its patch applies to the base; one
// flipped byte in any artifact, a deleted or an added file fails it naming the
// file; a commit after the run makes it stale; an old bundle is stale.
import * as assert from "node:assert/strict";
import { appendFileSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync, unlinkSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { verifyBundle } from "../../../src/harness";
import { listBundleFiles } from "../../../src/harness/bundle";
import { main } from "../../../src/cli/main";
import { cleanupTemps, FIXTURES, gitIn, makeGitRepo, run, tempDir, treeHash, writeTask, SUB } from "./helpers";

function cliIo(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), cwd, env: process.env }, out, err };
}

describe("harness: cto verify", function () {
  this.timeout(20_000);
  let bundle: string;
  after(cleanupTemps);

  before(async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml") });
    assert.equal(r.report.status, "pass");
    bundle = r.bundleDir!;
  });

  it("verifies a fresh happy-path bundle (exit 0) and `sha256sum -c` agrees", async () => {
    const v = await verifyBundle(bundle);
    assert.equal(v.verdict, "verified", JSON.stringify(v.problems));
    assert.equal(v.exitCode, 0);
    const s = spawnSync("sha256sum", ["-c", "--strict", "SHA256SUMS"], { cwd: bundle, encoding: "utf8" });
    assert.equal(s.status, 0, s.stdout + s.stderr);
    const c = cliIo(bundle);
    assert.equal(await main(["verify", bundle, "--json"], c.io), 0);
    const j = JSON.parse(c.out.join("\n"));
    assert.equal(j.ok, true);
    assert.equal(j.verdict, "verified");
  });

  it("patch.diff applies with git apply to the base", () => {
    const base = join(tempDir(), "base");
    cpSync(join(FIXTURES, "repo"), base, { recursive: true });
    gitIn(base, "init", "-q");
    const r = spawnSync("git", ["apply", "--check", "-v", join(bundle, "patch.diff")], { cwd: base, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    gitIn(base, "apply", join(bundle, "patch.diff"));
    assert.match(readFileSync(join(base, "src", "sub.js"), "utf8"), /a - b/);
  });

  describe("tampering", () => {
    const files = () => listBundleFiles(bundle).files;
    it("covers every file of the bundle", () => {
      assert.deepEqual(files(), ["SHA256SUMS", "attestation.json", "events.normalized.jsonl", "patch.diff", "raw/engine.stderr.log", "raw/engine.stdout.log", "report.json", "report.md", "test.log", "trace.jsonl"]);
    });

    for (const where of ["first", "middle", "last"] as const) {
      it(`one flipped byte (${where}) in each artifact fails verify (exit 3) naming the file`, async () => {
        for (const f of files()) {
          const copy = join(tempDir("cto-tamper-"), "b");
          cpSync(bundle, copy, { recursive: true });
          const p = join(copy, f);
          const buf = readFileSync(p);
          if (buf.length === 0) {
            writeFileSync(p, "x"); // an empty file has no byte to flip: one added byte instead
          } else {
            const i = where === "first" ? 0 : where === "last" ? buf.length - 1 : Math.floor(buf.length / 2);
            buf[i] = buf[i]! ^ 0x01;
            writeFileSync(p, buf);
          }
          const v = await verifyBundle(copy);
          assert.equal(v.exitCode, 3, `${f}: ${JSON.stringify(v.problems)}`);
          assert.equal(v.verdict, "tampered");
          const named = v.problems.some((p) => p.file === f || p.message.includes(f));
          assert.ok(named || f === "report.json" || f === "SHA256SUMS", `${f} named in ${JSON.stringify(v.problems)}`);
          if (f === "report.json" || f === "SHA256SUMS") assert.ok(v.problems.some((p) => p.file === f), `${f} named in ${JSON.stringify(v.problems)}`);
          rmSync(copy, { recursive: true, force: true });
        }
      });
    }

    it("a deleted artifact fails verify naming it", async () => {
      for (const f of files()) {
        const copy = join(tempDir("cto-tamper-"), "b");
        cpSync(bundle, copy, { recursive: true });
        unlinkSync(join(copy, f));
        const v = await verifyBundle(copy);
        assert.equal(v.exitCode, 3, f);
        assert.ok(v.problems.some((p) => p.file === f), `${f}: ${JSON.stringify(v.problems)}`);
      }
    });

    it("an added file fails verify naming it (anywhere in the bundle)", async () => {
      for (const f of ["extra.txt", "raw/extra.log", "nested/dir/x.json"]) {
        const copy = join(tempDir("cto-tamper-"), "b");
        cpSync(bundle, copy, { recursive: true });
        mkdirSync(join(copy, f, ".."), { recursive: true });
        writeFileSync(join(copy, f), "hello\n");
        const v = await verifyBundle(copy);
        assert.equal(v.exitCode, 3);
        assert.ok(v.problems.some((p) => p.file === f && /not listed/.test(p.message)), JSON.stringify(v.problems));
      }
    });

    it("a consistent-looking forgery (report says pass, blockers edited) is caught", async () => {
      const r = await run({ taskFile: join(FIXTURES, "failed-tests", "task.yaml") });
      const copy = join(tempDir("cto-tamper-"), "b");
      cpSync(r.bundleDir!, copy, { recursive: true });
      const rep = JSON.parse(readFileSync(join(copy, "report.json"), "utf8"));
      Object.assign(rep, { status: "pass", exit_code: 0, blockers: [] });
      writeFileSync(join(copy, "report.json"), JSON.stringify(rep, null, 2) + "\n");
      const v = await verifyBundle(copy);
      assert.equal(v.exitCode, 3);
      assert.ok(v.problems.some((p) => p.file === "report.json"), JSON.stringify(v.problems));
    });

    it("the CLI prints the tampered file and exits 3", async () => {
      const copy = join(tempDir("cto-tamper-"), "b");
      cpSync(bundle, copy, { recursive: true });
      appendFileSync(join(copy, "test.log"), "x");
      const c = cliIo(copy);
      assert.equal(await main(["verify", copy], c.io), 3);
      assert.match(c.out.join("\n"), /tampered: test\.log: test\.log changed/);
    });
  });

  describe("staleness", () => {
    it("a commit to the repo after the run makes verify say stale (exit 4)", async () => {
      const repo = makeGitRepo();
      const before = treeHash(repo);
      const t = writeTask(`id: stale\nrepo: {{REPO}}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`, { repo });
      const r = await run({ taskFile: t.taskFile });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      assert.equal(r.report.freshness.repo_kind, "git");
      assert.equal(r.report.freshness.repo_head, gitIn(repo, "rev-parse", "HEAD").trim());
      assert.equal(treeHash(repo), before, "the source repo (and its .git) is untouched");
      assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
      writeFileSync(join(repo, "NEWS.md"), "later\n");
      gitIn(repo, "add", "-A");
      gitIn(repo, "commit", "-q", "-m", "later");
      const v = await verifyBundle(r.bundleDir!);
      assert.equal(v.verdict, "stale");
      assert.equal(v.exitCode, 4);
      assert.ok(v.problems.some((p) => /HEAD/.test(p.message)));
      const c = cliIo(repo);
      assert.equal(await main(["verify", r.bundleDir!, "--repo", repo], c.io), 4);
      assert.match(c.out.join("\n"), /^stale:/);
    });

    it("a plain-folder repo whose content changed is stale", async () => {
      const t = writeTask(`id: stale-plain\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
      const r = await run({ taskFile: t.taskFile });
      assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
      writeFileSync(join(t.repo, "src", "add.js"), "module.exports = () => 0;\n");
      assert.equal((await verifyBundle(r.bundleDir!)).verdict, "stale");
    });

    it("a bundle older than --max-age-days is stale", async () => {
      const future = new Date(Date.now() + 40 * 86_400_000);
      assert.equal((await verifyBundle(bundle, { now: future })).verdict, "stale");
      assert.equal((await verifyBundle(bundle, { now: future, maxAgeDays: 60 })).verdict, "verified");
      const c = cliIo(bundle);
      assert.equal(await main(["verify", bundle, "--max-age-days", "0"], c.io), 4);
    });
  });

  it("usage errors exit 2", async () => {
    const c = cliIo(bundle);
    assert.equal(await main(["verify"], c.io), 2);
    assert.equal(await main(["verify", join(bundle, "nope")], c.io), 2);
    assert.equal(await main(["verify", bundle, "--bogus"], c.io), 2);
  });

  it("each run gets its own folder; concurrent runs never collide", async () => {
    const out = join(tempDir(), "runs");
    const task = join(FIXTURES, "happy-path", "task.yaml");
    const rs = await Promise.all([run({ taskFile: task, outDir: out }), run({ taskFile: task, outDir: out }), run({ taskFile: task, outDir: out })]);
    const ids = new Set(rs.map((r) => r.report.run_id));
    assert.equal(ids.size, 3);
    assert.deepEqual(readdirSync(out).sort(), [...ids].sort());
    for (const r of rs) assert.equal((await verifyBundle(r.bundleDir!)).verdict, "verified");
  });
});
