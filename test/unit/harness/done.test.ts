// `cto done` end to end on real git repositories (temp copies of fixtures/done): the validator
// runs in the sandbox on the committed tree, the signed record is written, the issue is done —
// and every way a record stops counting, each alone, with the reason it gives.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { loadWorkspacesAt } from "../../../src/cli/workspaces";
import { doneEvidence, issueStatus, type CtoWorkspace } from "../../../src/core";
import { checkEnvelope, loadSigningKey, loadTrustStore, readDoneRecords, STATEMENT_TYPE, trustedKeyLine, DONE_PREDICATE_TYPE } from "../../../src/harness";
import { signStatement } from "../../../src/harness/attest";
import { bubblewrapWorks } from "../../../src/harness/isolation";
import { cleanupTemps, ROOT, tempDir, treeHash } from "./helpers";

const DEMO = join(ROOT, "fixtures", "done");
const ISSUES = ".sot/03-PROTOCOLS/CTO-DONE-DEMO-ISSUES.md";
const RECORD = ".cto/done/CTO-WORK-101.json";
const STDOUT_101 = '{"ok":true,"docs":2,"problems":[]}\n';

function newKey(dir: string, name: string): string {
  const p = join(dir, name);
  writeFileSync(p, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return p;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
  });
  assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

