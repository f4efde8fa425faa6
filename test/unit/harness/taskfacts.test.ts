// Task facts (what a task set's rows need from disk) read the harness's way — never running git
// in the user's repo — and the places a hostile workspace or runs folder could misdirect them:
// a task file that is a symlink out of the workspace, a `.reviews` folder that is a symlink.
import * as assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { CtoWorkspace } from "../../../src/core";
import { createReview, readTaskFacts, ReviewError } from "../../../src/harness";
import { plainTreeOf } from "../../../src/harness/sandbox";
import { cleanupTemps, FIXTURES, gitIn, run, tempDir } from "./helpers";

const setDoc = (rows: string[]) =>
  `---\nname: s\nrecord_type: task-set\ngate: copied-repo-fixture\n---\n\n# Set\n\n| task | task file | repo |\n| --- | --- | --- |\n${rows.join("\n")}\n`;
const task = (id: string, repo: string) => `id: ${id}\nrepo: ${repo}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\n`;

describe("harness: task facts", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  function ws(rows: string[]): { root: string; ws: CtoWorkspace } {
    const root = tempDir("cto-facts-");
    const w = new CtoWorkspace(root);
    w.setDoc("set.md", setDoc(rows));
    return { root, ws: w };
  }

  it("a plain repo's tree as verify hashes it; a git repo's HEAD tree and its uncommitted changes; missing and invalid task files", async () => {
    const { root, ws: w } = ws(["| plain | tasks/plain.yaml | plain |", "| git | tasks/git.yaml | git |", "| gone | tasks/gone.yaml | x |", "| bad | tasks/bad.yaml | x |"]);
    mkdirSync(join(root, "tasks"));
    cpSync(join(FIXTURES, "repo"), join(root, "plain"), { recursive: true });
    cpSync(join(FIXTURES, "repo"), join(root, "git"), { recursive: true });
    gitIn(join(root, "git"), "init", "-q");
    gitIn(join(root, "git"), "add", "-A");
    gitIn(join(root, "git"), "commit", "-q", "-m", "base");
    writeFileSync(join(root, "git", "stray.txt"), "x\n");
    writeFileSync(join(root, "tasks", "plain.yaml"), task("plain", "../plain"));
    writeFileSync(join(root, "tasks", "git.yaml"), task("git", "../git"));
    writeFileSync(join(root, "tasks", "bad.yaml"), "id: bad\nrepo: .\nallowed_file: [x]\n");
    const f = await readTaskFacts(w);
    assert.deepEqual([f.get("tasks/plain.yaml")!.repoKind, f.get("tasks/plain.yaml")!.baseTree], ["plain", await plainTreeOf(join(root, "plain"))]);
    const g = f.get("tasks/git.yaml")!;
    assert.equal(g.baseTree, gitIn(join(root, "git"), "rev-parse", "HEAD^{tree}").trim());
    assert.match(g.repoDirty!, /not clean \(1 entry: stray\.txt\)/);
    assert.deepEqual(g.allowedFiles, ["src/**"]);
    assert.match(g.sha256!, /^[0-9a-f]{64}$/);
    assert.equal(f.get("tasks/gone.yaml")!.problem, "does not exist");
    assert.match(f.get("tasks/bad.yaml")!.problem!, /^is not a valid task file: 3:1: .*allowed_file/);
  });

  it("never runs git in the task's repo: a hostile .git/config (fsmonitor, hooks) runs nothing", async () => {
    const { root, ws: w } = ws(["| t | t.yaml | repo |"]);
    const repo = join(root, "repo");
    cpSync(join(FIXTURES, "repo"), repo, { recursive: true });
    gitIn(repo, "init", "-q");
    gitIn(repo, "add", "-A");
    gitIn(repo, "commit", "-q", "-m", "base");
    const pwned = join(tmpdir(), `cto-pwned-${randomBytes(6).toString("hex")}`);
    writeFileSync(join(repo, ".git", "config"), `[core]\n\trepositoryformatversion = 0\n\tfsmonitor = "touch ${pwned}"\n\thooksPath = /nonexistent\n[diff]\n\texternal = touch ${pwned}\n`);
    writeFileSync(join(root, "t.yaml"), task("t", "repo"));
    const f = (await readTaskFacts(w)).get("t.yaml")!;
    assert.equal(f.repoKind, "git");
    assert.equal(f.repoDirty, undefined);
    assert.equal(existsSync(pwned), false, "the repo's fsmonitor ran");
  });

  it("a task file that is a symlink out of the workspace is not read", async () => {
    const { root, ws: w } = ws(["| t | t.yaml | repo |"]);
    const outside = join(tempDir("cto-outside-"), "secret.yaml");
    writeFileSync(outside, task("t", "."));
    symlinkSync(outside, join(root, "t.yaml"));
    const f = (await readTaskFacts(w)).get("t.yaml")!;
    assert.match(f.problem!, /^leads out of the workspace \(to .*secret\.yaml\)/);
    assert.equal(f.sha256, undefined);
  });
});

describe("harness: review records go beside the bundle, into real folders only", function () {
  this.timeout(30_000);
  after(cleanupTemps);
  it("a `.reviews` planted as a symlink is refused; nothing is written where it points", async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml") });
    assert.equal(r.report.status, "pass");
    const elsewhere = tempDir("cto-elsewhere-");
    symlinkSync(elsewhere, join(r.out, ".reviews"));
    await assert.rejects(createReview(r.bundleDir!, { verdict: "approve", name: "Jane", tool: "test" }), (e: unknown) => e instanceof ReviewError && /is not a folder \(a symlink\?\)/.test(e.message));
    assert.deepEqual(readdirSync(elsewhere), []);
    rmSync(join(r.out, ".reviews"));
    const ok = await createReview(r.bundleDir!, { verdict: "approve", name: "Jane", tool: "test" });
    assert.ok(ok.file.startsWith(join(r.out, ".reviews", r.report.run_id)));
  });
});
