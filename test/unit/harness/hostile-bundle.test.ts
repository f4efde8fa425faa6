// Hostile bundles (issue 8, item 10): `cto verify`, `cto gates` and the evidence reader open only
// regular files inside a bundle, within size limits — a FIFO as report.json or SHA256SUMS must not
// hang them, a symlink to /dev/zero or a huge file must not be read until the process aborts.
// And a bundle of an edited task is not its matrix row's evidence once the task file changes back.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_LIMITS, loadMatrix, readEvidence, verifyBundle } from "../../../src/harness";
import { cleanupTemps, CLI, FIXTURES, run, tempDir } from "./helpers";
import { WORKSPACE } from "./matrixHelpers";

/** `cto ARGS` in a child process, killed after 20 s: a hang fails the test instead of the suite. */
function cto(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", timeout: 20_000, killSignal: "SIGKILL", env: process.env });
  assert.notEqual(r.signal, "SIGKILL", `cto ${args.join(" ")} hung (killed after 20 s)`);
  assert.equal(r.error, undefined, String(r.error));
  return r;
}

const mkfifo = (p: string) => {
  const r = spawnSync("mkfifo", [p]);
  assert.equal(r.status, 0, String(r.stderr));
};

describe("harness: hostile bundles", function () {
  this.timeout(60_000);
  let bundle: string;
  after(cleanupTemps);
  before(async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml") });
    assert.equal(r.report.status, "pass");
    bundle = r.bundleDir!;
  });

  /** A copy of the good bundle with `file` replaced by `make(path)`, inside a runs folder. */
  const planted = (file: string, make: (p: string) => void) => {
    const runs = join(tempDir("cto-hostile-"), "runs");
    const d = join(runs, "20260101T000000000Z-hostile000");
    mkdirSync(runs, { recursive: true });
    cpSync(bundle, d, { recursive: true });
    rmSync(join(d, file), { recursive: true, force: true });
    make(join(d, file));
    return { runs, dir: d };
  };

  for (const file of ["report.json", "SHA256SUMS", "attestation.json", "report.md", "events.normalized.jsonl", "test.log", "raw/engine.stdout.log"]) {
    it(`a FIFO as ${file}: verify, gates and the evidence reader end at once, tampered`, async () => {
      const { runs, dir } = planted(file, mkfifo);
      const r = cto(["verify", dir], FIXTURES);
      assert.equal(r.status, 3, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`${file.replace(".", "\\.")} is a FIFO, not a regular file`));
      const v = await verifyBundle(dir);
      assert.equal(v.verdict, "tampered");
      const g = cto(["gates", ".", "--runs", runs, "--json"], WORKSPACE);
      assert.equal(g.status, 0, g.stderr);
      assert.equal(JSON.parse(g.stdout).evidence.tampered, 1);
      const [e] = await readEvidence(runs);
      assert.equal(e!.verdict, "tampered");
    });
  }

  it("a symlink to /dev/zero (as report.json, as test.log) and a symlinked folder are refused, not followed", async () => {
    for (const file of ["report.json", "test.log"]) {
      const { dir } = planted(file, (p) => symlinkSync("/dev/zero", p));
      const r = cto(["verify", dir], FIXTURES);
      assert.equal(r.status, 3, r.stdout);
      assert.match(r.stdout, new RegExp(`${file.replace(".", "\\.")} is a symlink, not a regular file`));
    }
    const outside = tempDir("cto-outside-");
    cpSync(join(bundle, "raw"), outside, { recursive: true });
    const { dir } = planted("raw", (p) => symlinkSync(outside, p));
    const v = await verifyBundle(dir);
    assert.equal(v.verdict, "tampered");
    assert.ok(v.problems.some((p) => p.file === "raw" && /symlink/.test(p.message)), JSON.stringify(v.problems));
  });

  it("a device node as report.json is refused without reading it (root)", async function () {
    if (process.getuid?.() !== 0) this.skip(); // mknod needs root (CI runs as root)
    const { dir } = planted("report.json", (p) => assert.equal(spawnSync("mknod", [p, "c", "1", "5"]).status, 0));
    const r = cto(["verify", dir], FIXTURES);
    assert.equal(r.status, 3);
    assert.match(r.stdout, /report\.json is a device, not a regular file/);
  });

  it("oversize files are refused by their size, before they are read", async () => {
    // Sparse files: 5 GiB of log and 100 MiB of report cost no disk, and reading them would take long.
    const { dir: big } = planted("test.log", (p) => {
      writeFileSync(p, "");
      truncateSync(p, 5 * 1024 ** 3);
    });
    const t0 = performance.now();
    const v = await verifyBundle(big);
    assert.equal(v.verdict, "tampered");
    assert.ok(v.problems.some((p) => p.file === "test.log" && new RegExp(`is ${5 * 1024 ** 3} bytes, over the limit of ${BUNDLE_LIMITS.maxFileBytes}`).test(p.message)), JSON.stringify(v.problems));
    assert.ok(v.hashedBytes < 1024 * 1024, "the big file was not hashed");
    const { dir: report } = planted("report.json", (p) => {
      writeFileSync(p, readFileSync(join(bundle, "report.json")));
      truncateSync(p, 100 * 1024 ** 2);
    });
    const r = cto(["verify", report], FIXTURES);
    assert.equal(r.status, 3);
    assert.match(r.stdout, new RegExp(`report\\.json is ${100 * 1024 ** 2} bytes, over the limit of ${BUNDLE_LIMITS.maxParsedBytes}`));
    assert.ok(performance.now() - t0 < 60_000);
    // The limits hold for any file; a caller can tighten them.
    const tight = await verifyBundle(bundle, { limits: { ...BUNDLE_LIMITS, maxFileBytes: 100 } });
    assert.equal(tight.verdict, "tampered");
    assert.ok(tight.problems.some((p) => p.file === "patch.diff" && /over the limit of 100/.test(p.message)));
  });

  it("too many entries, or folders nested too deep, end the listing as tampered", async () => {
    const many = await verifyBundle(bundle, { limits: { ...BUNDLE_LIMITS, maxEntries: 5 } });
    assert.equal(many.verdict, "tampered");
    assert.match(many.problems[0]!.message, /more than 5 entries/);
    const { dir } = planted("raw/a/b/c/d", (p) => mkdirSync(p, { recursive: true }));
    const deep = await verifyBundle(dir, { limits: { ...BUNDLE_LIMITS, maxDepth: 3 } });
    assert.equal(deep.verdict, "tampered");
    assert.ok(deep.problems.some((p) => /nested deeper than 3 folders/.test(p.message)), JSON.stringify(deep.problems));
  });

  it("a FIFO as the workspace's .cto/trusted-keys does not hang cto gates or cto verify", () => {
    const ws = tempDir("cto-ws-");
    cpSync(WORKSPACE, ws, { recursive: true });
    mkfifo(join(ws, ".cto", "trusted-keys"));
    const g = cto(["gates", ".", "--runs", join(bundle, ".."), "--json"], ws);
    assert.equal(g.status, 0, g.stderr);
    assert.match(JSON.parse(g.stdout).trusted_keys.problems.join("\n"), /trusted-keys: is a FIFO, not a regular file; no key of it is trusted/);
    const v = cto(["verify", bundle], ws);
    assert.equal(v.status, 0, v.stdout);
    assert.match(v.stdout, /note: trusted keys: .*is a FIFO/);
  });

  it("a bundle of an edited task is not its row's evidence once the task file is restored", async () => {
    const fixtures = join(tempDir("cto-fx-"), "harness");
    cpSync(FIXTURES, fixtures, { recursive: true });
    const taskFile = join(fixtures, "failed-tests", "task.yaml");
    const original = readFileSync(taskFile, "utf8");
    const matrix = (await loadMatrix(WORKSPACE)).rows;
    const runs = join(tempDir("cto-fx-"), "runs");
    const honest = await run({ taskFile, outDir: runs });
    // Edit the task so the row "passes" differently (here: a test command that always succeeds)…
    writeFileSync(taskFile, original.replace(/test_command: .*/, 'test_command: ["node", "-e", ""]'));
    const edited = await run({ taskFile, outDir: runs });
    assert.notEqual(edited.report.task.sha256, honest.report.task.sha256);
    // …and put it back.
    writeFileSync(taskFile, original);
    const list = await readEvidence(runs, { matrix, fixturesDir: fixtures });
    const of = (id: string) => list.find((e) => e.runId === id)!;
    assert.equal(of(honest.report.run_id).fixture, "failed tests");
    assert.equal(of(edited.report.run_id).fixture, undefined, "the edited task's bundle is not the row's evidence");
    assert.equal(of(edited.report.run_id).verdict, "verified", "(it is an intact bundle all the same)");
  });
});
