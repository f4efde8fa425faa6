// Signed evidence (issue 8, item 9): every bundle carries attestation.json, a DSSE envelope over
// an in-toto Statement v1 signed by the harness's Ed25519 key — checked here with a PAE written
// from the spec and crypto.verify, not the product's code; a bundle whose digests were
// re-computed by someone without the key does not verify (tampered, unsigned or untrusted);
// trust comes from the local key and the workspace's .cto/trusted-keys; freshness (git on the
// repo the report names) runs only after integrity and the signature hold.
import * as assert from "node:assert/strict";
import { verify as cryptoVerify, generateKeyPairSync } from "node:crypto";
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { loadSigningKey, loadTrustStore, parseTrustedKeys, planIsolation, verifyBundle, type Report } from "../../../src/harness";
import { attackerKey, bundleFiles, forgePass, keyIdOfRaw, publicKeyOfLine, readReport, resign, sha256, stripSignature, testPae } from "./forge";
import { cleanupTemps, CLI, FIXTURES, gitIn, makeGitRepo, run, tempDir, writeTask, SUB } from "./helpers";

function cli(cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env };
  return { io, out, err, text: () => out.join("\n"), json: () => JSON.parse(out.join("\n")) };
}

/** A fresh Ed25519 key file (mode 0600) for CTO_SIGNING_KEY. */
function keyFile(mode = 0o600): string {
  const p = join(tempDir("cto-key-"), "key.pem");
  writeFileSync(p, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode });
  chmodSync(p, mode);
  return p;
}

/** Runs `fn` with the harness signing with another key (the runner reads process.env). */
async function withSigningKey<T>(path: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env.CTO_SIGNING_KEY;
  if (path === undefined) delete process.env.CTO_SIGNING_KEY;
  else process.env.CTO_SIGNING_KEY = path;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.CTO_SIGNING_KEY;
    else process.env.CTO_SIGNING_KEY = before;
  }
}

/** A copy of a bundle, for one test to change. */
function copyOf(bundle: string): string {
  const d = join(tempDir("cto-forge-"), "b");
  cpSync(bundle, d, { recursive: true });
  return d;
}