describe("cto done: done is earned, on real repositories", function () {
  this.timeout(60_000);
  let keys: string;
  let keyA: string;
  let keyB: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    keys = tempDir("cto-done-keys-");
    keyA = newKey(keys, "a.pem");
    keyB = newKey(keys, "b.pem");
    env = { ...process.env, CTO_SIGNING_KEY: keyA };
  });
  after(() => cleanupTemps());

  async function cto(args: string[], cwd: string, e: NodeJS.ProcessEnv = env) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: e };
    const code = await main(args, io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  /** A fresh git repository holding the demo workspace, committed (two commits: a base, then the workspace). */
  function demoRepo(edit?: (dir: string) => void): string {
    const dir = join(tempDir("cto-done-repo-"), "repo");
    mkdirSync(dir);
    git(dir, "init", "-q");
    writeFileSync(join(dir, "NOTES.txt"), "base\n");
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "base");
    cpSync(DEMO, dir, { recursive: true });
    edit?.(dir);
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", "workspace");
    return dir;
  }

  const commitAll = (dir: string, msg: string) => {
    git(dir, "add", "-A");
    git(dir, "commit", "-qm", msg);
  };

  async function loaded(dir: string, e: NodeJS.ProcessEnv = env): Promise<CtoWorkspace> {
    return (await loadWorkspacesAt(dir, ".", e))[0]!;
  }

  /** The issue's status as `cto issues` (and the editor) compute it now. */
  async function status(dir: string, id = "CTO-WORK-101", e: NodeJS.ProcessEnv = env) {
    const ws = await loaded(dir, e);
    return { state: issueStatus(ws, id)!.state, reason: doneEvidence(ws, id)?.reason, ws };
  }

  /** Appends an issue (every criterion checked) with its own validator script, to the demo's issues doc. */
  function addIssue(dir: string, id: string, o: { allowed: string; script: string; body: string; validator?: string }): void {
    mkdirSync(join(dir, "tools"), { recursive: true });
    writeFileSync(join(dir, "tools", o.script), o.body);
    appendFileSync(
      join(dir, ISSUES),
      `\n### ${id} - Extra\n\nType: AFK\n\nBlocked by: None\n\nWhat to build: An extra check.\n\nAcceptance criteria:\n\n- [x] It runs.\n\nAllowed files: ${o.allowed}\n\nValidator: ${o.validator ?? `\`node tools/${o.script}\``}\n\nDone evidence: validator JSON, clean worktree, commit.\n`,
    );
  }

  it("runs the Validator: line in the sandbox and writes a signed record; the issue is done, its dependant ready", async () => {
    const dir = demoRepo();
    const before = await status(dir);
    assert.equal(before.state, "checked");
    assert.match(before.reason!, /no done record/);
    assert.equal(issueStatus(before.ws, "CTO-WORK-102")!.state, "blocked");
    const v0 = await cto(["validate", "--today", "2026-06-01"], dir);
    assert.match(v0.out, /ISSUES\.md:40:1: warning done-evidence CTO-WORK-101 is checked, not evidenced: no done record/);

    const r = await cto(["done", "CTO-WORK-101"], dir);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(STDOUT_101.trim()), "the validator's output is streamed");
    assert.match(r.out, /CTO-WORK-101: done record written \(\.cto\/done\/CTO-WORK-101\.json\), commit [0-9a-f]{12}, validator exit 0/);

    // The record: a DSSE envelope over an in-toto statement of its own type, signed by this machine's key.
    const text = readFileSync(join(dir, RECORD), "utf8");
    const check = checkEnvelope(text, loadTrustStore({ env }), () => []);
    assert.equal(check.state, "trusted");
    assert.equal(check.keyid, loadSigningKey(env, { create: false }).keyid);
    const st = check.statement as unknown as { _type: string; predicateType: string; subject: { name: string; digest: Record<string, string> }[]; predicate: Record<string, any> };
    assert.equal(st._type, STATEMENT_TYPE);
    assert.equal(st.predicateType, DONE_PREDICATE_TYPE);
    const p = st.predicate;
    const head = git(dir, "rev-parse", "HEAD");
    assert.equal(p.commit, head);
    assert.deepEqual(st.subject.find((s) => s.name === "git-commit")!.digest, { gitCommit: head });
    assert.equal(p.issue.id, "CTO-WORK-101");
    assert.deepEqual(p.issue.criteria.map((c: { checked: boolean }) => c.checked), [true, true, true]);
    assert.deepEqual(p.validator.argv, ["node", "tools/validate_done_demo.js"]);
    assert.equal(p.validator.exit_code, 0);
    assert.equal(p.validator.stdout.sha256, require("node:crypto").createHash("sha256").update(STDOUT_101).digest("hex"));
    assert.equal(p.validator.isolation, bubblewrapWorks().ok ? "bubblewrap" : "none");
    assert.equal(p.worktree_clean, true);
    assert.deepEqual(p.scope.include, ["tools/**", ".sot/**"]);
    assert.equal(p.signer.keyid, check.keyid);

    const after = await status(dir);
    assert.equal(after.state, "done");
    assert.equal(issueStatus(after.ws, "CTO-WORK-102")!.state, "ready");
    const v1 = await cto(["validate", "--today", "2026-06-01"], dir);
    assert.equal(v1.out, "", "no done-evidence warning once evidenced");
    const issues = JSON.parse((await cto(["issues", "--json"], dir)).out);
    const i101 = issues.issues.find((i: { id: string }) => i.id === "CTO-WORK-101");
    assert.equal(i101.status, "done");
    assert.equal(i101.done_evidence.state, "evidenced");
    assert.equal(i101.done_evidence.commit, head);
  });

  it("runs in a disposable copy: the repo is untouched, the caller's environment and key are not visible, the sandbox path is normalized", async () => {
    const script = `const fs = require("fs");
fs.writeFileSync("written-by-validator.txt", "x");
let key = "unreadable"; try { fs.readFileSync(${JSON.stringify(keyA)}); key = "READ"; } catch {}
console.log(JSON.stringify({ secret: process.env.CTO_TEST_SECRET ?? null, signing: process.env.CTO_SIGNING_KEY ?? null, home: process.env.HOME, cwd: process.cwd(), key }));`;
    const dir = demoRepo((d) => addIssue(d, "CTO-WORK-150", { allowed: "`tools/**`", script: "probe.js", body: script }));
    const hash = treeHash(dir);
    const r = await cto(["done", "CTO-WORK-150", "--json"], dir, { ...env, CTO_TEST_SECRET: "hunter2" });
    assert.equal(r.code, 0, r.out + r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.status, "recorded");
    assert.equal(existsSync(join(dir, "written-by-validator.txt")), false, "the validator wrote into the copy only");
    rmSync(join(dir, ".cto"), { recursive: true });
    assert.equal(treeHash(dir), hash, "nothing but the record changed in the repo");
    // What it printed (the record holds only the digest; rerun it through the same path to see it).
    const { runValidator } = await import("../../../src/harness");
    const seen = await runValidator({ wsRoot: dir, argv: ["node", "tools/probe.js"], env: { ...env, CTO_TEST_SECRET: "hunter2" } });
    const probe = JSON.parse(seen.stdout.text);
    assert.equal(probe.secret, null);
    assert.equal(probe.signing, null);
    assert.equal(probe.key, "unreadable");
    assert.match(probe.home, /^\$SANDBOX\//);
    assert.equal(probe.cwd, "$SANDBOX/repo");
    assert.equal(seen.stdout.sha256, out.validator.stdout.sha256, "a second run in another temp folder gives the same digest");
  });

  describe("refuses, with a located reason, before anything is recorded", () => {
    it("criteria unchecked (exit 3), at the first unchecked box", async () => {
      const dir = demoRepo();
      const r = await cto(["done", "CTO-WORK-102"], dir);
      assert.equal(r.code, 3);
      assert.match(r.err, /^\.sot\/03-PROTOCOLS\/CTO-DONE-DEMO-ISSUES\.md:54:4: error: CTO-WORK-102 has 1 of 1 acceptance criteria unchecked/m);
      assert.equal(existsSync(join(dir, ".cto")), false);
    });

    it("a worktree with uncommitted changes (exit 4); done records themselves do not count", async () => {
      const dir = demoRepo();
      appendFileSync(join(dir, "NOTES.txt"), "more\n");
      const r = await cto(["done", "CTO-WORK-101"], dir);
      assert.equal(r.code, 4);
      assert.match(r.err, /the worktree is not clean \(1 uncommitted change: NOTES\.txt\)/);
      git(dir, "checkout", "NOTES.txt");
      assert.equal((await cto(["done", "CTO-WORK-101"], dir)).code, 0);
      // The record is untracked now; a second run (or a recheck) still finds the tree clean.
      assert.equal((await cto(["done", "CTO-WORK-101", "--recheck"], dir)).code, 0);
    });

    it("an issue doc the commit does not hold (ignored by .gitignore) is never clean", async () => {
      const dir = demoRepo((d) => writeFileSync(join(d, ".gitignore"), ".sot/03-PROTOCOLS/CTO-DONE-DEMO-ISSUES.md\n"));
      const r = await cto(["done", "CTO-WORK-101"], dir);
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, /section in .*CTO-DONE-DEMO-ISSUES\.md differs from its committed version/);
    });

    it("a validator that fails (exit 5): no record", async () => {
      const dir = demoRepo((d) => addIssue(d, "CTO-WORK-151", { allowed: "`tools/**`", script: "fail.js", body: "console.log('nope'); process.exit(3);" }));
      const r = await cto(["done", "CTO-WORK-151"], dir);
      assert.equal(r.code, 5);
      assert.match(r.err, /CTO-WORK-151: the validator exited 3; no done record was written/);
      assert.equal(existsSync(join(dir, ".cto/done/CTO-WORK-151.json")), false);
      const missing = demoRepo((d) => addIssue(d, "CTO-WORK-152", { allowed: "`tools/**`", script: "x.js", body: "", validator: "`tools/does-not-exist.sh`" }));
      const m = await cto(["done", "CTO-WORK-152"], missing);
      assert.equal(m.code, 5);
      assert.match(m.err, /'tools\/does-not-exist\.sh' is not found in the committed workspace/);
    });

    it("no key to sign with (exit 7): the validator is not even run", async () => {
      const dir = demoRepo();
      const r = await cto(["done", "CTO-WORK-101"], dir, { ...env, CTO_SIGNING_KEY: join(keys, "missing.pem") });
      assert.equal(r.code, 7);
      assert.match(r.err, /cannot sign a done record: CTO_SIGNING_KEY names .*missing\.pem, which does not exist/);
      assert.ok(!r.out.includes('"ok":true'), "the validator did not run");
      assert.equal(existsSync(join(dir, ".cto")), false);
    });

    it("a Validator: line that needs a shell (exit 2), at the operator's column", async () => {
      const dir = demoRepo((d) => addIssue(d, "CTO-WORK-153", { allowed: "`tools/**`", script: "a.js", body: "", validator: "`node tools/a.js && rm -rf ~`" }));
      const r = await cto(["done", "CTO-WORK-153"], dir);
      assert.equal(r.code, 2);
      const m = /CTO-DONE-DEMO-ISSUES\.md:(\d+):(\d+): error: CTO-WORK-153's Validator: '&' is a background job/.exec(r.err);
      assert.ok(m, r.err);
      const line = readFileSync(join(dir, ISSUES), "utf8").split("\n")[Number(m[1]) - 1]!;
      assert.equal(line[Number(m[2]) - 1], "&");
    });

    it("unknown, WORKBOARD-only and malformed IDs, and a folder that is no git repository (exit 2)", async () => {
      const dir = demoRepo();
      assert.match((await cto(["done", "CTO-WORK-999"], dir)).err, /no section '### CTO-WORK-999 - …'/);
      assert.match((await cto(["done", "CTO-WORK-100"], dir)).err, /known only from WORKBOARD\.yaml/);
      assert.equal((await cto(["done", "CTO-WORK-9"], dir)).code, 2);
      assert.equal((await cto(["done"], dir)).code, 2);
      const plain = join(tempDir(), "plain");
      cpSync(DEMO, plain, { recursive: true });
      const r = await cto(["done", "CTO-WORK-101"], plain);
      assert.equal(r.code, 2);
      assert.match(r.err, /is not in a git work tree: a done record names a commit/);
    });

    it("never writes through a .cto/done that is a symlink; readers say why nothing counts", async () => {
      const dir = demoRepo();
      const elsewhere = tempDir("cto-done-elsewhere-");
      mkdirSync(join(dir, ".cto"));
      symlinkSync(elsewhere, join(dir, ".cto", "done"));
      commitAll(dir, "link");
      const r = await cto(["done", "CTO-WORK-101"], dir);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /is not a folder \(a symlink\?\)/);
      assert.equal(existsSync(join(elsewhere, "CTO-WORK-101.json")), false);
      assert.match((await status(dir)).reason!, /^\.cto\/done is a symlink: no record in \.cto\/done is read/);
      // A linked .cto is refused the same way, for writing and for reading.
      const other = demoRepo();
      const real = tempDir("cto-done-real-");
      mkdirSync(join(real, "done"));
      symlinkSync(real, join(other, ".cto"));
      commitAll(other, "link .cto");
      assert.equal((await cto(["done", "CTO-WORK-101"], other)).code, 2);
      assert.match((await status(other)).reason!, /^\.cto is a symlink: no record in \.cto\/done is read/);
    });
  });

  describe("a record stops counting, and says why", () => {
    async function recorded(edit?: (dir: string) => void): Promise<string> {
      const dir = demoRepo(edit);
      const r = await cto(["done", "CTO-WORK-101"], dir);
      assert.equal(r.code, 0, r.err);
      assert.equal((await status(dir)).state, "done");
      return dir;
    }
    const voided = async (dir: string, id = "CTO-WORK-101", e?: NodeJS.ProcessEnv) => {
      const s = await status(dir, id, e);
      assert.equal(s.state, "checked", `still ${s.state}`);
      return s.reason!;
    };

    it("its signature is bad (one byte of the signed payload changed)", async () => {
      const dir = await recorded();
      const env0 = JSON.parse(readFileSync(join(dir, RECORD), "utf8"));
      const payload = Buffer.from(env0.payload, "base64").toString("utf8").replace('"exit_code":0', '"exit_code":0 ');
      env0.payload = Buffer.from(payload).toString("base64");
      writeFileSync(join(dir, RECORD), JSON.stringify(env0));
      assert.match(await voided(dir), /^its signature is bad: the signature does not verify with the trusted key [0-9a-f]{16} \(local key\): it was changed after signing/);
    });

    it("it is signed by a key not trusted here — until the workspace trusts that key", async () => {
      const dir = demoRepo();
      assert.equal((await cto(["done", "CTO-WORK-101"], dir, { ...env, CTO_SIGNING_KEY: keyB })).code, 0);
      assert.match(await voided(dir), /^it is signed by a key not trusted here \([0-9a-f]{16}\): trust it in \.cto\/trusted-keys/);
      writeFileSync(join(dir, ".cto", "trusted-keys"), trustedKeyLine(loadSigningKey({ ...env, CTO_SIGNING_KEY: keyB }, { create: false }), "ci@example") + "\n");
      assert.equal((await status(dir)).state, "done");
      // The same statement signed again by another trusted key: it names the signer it had.
      const st = JSON.parse(Buffer.from(JSON.parse(readFileSync(join(dir, RECORD), "utf8")).payload, "base64").toString("utf8"));
      writeFileSync(join(dir, RECORD), signStatement(st, loadSigningKey(env, { create: false })));
      assert.match(await voided(dir), /^it names the signer key [0-9a-f]{16} but is signed by [0-9a-f]{16}/);
    });

    it("its commit is no longer an ancestor of HEAD (reset to before it)", async () => {
      const dir = await recorded();
      git(dir, "reset", "-q", "--hard", "HEAD~1");
      cpSync(DEMO, dir, { recursive: true }); // the same workspace back, uncommitted: only history changed
      assert.match(await voided(dir), /^its commit [0-9a-f]{12} is not an ancestor of HEAD [0-9a-f]{12} \(the branch was reset, rebased or switched\)/);
    });

    it("its commit is not in the repository at all (the record came from elsewhere)", async () => {
      const dir = await recorded();
      const other = demoRepo((d) => writeFileSync(join(d, "NOTES.txt"), "another history\n"));
      mkdirSync(join(other, ".cto", "done"), { recursive: true });
      cpSync(join(dir, RECORD), join(other, RECORD));
      assert.match(await voided(other), /^its commit [0-9a-f]{12} is not in this repository \(a shallow clone, or history rewritten\)/);
    });

    it("a file of its Allowed files changed since its commit — not a file outside them, not the records, not another issue", async () => {
      const dir = await recorded();
      commitAll(dir, "commit the record"); // the record itself: fine
      appendFileSync(join(dir, "NOTES.txt"), "unrelated\n");
      commitAll(dir, "outside the scope");
      writeFileSync(join(dir, ISSUES), readFileSync(join(dir, ISSUES), "utf8").replace("- [ ] The follow-up is written down.", "- [x] The follow-up is written down."));
      commitAll(dir, "another issue's box");
      assert.equal((await status(dir)).state, "done");
      appendFileSync(join(dir, "tools", "validate_done_demo.js"), "// changed\n");
      commitAll(dir, "change the validator");
      assert.match(await voided(dir), /^1 file\(s\) of the issue's Allowed files changed since its commit [0-9a-f]{12}: tools\/validate_done_demo\.js — run `cto done CTO-WORK-101` again/);
    });

    it("with prose Allowed files (the seed's way), any committed change outside the records voids it", async () => {
      const dir = await recorded((d) => writeFileSync(join(d, ISSUES), readFileSync(join(d, ISSUES), "utf8").replace("Allowed files: `tools/**`, `.sot/**`", "Allowed files: CTO child workspace planning docs and local validator only.")));
      appendFileSync(join(dir, "NOTES.txt"), "unrelated\n");
      commitAll(dir, "anything");
      assert.match(await voided(dir), /^1 file\(s\) changed since its commit [0-9a-f]{12}: NOTES\.txt/);
    });

    it("the issue was edited and committed since (criteria, Validator line, section)", async () => {
      const dir = await recorded();
      writeFileSync(join(dir, ISSUES), readFileSync(join(dir, ISSUES), "utf8").replace("reads every planning doc under `.sot/`", "reads every planning doc"));
      commitAll(dir, "reword a criterion");
      assert.match(await voided(dir), /^the acceptance criteria changed since the record/);
    });

    it("a recheck gives a different result: the re-run's output no longer matches", async () => {
      // The validator prints a file outside its Allowed files: history alone cannot see the change.
      const dir = demoRepo((d) => {
        writeFileSync(join(d, "data.txt"), "one\n");
        addIssue(d, "CTO-WORK-154", { allowed: "`tools/**`", script: "cat.js", body: "process.stdout.write(require('fs').readFileSync('data.txt'));" });
      });
      assert.equal((await cto(["done", "CTO-WORK-154"], dir)).code, 0);
      const same = await cto(["done", "CTO-WORK-154", "--recheck", "--json"], dir);
      assert.equal(same.code, 0, same.out);
      assert.equal(JSON.parse(same.out).matches, true);
      const held = await status(dir, "CTO-WORK-154");
      assert.equal(held.state, "done");
      assert.ok(held.ws.doneRecords!.get("CTO-WORK-154")!.record!.recheck, "the matching recheck is recorded");

      writeFileSync(join(dir, "data.txt"), "two\n");
      commitAll(dir, "data changed");
      assert.equal((await status(dir, "CTO-WORK-154")).state, "done", "out of scope: history says nothing");
      const differs = await cto(["done", "CTO-WORK-154", "--recheck"], dir);
      assert.equal(differs.code, 6, differs.err);
      assert.match(differs.err, /the done record no longer holds: its output \(stdout\) differs: sha256 [0-9a-f]{12}… \(4 bytes\), recorded [0-9a-f]{12}…/);
      assert.match(await voided(dir, "CTO-WORK-154"), /^re-run on \d{4}-\d{2}-\d{2} at [0-9a-f]{12}, its validator no longer gives the recorded result \(its output \(stdout\) differs/);
      // A new record is new evidence; the old recheck judged the old record.
      assert.equal((await cto(["done", "CTO-WORK-154"], dir)).code, 0);
      assert.equal((await status(dir, "CTO-WORK-154")).state, "done");
    });

    it("its recheck file cannot be trusted", async () => {
      const dir = await recorded();
      assert.equal((await cto(["done", "CTO-WORK-101", "--recheck"], dir)).code, 0);
      const file = join(dir, ".cto/done/CTO-WORK-101.recheck.json");
      const e = JSON.parse(readFileSync(file, "utf8"));
      e.payload = Buffer.from(Buffer.from(e.payload, "base64").toString("utf8").replace('"matches":true', '"matches":true ')).toString("base64");
      writeFileSync(file, JSON.stringify(e));
      assert.match(await voided(dir), /^its recheck file \.cto\/done\/CTO-WORK-101\.recheck\.json cannot be used \(its signature is bad/);
    });

    it("it is another issue's record under this issue's name", async () => {
      const dir = await recorded();
      cpSync(join(dir, RECORD), join(dir, ".cto/done/CTO-WORK-102.json"));
      const ws = await loaded(dir);
      const view = readDoneRecords(ws, { trust: loadTrustStore({ env, workspaceRoot: dir }) }).get("CTO-WORK-102")!;
      assert.match(view.problems[0]!, /^it is the record of CTO-WORK-101, not of CTO-WORK-102/);
    });

    it("a hostile record signed by a trusted key cannot smuggle an option into git; a FIFO never blocks the reader", async () => {
      const dir = await recorded();
      const out = join(tempDir(), "git-was-told-to-write-here");
      const env0 = JSON.parse(readFileSync(join(dir, RECORD), "utf8"));
      const st = JSON.parse(Buffer.from(env0.payload, "base64").toString("utf8"));
      st.predicate.commit = `--output=${out}`;
      writeFileSync(join(dir, RECORD), signStatement(st, loadSigningKey(env, { create: false })));
      assert.match(await voided(dir), /^it is not a valid done record: its commit is not a 40-hex commit id/);
      assert.equal(existsSync(out), false);
      rmSync(join(dir, RECORD));
      assert.equal(spawnSync("mkfifo", [join(dir, RECORD)]).status, 0);
      assert.match(await voided(dir), /^it (is a FIFO|.*not a regular file)/);
    });

    it("the repository's objects cannot be read: said, never thrown", async () => {
      const dir = await recorded();
      renameSync(join(dir, ".git", "objects"), join(dir, ".git", "objects.gone"));
      assert.match(await voided(dir), /^the repository's objects cannot be read/);
    });

    it("it was made for a workspace at another place in the repository", async () => {
      const dir = await recorded();
      const moved = demoRepo();
      const sub = join(moved, "nested");
      mkdirSync(sub);
      for (const n of ["WORKBOARD.yaml", ".sot", "tools", "README.md"]) {
        cpSync(join(moved, n), join(sub, n), { recursive: true });
        rmSync(join(moved, n), { recursive: true });
      }
      mkdirSync(join(sub, ".cto", "done"), { recursive: true });
      cpSync(join(dir, RECORD), join(sub, RECORD));
      commitAll(moved, "moved");
      assert.match(await voided(sub), /^it was made for the workspace at '\.', not 'nested'/);
    });
  });
});
