// The per-run home each adapter seeds from the user's own configuration, and
// `cto engines`. Seeding copies an allow-list of regular files — a symlink is
// never followed, sessions and history stay home — and reports names only.
import * as assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { codexEnvKeys, codexUserHome, CODEX_SEED } from "../../../src/harness/engines/codex";
import { piEnvKeys, piUserAgentDir, seedPiAgentDir } from "../../../src/harness/engines/pi";
import { caseUserDataDir, writeCaseDataDir } from "../../../src/harness/engines/case";
import { seedFolder, SEED_LIMITS } from "../../../src/harness/engines/home";
import { main } from "../../../src/cli/main";
import { cleanupTemps, tempDir } from "./helpers";

describe("harness: the engine's per-run home", () => {
  after(cleanupTemps);

  it("codex: config and credentials are copied; sessions, logs and history are not; a symlink is not followed", () => {
    const user = tempDir("cto-user-");
    const secret = join(user, "id_rsa");
    writeFileSync(secret, "PRIVATE KEY");
    const codex = join(user, ".codex");
    mkdirSync(join(codex, "sessions"), { recursive: true });
    mkdirSync(join(codex, "prompts"));
    writeFileSync(join(codex, "config.toml"), 'model_provider = "x"\n[model_providers.x]\nenv_key = "MY_KEY"\n  env_key = \'OTHER_KEY\'\nenv_key = "not a name"\n');
    writeFileSync(join(codex, "auth.json"), "{}");
    writeFileSync(join(codex, "history.jsonl"), "secret conversation");
    writeFileSync(join(codex, "sessions", "s.jsonl"), "old session");
    writeFileSync(join(codex, "prompts", "p.md"), "a prompt");
    symlinkSync(secret, join(codex, "AGENTS.md"));
    const home = tempDir("cto-home-");
    const r = seedFolder(codexUserHome({ HOME: user }), join(home, ".codex"), CODEX_SEED);
    assert.equal(r.from, codex);
    assert.deepEqual(r.copied.sort(), ["auth.json", "config.toml", "prompts/p.md"]);
    assert.deepEqual(r.skipped, ["AGENTS.md (symlink, not followed)"]);
    assert.equal(existsSync(join(home, ".codex", "history.jsonl")), false);
    assert.equal(existsSync(join(home, ".codex", "sessions")), false);
    assert.equal(existsSync(join(home, ".codex", "AGENTS.md")), false);
    assert.deepEqual(codexEnvKeys(readFileSync(join(home, ".codex", "config.toml"), "utf8")), ["MY_KEY", "OTHER_KEY"]);
  });

  it("CODEX_HOME, PI_CODING_AGENT_DIR and CASE_DATA_DIR win over the home folder; a relative one is not trusted", () => {
    assert.equal(codexUserHome({ HOME: "/h", CODEX_HOME: "/c" }), "/c");
    assert.equal(codexUserHome({ HOME: "/h", CODEX_HOME: "rel" }), "/h/.codex");
    assert.equal(piUserAgentDir({ HOME: "/h" }), "/h/.pi/agent");
    assert.equal(piUserAgentDir({ HOME: "/h", PI_CODING_AGENT_DIR: "/p" }), "/p");
    assert.equal(caseUserDataDir({ HOME: "/h" }), "/h/.config/case");
    assert.equal(caseUserDataDir({ HOME: "/h", XDG_CONFIG_HOME: "/x" }), "/x/case");
    assert.equal(caseUserDataDir({ HOME: "/h", XDG_CONFIG_HOME: "/x", CASE_DATA_DIR: "/d" }), "/d");
  });

  it("a file over the size limit is skipped and said so", () => {
    const user = tempDir("cto-user-");
    writeFileSync(join(user, "auth.json"), Buffer.alloc(SEED_LIMITS.fileBytes + 1));
    const r = seedFolder(user, join(tempDir("cto-home-"), "x"), ["auth.json"]);
    assert.deepEqual(r.copied, []);
    assert.match(r.skipped[0]!, /^auth\.json \(\d+ bytes, over/);
  });

  it("pi: models.json apiKey names become the variables passed on; PI_OFFLINE is set; no config is no seed", () => {
    assert.deepEqual(piEnvKeys(JSON.stringify({ providers: { a: { apiKey: "LOCAL_KEY" }, b: { apiKey: "sk-literal-value-123" }, c: {} } })), ["LOCAL_KEY"]);
    const user = tempDir("cto-user-");
    mkdirSync(join(user, ".pi", "agent", "sessions"), { recursive: true });
    writeFileSync(join(user, ".pi", "agent", "models.json"), JSON.stringify({ providers: { a: { apiKey: "LOCAL_KEY" } } }));
    writeFileSync(join(user, ".pi", "agent", "sessions", "old.jsonl"), "x");
    const home = tempDir("cto-home-");
    const s = seedPiAgentDir(home, { HOME: user, LOCAL_KEY: "v", UNRELATED: "u" });
    assert.deepEqual(s.record.copied, ["models.json"]);
    assert.deepEqual(s.env, { LOCAL_KEY: "v", PI_CODING_AGENT_DIR: join(home, ".pi", "agent"), PI_OFFLINE: "1" });
    assert.equal(existsSync(join(home, ".pi", "agent", "sessions", "old.jsonl")), false);
    const none = seedPiAgentDir(tempDir("cto-home-"), { HOME: tempDir("cto-empty-") });
    assert.deepEqual([none.record.from, none.record.copied], [null, []]);
  });

  it("case: projects.json names the sandbox under the task's id; the user's config keeps all but its projects path", () => {
    const data = tempDir("cto-case-data-");
    writeFileSync(join(data, "config.json"), JSON.stringify({ version: 1, projects: "/elsewhere/projects.json", defaultModel: "m" }));
    const w = writeCaseDataDir(data, "t1", "/sandbox/repo", "/src/repo", "Do it", null);
    assert.deepEqual(JSON.parse(readFileSync(join(data, "config.json"), "utf8")), { version: 1, projects: "./projects.json", defaultModel: "m" });
    const projects = JSON.parse(readFileSync(join(data, "projects.json"), "utf8"));
    assert.deepEqual([projects.repos.length, projects.repos[0].name, projects.repos[0].path], [1, "t1", "/sandbox/repo"]);
    const task = JSON.parse(readFileSync(w.taskJson, "utf8"));
    assert.deepEqual([task.id, task.status, task.repo], ["t1", "active", "t1"]);
    assert.equal(readFileSync(join(data, "tasks", "active", "t1.md"), "utf8"), "# t1\n\nDo it\n");
  });
});

describe("cli: cto engines", function () {
  this.timeout(60_000);
  it("--json says what is found and what starts; a CLI not on PATH is found: false and fails the check", async () => {
    const out: string[] = [];
    const env = { PATH: "/usr/bin:/bin", HOME: tempDir("cto-home-") };
    const code = await main(["engines", "fake", "codex", "--json"], { out: (l) => out.push(l), err: () => {}, cwd: process.cwd(), env });
    const j = JSON.parse(out.join("\n"));
    assert.equal(code, 1);
    assert.equal(j.ok, false);
    const [fake, codex] = j.engines;
    assert.deepEqual([fake.id, fake.found, fake.starts], ["fake", true, true]);
    assert.deepEqual([codex.id, codex.found, codex.version], ["codex", false, null]);
    assert.match(codex.start_detail, /'codex' not found on PATH/);
    assert.deepEqual(codex.config, { variable: "CODEX_HOME", from: join(env.HOME, ".codex"), exists: false, entries: [] });
  });
  it("a CLI that exists is started inside the isolation; case's gate is reported", async () => {
    const out: string[] = [];
    const dir = tempDir("cto-bin-");
    const fakeCa = join(dir, "ca");
    writeFileSync(fakeCa, "#!/bin/sh\necho usage\nexit 0\n", { mode: 0o755 });
    const code = await main(["engines", "case", "--json"], { out: (l) => out.push(l), err: () => {}, cwd: dir, env: { PATH: `${dir}:/usr/bin:/bin`, HOME: tempDir("cto-home-") } });
    const c = JSON.parse(out.join("\n")).engines[0];
    assert.deepEqual([c.found, c.starts, c.isolation], [true, true, "bubblewrap"]);
    assert.deepEqual([c.gate.enabled, c.gate.admitted, c.gate.eligible], [false, false, false]);
    assert.equal(code, 0, "found and starts: usable on this machine (gating is reported, not a failure of the check)");
  });
  it("an unknown engine is usage (2)", async () => {
    const err: string[] = [];
    assert.equal(await main(["engines", "nope"], { out: () => {}, err: (l) => err.push(l), cwd: process.cwd(), env: process.env }), 2);
    assert.match(err.join("\n"), /unknown engine 'nope'/);
  });
});

describe("harness: engine-reported paths", () => {
  after(cleanupTemps);
  it("an absolute path through the work tree's real path is inside the sandbox (codex reports real paths)", async () => {
    const { reportedWriteEscapes } = await import("../../../src/harness/diffcheck");
    const real = tempDir("cto-real-");
    mkdirSync(join(real, "repo"));
    const link = join(tempDir("cto-link-"), "via");
    symlinkSync(real, link);
    const workTree = join(link, "repo");
    assert.equal(reportedWriteEscapes(workTree, join(real, "repo", "src", "sub.js")), undefined);
    assert.equal(reportedWriteEscapes(workTree, join(real, "elsewhere.js")), "write outside the sandbox");
  });
});