describe("harness: signed evidence", function () {
  this.timeout(30_000);
  let happy: string;
  let failed: string;
  let localLine: string;
  after(cleanupTemps);

  before(async () => {
    const h = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml") });
    assert.equal(h.report.status, "pass");
    happy = h.bundleDir!;
    const f = await run({ taskFile: join(FIXTURES, "failed-tests", "task.yaml") });
    assert.equal(f.report.status, "fail");
    failed = f.bundleDir!;
    const c = cli(FIXTURES);
    assert.equal(await main(["key", "show", "--name", "this machine"], c.io), 0);
    localLine = c.text();
  });

  it("attestation.json: a DSSE envelope over an in-toto Statement v1 of every other file, signed by the local key (independent PAE + crypto.verify)", () => {
    const env = JSON.parse(readFileSync(join(happy, "attestation.json"), "utf8"));
    assert.deepEqual(Object.keys(env).sort(), ["payload", "payloadType", "signatures"]);
    assert.equal(env.payloadType, "application/vnd.in-toto+json");
    assert.equal(env.signatures.length, 1);
    const payload = Buffer.from(env.payload, "base64");
    const sig = Buffer.from(env.signatures[0].sig, "base64");
    const { key, raw, name } = publicKeyOfLine(localLine);
    assert.equal(name, "this machine");
    assert.equal(env.signatures[0].keyid, keyIdOfRaw(raw), "the key id is sha256 of the key's SPKI DER");
    assert.ok(cryptoVerify(null, testPae(env.payloadType, payload), key, sig), "the signature verifies over PAE(payloadType, payload)");
    // It is over the PAE, not the bare payload (so the type is authenticated too).
    assert.ok(!cryptoVerify(null, payload, key, sig));
    assert.ok(!cryptoVerify(null, testPae("application/json", payload), key, sig));

    const st = JSON.parse(payload.toString("utf8"));
    assert.equal(st._type, "https://in-toto.io/Statement/v1");
    assert.equal(st.predicateType, "https://cto-workbench.dev/report/v1");
    assert.deepEqual(st.predicate, readReport(happy), "the predicate is the report");
    const files = bundleFiles(happy);
    assert.ok(files.includes("SHA256SUMS") && files.includes("report.json") && files.includes("raw/engine.stdout.log"));
    assert.deepEqual(
      st.subject,
      files.map((f) => ({ name: f, digest: { sha256: sha256(readFileSync(join(happy, f))) } })),
      "subjects: every file but attestation.json, with its sha256",
    );
    // SHA256SUMS keeps its contract (every artifact but itself and report.json) and does not list the attestation.
    assert.doesNotMatch(readFileSync(join(happy, "SHA256SUMS"), "utf8"), /attestation\.json|report\.json|SHA256SUMS/);
    assert.equal(readReport(happy).artifacts.attestation, "attestation.json");
  });

  it("cto verify says who signed, in text and --json", async () => {
    const { raw } = publicKeyOfLine(localLine);
    const c = cli(FIXTURES);
    assert.equal(await main(["verify", happy], c.io), 0);
    assert.match(c.text(), new RegExp(`^verified: .*; signed by local key \\(key ${keyIdOfRaw(raw).slice(0, 16)}\\)\\)$`, "m"));
    assert.match(c.text(), new RegExp(`signer: local key, key ${keyIdOfRaw(raw)}, trusted by local key \\(`));
    const j = cli(FIXTURES);
    assert.equal(await main(["verify", happy, "--json"], j.io), 0);
    const out = j.json();
    assert.deepEqual([out.ok, out.verdict, out.signature.state, out.signature.keyid, out.signature.signer], [true, "verified", "trusted", keyIdOfRaw(raw), "local key"]);
    assert.match(out.signature.trusted_by[0], /^local key \(/);
  });

  it("a re-digested forgery (a fail edited to pass, every digest recomputed without the key) never verifies", async () => {
    const attacker = attackerKey();
    const trustFile = join(tempDir("cto-keys-"), "trusted-keys");
    writeFileSync(trustFile, attacker.line("the forger") + "\n");
    const local = loadTrustStore();
    const withForger = loadTrustStore({ files: [trustFile] });

    // The forgery is complete: signed by its forger and checked with the forger's key trusted, it verifies.
    const complete = copyOf(failed);
    forgePass(complete);
    resign(complete, attacker.privateKey, attacker.keyid);
    const ok = await verifyBundle(complete, { trust: withForger });
    assert.equal(ok.verdict, "verified", JSON.stringify(ok.problems));
    assert.equal(ok.report?.status, "pass");

    // 1. The original attestation kept: the signed subjects and predicate no longer match (3).
    const kept = copyOf(failed);
    forgePass(kept);
    const v1 = await verifyBundle(kept, { trust: local });
    assert.equal(v1.verdict, "tampered");
    assert.equal(v1.exitCode, 3);
    assert.equal(v1.signature.state, "trusted", "the signature itself is the harness's");
    for (const f of ["report.json", "SHA256SUMS", "events.normalized.jsonl", "report.md"]) assert.ok(v1.problems.some((p) => p.file === f && /signed/.test(p.message)), `${f}: ${JSON.stringify(v1.problems)}`);
    assert.ok(v1.problems.some((p) => /differs from the report that was signed/.test(p.message)));

    // 2. The attestation removed (and report.json's mention of it): unsigned (5).
    const unsigned = copyOf(failed);
    forgePass(unsigned);
    stripSignature(unsigned);
    const v2 = await verifyBundle(unsigned, { trust: local });
    assert.deepEqual([v2.verdict, v2.exitCode, v2.signature.state], ["unsigned", 5, "unsigned"], JSON.stringify(v2.problems));
    //    Removed but still named by report.json: tampered.
    const removed = copyOf(happy);
    const { rmSync } = await import("node:fs");
    rmSync(join(removed, "attestation.json"));
    assert.equal((await verifyBundle(removed, { trust: local })).verdict, "tampered");

    // 3. Re-signed with the forger's own key: untrusted (6), the key named.
    const v3 = await verifyBundle(complete, { trust: local });
    assert.deepEqual([v3.verdict, v3.exitCode, v3.signature.state, v3.signature.keyid], ["untrusted", 6, "untrusted", attacker.keyid]);
    const c = cli(FIXTURES);
    assert.equal(await main(["verify", complete], c.io), 6);
    assert.match(c.text(), new RegExp(`^untrusted: .*signed by an untrusted key ${attacker.keyid.slice(0, 16)}`, "m"));
    assert.match(c.text(), /\.cto\/trusted-keys/);

    // 4. Re-signed with the forger's key but claiming the harness's key id: a bad signature (3).
    const claimed = copyOf(failed);
    forgePass(claimed);
    resign(claimed, attacker.privateKey, keyIdOfRaw(publicKeyOfLine(localLine).raw));
    const v4 = await verifyBundle(claimed, { trust: local });
    assert.deepEqual([v4.verdict, v4.exitCode, v4.signature.state], ["tampered", 3, "bad"]);
    assert.match(v4.problems.map((p) => p.message).join("\n"), /does not verify with the trusted key/);

    // 5. The envelope's payload edited (report predicate says pass), signature kept: bad signature (3).
    const edited = copyOf(failed);
    const env = JSON.parse(readFileSync(join(edited, "attestation.json"), "utf8"));
    const st = JSON.parse(Buffer.from(env.payload, "base64").toString());
    st.predicate.status = "pass";
    env.payload = Buffer.from(JSON.stringify(st)).toString("base64");
    writeFileSync(join(edited, "attestation.json"), JSON.stringify(env));
    const v5 = await verifyBundle(edited, { trust: local });
    assert.deepEqual([v5.verdict, v5.signature.state], ["tampered", "bad"]);
  });

  it("a key trusted through the workspace's .cto/trusted-keys: untrusted until its `cto key show` line is added, then named", async () => {
    const ci = keyFile();
    const r = await withSigningKey(ci, () => run({ taskFile: join(FIXTURES, "happy-path", "task.yaml") }));
    const ws = tempDir("cto-ws-");
    writeFileSync(join(ws, "WORKBOARD.yaml"), "docs: []\n");
    const here = cli(ws);
    assert.equal(await main(["verify", r.bundleDir!], here.io), 6, here.text());
    const show = cli(ws, { ...process.env, CTO_SIGNING_KEY: ci });
    assert.equal(await main(["key", "show", "--name", "CI (github actions)"], show.io), 0);
    mkdirSync(join(ws, ".cto"));
    writeFileSync(join(ws, ".cto", "trusted-keys"), `# keys of this team\n${show.text()}\n`);
    const again = cli(join(ws)); // cwd inside the workspace
    assert.equal(await main(["verify", r.bundleDir!, "--json"], again.io), 0, again.text());
    const j = again.json();
    assert.equal(j.signature.signer, "CI (github actions)");
    assert.deepEqual(j.signature.trusted_by, [`${join(ws, ".cto", "trusted-keys")}:2`]);
    // The trust comes from the workspace the user works in, never from the bundle's location.
    const elsewhere = cli(tempDir("cto-elsewhere-"));
    assert.equal(await main(["verify", r.bundleDir!], elsewhere.io), 6);
    assert.equal(await main(["verify", r.bundleDir!, "--workspace", ws], cli(FIXTURES).io), 0);
    assert.equal(await main(["verify", r.bundleDir!, "--trusted-keys", join(ws, ".cto", "trusted-keys")], cli(FIXTURES).io), 0);
    assert.equal(await main(["verify", r.bundleDir!, "--trusted-keys", join(ws, "nope")], cli(FIXTURES).io), 2);
  });

  it("trusted-keys lines: a bad line is a located problem and its key is not trusted; the other lines' keys are", () => {
    const a = attackerKey();
    const b = attackerKey();
    const text = [
      "# comment",
      "",
      a.line("alice"),
      "rsa AAAA bob",
      `ed25519 ${b.raw.toString("base64").slice(0, 20)} short`,
      `ed25519 ${b.raw.toString("base64")}`,
      `  ${a.line("alice again")}`,
      b.line("bob at ci"),
    ].join("\n");
    const p = parseTrustedKeys(text);
    assert.deepEqual(p.keys.map((k) => [k.name, k.line, k.keyid]), [["alice", 3, a.keyid], ["bob at ci", 8, b.keyid]]);
    assert.deepEqual(p.problems.map((x) => [x.line, x.column]), [[4, 1], [5, 9], [6, 53], [7, 11]]);
    assert.match(p.problems[0]!.message, /unknown key type 'rsa'/);
    assert.match(p.problems[1]!.message, /not the base64 of 32 bytes/);
    assert.match(p.problems[2]!.message, /no name/);
    assert.match(p.problems[3]!.message, /same key as line 3/);
  });

  it("the signing key: created on first use (0600, folder 0700), reused, one key for concurrent first uses; CTO_SIGNING_KEY must exist", async () => {
    const home = tempDir("cto-home-");
    const env = { ...process.env, CTO_SIGNING_KEY: "", XDG_CONFIG_HOME: join(home, "config") };
    const path = join(home, "config", "cto-workbench", "signing-key.pem");
    const first = cli(home, env);
    assert.equal(await main(["key", "show", "--json"], first.io), 0);
    const j1 = first.json();
    assert.deepEqual([j1.created, j1.path], [true, path]);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(home, "config", "cto-workbench")).mode & 0o777, 0o700);
    const second = cli(home, env);
    assert.equal(await main(["key", "show", "--json"], second.io), 0);
    assert.deepEqual([second.json().created, second.json().keyid], [false, j1.keyid]);
    // Without XDG_CONFIG_HOME: ~/.config.
    const plain = { ...process.env, CTO_SIGNING_KEY: "", XDG_CONFIG_HOME: "", HOME: home };
    assert.equal(loadSigningKey(plain).path, join(home, ".config", "cto-workbench", "signing-key.pem"));

    // Six processes at once on an empty config folder all end with the same key.
    const race = { ...process.env, CTO_SIGNING_KEY: "", XDG_CONFIG_HOME: join(home, "race") };
    const lines = await Promise.all(
      Array.from({ length: 6 }, () => new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, [CLI, "key", "show", "--name", "n"], { env: race });
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.on("error", reject);
        p.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
      })),
    );
    assert.equal(new Set(lines).size, 1, lines.join("\n"));

    const missing = cli(home, { ...process.env, CTO_SIGNING_KEY: join(home, "nope.pem") });
    assert.equal(await main(["key", "show"], missing.io), 1);
    assert.match(missing.err.join("\n"), /CTO_SIGNING_KEY names .*nope\.pem, which does not exist/);
    assert.ok(!existsSync(join(home, "nope.pem")), "an explicit key is never created");
  });

  it("a key that cannot sign (missing, readable by others) leaves an unsigned bundle with artifact_write_failed; one inside the task's repo refuses the run before it starts", async () => {
    const open = keyFile(0o644);
    const t = writeTask(`id: k\nrepo: {{REPO}}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
    const inRepo = join(t.repo, "key.pem");
    cpSync(keyFile(), inRepo);
    chmodSync(inRepo, 0o600);
    for (const [key, why] of [
      [join(t.dir, "missing.pem"), /does not exist/],
      [open, /readable by others \(mode 0644\)/],
    ] as [string, RegExp][]) {
      const r = await withSigningKey(key, () => run({ taskFile: t.taskFile }));
      assert.equal(r.report.status, "error", key);
      assert.equal(r.report.blockers[0]!.id, "artifact_write_failed");
      assert.match(r.report.blockers[0]!.reason, why);
      assert.ok(r.bundleDir && !existsSync(join(r.bundleDir, "attestation.json")));
      assert.equal(r.report.artifacts.attestation, undefined);
      const v = await verifyBundle(r.bundleDir!);
      assert.deepEqual([v.verdict, v.exitCode], ["unsigned", 5], JSON.stringify(v.problems));
    }
    // Inside the repo, the sandbox's copy would hand the engine the key: refused (located) before anything runs.
    const out = join(tempDir("cto-runs-"), "runs");
    await assert.rejects(withSigningKey(inRepo, () => run({ taskFile: t.taskFile, outDir: out })), /task\.yaml:\d+:\d+: repo .* holds the harness's signing key/);
    assert.equal(existsSync(out), false, "a bundle was written");
  });

  it("the engine and the tests never see the signing key (bubblewrap): neither CTO_SIGNING_KEY's file nor the default one", async function () {
    if (!planIsolation("auto").kind || planIsolation("auto").kind === "none") this.skip(); // needs working bubblewrap (CI has it)
    const home = tempDir("cto-home-");
    const def = join(home, ".config", "cto-workbench", "signing-key.pem");
    loadSigningKey({ ...process.env, CTO_SIGNING_KEY: "", XDG_CONFIG_HOME: "", HOME: home }); // creates it
    const explicit = process.env.CTO_SIGNING_KEY ?? def;
    // The user's real config folder too (where the default key lives): not even listable.
    const realConfig = join(homedir(), ".config");
    const probe = `const fs = require("fs"); for (const k of ${JSON.stringify([explicit, def])}) { try { fs.readFileSync(k); console.log("READ " + k); process.exitCode = 3 } catch (e) { console.log("cannot read " + k + ": " + e.code) } } try { fs.readdirSync(${JSON.stringify(realConfig)}); console.log("READ ${realConfig}"); process.exitCode = 3 } catch (e) { console.log("cannot list ${realConfig}: " + e.code) }`;
    const t = writeTask(`id: key-probe\nrepo: {{REPO}}\nallowed_files: ["src/**"]\ntest_command: ["node", "-e", ${JSON.stringify(probe)}]\ntimeout_s: 30\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`);
    const r = await run({ taskFile: t.taskFile });
    const log = readFileSync(join(r.bundleDir!, "test.log"), "utf8");
    assert.equal(r.report.isolation, "bubblewrap");
    assert.doesNotMatch(log, /READ|PRIVATE KEY/, log);
    assert.match(log, /cannot read/);
    assert.equal(r.report.status, "pass", log);
  });

  it("freshness runs only after integrity and the signature: a forged bundle naming a repo never gets git run on it", async () => {
    const repo = makeGitRepo();
    const t = writeTask(`id: fresh\nrepo: {{REPO}}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n  - write: { path: src/sub.js, content: "${SUB}" }\n`, { repo });
    const r = await run({ taskFile: t.taskFile });
    assert.equal(r.report.status, "pass");
    // The repo the attacker wants us to look at: git status there runs its fsmonitor hook.
    const victim = makeGitRepo();
    const marker = join(tempDir("cto-marker-"), "RAN");
    const hook = join(tempDir("cto-hook-"), "hook.sh");
    writeFileSync(hook, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
    gitIn(victim, "config", "core.fsmonitor", hook);
    const edit = (x: Report) => {
      x.task.repo = victim;
      x.freshness.repo_head = gitIn(victim, "rev-parse", "HEAD").trim();
    };
    const attacker = attackerKey();
    const forged = [copyOf(r.bundleDir!), copyOf(r.bundleDir!), copyOf(r.bundleDir!)];
    for (const d of forged) forgePass(d, edit);
    stripSignature(forged[1]!);
    resign(forged[2]!, attacker.privateKey, attacker.keyid);
    const verdicts = [];
    for (const d of forged) verdicts.push((await verifyBundle(d)).verdict);
    assert.deepEqual(verdicts, ["tampered", "unsigned", "untrusted"]);
    assert.ok(!existsSync(marker), "git ran on the repo a forged bundle names");
    // (The hook is live: the same check on a trusted bundle would run git there.)
    appendFileSync(join(victim, "README.md"), "x");
    gitIn(victim, "status", "--porcelain");
    assert.ok(existsSync(marker));
  });
});
