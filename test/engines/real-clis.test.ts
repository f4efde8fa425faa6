// The real engine CLIs end to end: the pinned @openai/codex and
// @mariozechner/pi-coding-agent (installed from npm into the cache folder by
// scripts/engines/install.mjs; test.mjs passes their paths), driven by our
// scripted model server on 127.0.0.1, through `cto run` (a child process, the
// default isolation: bubblewrap). Each CLI is pointed at the server only through
// its own configuration in a user home of the test's making (HOME), which the
// adapter seeds into the run's home. Retries are configured low so the suite
// stays short; `progress_timeout_s` is the test's bounded wait.
//
// Scenarios per engine: a pass (bundle verifies, patch.diff applies, tests
// pass), HTTP 500, HTTP 401, a malformed stream, a stream cut short, a server
// that never answers, no server at all (each provider_unavailable, exit 21) and
// a CLI that crashes at start (engine_failed, 25).
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startModelServer, type ModelServer, type ServerMode } from "./support/modelServer";

const ROOT = resolve(__dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cli.js");
/**
 * The bounded wait of no progress, per engine. codex starts in about a second and
 * needs the watchdog for a server that never answers and for no server at all
 * (it waits for the network forever); pi spends seconds starting up after its
 * session header on a loaded machine, and decides those cases itself (its own
 * provider timeout, retries), so it gets more room.
 */
const PROGRESS_TIMEOUT_S: Record<Engine, number> = { codex: 5, pi: 15 };
/** Scenario runs in flight at once (they mostly wait on the server, the watchdog or a CLI's start-up). */
const CONCURRENCY = 3;

type Engine = "codex" | "pi";
type Api = "responses" | "chat";
type Scenario = ServerMode | "noserver" | "crash";

interface Outcome {
  /** The caller's environment the run had (the same user verifies it: their signing key). */
  env: NodeJS.ProcessEnv;
  exit: number | null;
  report: Record<string, any>;
  bundle: string;
  ms: number;
  stderr: string;
}

/** What every scenario printed, for the closing table (not asserted: timings belong to npm run bench). */
export const observed: { engine: string; scenario: string; blocker: string; exit: number | null; ms: number }[] = [];

function bin(engine: Engine): string {
  const v = process.env[engine === "codex" ? "CTO_ENGINE_CODEX_BIN" : "CTO_ENGINE_PI_BIN"];
  if (!v || !existsSync(v)) throw new Error(`the real ${engine} CLI is not installed (run this suite through npm run test:engines, which installs it; got '${v ?? ""}')`);
  return v;
}

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** A user home holding only this engine's own configuration, pointing at `port`. */
function userHome(dir: string, engine: Engine, port: number, api: Api, broken = false): string {
  const home = join(dir, "home");
  if (engine === "codex") {
    mkdirSync(join(home, ".codex"), { recursive: true });
    const toml = [
      // gpt-5.5: codex offers apply_patch, so the change arrives as a file_change item.
      'model = "gpt-5.5"',
      'model_provider = "local"',
      "",
      "[model_providers.local]",
      'name = "local"',
      `base_url = "http://127.0.0.1:${port}/v1"`,
      'wire_api = "responses"',
      'env_key = "CTO_TEST_MODEL_KEY"',
      "request_max_retries = 0",
      "stream_max_retries = 0",
      "stream_idle_timeout_ms = 4000",
      "supports_websockets = false",
      "",
    ].join("\n");
    writeFileSync(join(home, ".codex", "config.toml"), broken ? "model = \n[[[ not toml\n" : toml);
  } else {
    const agent = join(home, ".pi", "agent");
    mkdirSync(agent, { recursive: true });
    writeFileSync(
      join(agent, "models.json"),
      JSON.stringify({ providers: { local: { baseUrl: `http://127.0.0.1:${port}/v1`, api: api === "chat" ? "openai-completions" : "openai-responses", apiKey: "CTO_TEST_MODEL_KEY", models: [{ id: "local-model", contextWindow: 32000, maxTokens: 4096 }] } } }),
    );
    writeFileSync(join(agent, "settings.json"), JSON.stringify({ defaultProvider: "local", defaultModel: "local-model", retry: { enabled: true, maxRetries: 1, baseDelayMs: 100, provider: { maxRetries: 0, timeoutMs: 4000 } } }));
  }
  return home;
}

async function runScenario(engine: Engine, scenario: Scenario, servers: Map<string, ModelServer>, api: Api = engine === "codex" ? "responses" : "chat"): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), `cto-e2e-${engine}-${scenario}-`));
  dirs.push(dir);
  const port = scenario === "noserver" ? await freePort() : servers.get(scenario === "crash" ? "script" : scenario)!.port;
  const home = userHome(dir, engine, port, api, engine === "codex" && scenario === "crash");
  mkdirSync(join(dir, "repo"));
  writeFileSync(join(dir, "repo", "test.js"), "const sub = require('./src/sub.js');\nif (sub(5, 3) !== 2) { console.error('wrong'); process.exit(1); }\nconsole.log('subtract ok');\n");
  // pi's crash at start: an option it does not know (it exits 1 before printing anything).
  const extra = engine === "pi" && scenario === "crash" ? ', args: ["--no-such-option"]' : "";
  writeFileSync(
    join(dir, "task.yaml"),
    [
      `id: e2e-${engine}-${scenario}`,
      'prompt: "Create src/sub.js exporting subtract(a, b)"',
      "repo: ./repo",
      'allowed_files: ["src/**"]',
      'test_command: ["node", "test.js"]',
      "timeout_s: 120",
      `progress_timeout_s: ${PROGRESS_TIMEOUT_S[engine]}`,
      `engine_options: { command: ["${bin(engine)}"]${extra} }`,
      "",
    ].join("\n"),
  );
  // The caller's environment: a user with their engine configured and the key it names.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C.UTF-8", CTO_TEST_MODEL_KEY: "sk-local-test" };
  const t0 = performance.now();
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const p = spawn(process.execPath, [CLI, "run", "--engine", engine, "--task", join(dir, "task.yaml"), "--out", join(dir, "runs"), "--json"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => res({ code, stdout, stderr }));
  });
  const ms = performance.now() - t0;
  let json: { bundle?: string };
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`cto run printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assert.ok(json.bundle, `no bundle: ${r.stdout}`);
  const report = JSON.parse(readFileSync(join(json.bundle!, "report.json"), "utf8"));
  observed.push({ engine: `${engine}${engine === "pi" ? ` (${api})` : ""}`, scenario, blocker: report.blockers[0]?.id ?? "—", exit: r.code, ms: Math.round(ms) });
  return { env, exit: r.code, report, bundle: json.bundle!, ms, stderr: r.stderr };
}

const dirs: string[] = [];

/** `cto verify BUNDLE --json` as the user who ran it (the bundle is signed with their key). */
function verified(o: Outcome): { verdict: string; problems: unknown[] } {
  const r = spawnSync(process.execPath, [CLI, "verify", o.bundle, "--json"], { env: o.env, encoding: "utf8" });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`cto verify printed no JSON (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
}

/** Starts every scenario at once through a pool; each test awaits its own. */
let active = 0;
const waiting: (() => void)[] = [];
async function pooled<T>(fn: () => Promise<T>): Promise<T> {
  if (active >= CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  active++;
  try {
    return await fn();
  } finally {
    active--;
    waiting.shift()?.();
  }
}
const runs = new Map<string, Promise<Outcome>>();
function scenario(engine: Engine, sc: Scenario, servers: Map<string, ModelServer>, api?: Api): Promise<Outcome> {
  const key = `${engine}:${sc}:${api ?? ""}`;
  if (!runs.has(key)) {
    const p = pooled(() => runScenario(engine, sc, servers, api));
    p.catch(() => {}); // awaited (and reported) by its test
    runs.set(key, p);
  }
  return runs.get(key)!;
}
const ALL: [Engine, Scenario, Api?][] = [
  ...(["codex", "pi"] as Engine[]).flatMap((e) => (["script", "http500", "http401", "malformed", "cut", "hang", "noserver", "crash"] as Scenario[]).map((sc): [Engine, Scenario] => [e, sc])),
  ["pi", "script", "responses"],
  ["pi", "http500", "responses"],
];
const blockerIds = (o: Outcome) => (o.report.blockers as { id: string }[]).map((b) => b.id);
const reasons = (o: Outcome) => (o.report.blockers as { id: string; reason: string }[]).map((b) => `${b.id}: ${b.reason}`).join("\n");

async function assertPass(o: Outcome, engine: Engine): Promise<void> {
  assert.equal(o.exit, 0, reasons(o));
  assert.equal(o.report.status, "pass");
  assert.equal(o.report.isolation, "bubblewrap");
  assert.deepEqual(o.report.changed_files.map((c: { path: string }) => c.path), ["src/sub.js"]);
  assert.match(String(o.report.engine.version), engine === "codex" ? /0\.171\.0/ : /^0\.73\.1$/, "the version, probed inside the isolation (pi prints it on stderr)");
  const v = verified(o);
  assert.equal(v.verdict, "verified", JSON.stringify(v.problems));
  assert.match(readFileSync(join(o.bundle, "test.log"), "utf8"), /subtract ok/);
  // patch.diff applies to a fresh copy of the source repo, and the tests pass there too.
  const copy = mkdtempSync(join(tmpdir(), "cto-e2e-apply-"));
  dirs.push(copy);
  cpSync(join(o.report.task.repo), copy, { recursive: true });
  const ap = spawnSync("git", ["apply", join(o.bundle, "patch.diff")], { cwd: copy, encoding: "utf8" });
  assert.equal(ap.status, 0, ap.stderr);
  assert.equal(spawnSync(process.execPath, ["test.js"], { cwd: copy }).status, 0);
  // The run's home was seeded from the user's own configuration (names only in the bundle).
  const seeded: string[] = o.report.engine.home_seeded ?? [];
  assert.ok(seeded.includes(engine === "codex" ? ".codex/config.toml" : ".pi/agent/models.json"), JSON.stringify(seeded));
}

function assertUnavailable(o: Outcome, why: RegExp): void {
  assert.equal(blockerIds(o)[0], "provider_unavailable", reasons(o));
  assert.equal(o.exit, 21, reasons(o));
  assert.equal(o.report.status, "blocked");
  assert.match(o.report.blockers[0].reason, why);
  assert.ok(!blockerIds(o).includes("no_diff") && !blockerIds(o).includes("tests_failed") && !blockerIds(o).includes("timeout"), reasons(o));
  assert.equal(verified(o).verdict, "verified");
}

describe("engines: the real codex and pi CLIs through cto run (bubblewrap), against our scripted model server", function () {
  this.timeout(120_000);
  const servers = new Map<string, ModelServer>();
  before(async function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    bin("codex");
    bin("pi");
    for (const m of ["script", "http500", "http401", "malformed", "cut", "hang"] as ServerMode[]) servers.set(m, await startModelServer({ mode: m }));
    for (const [e, sc, api] of ALL) void scenario(e, sc, servers, api);
  });
  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (observed.length) {
      console.log("\n    engine          scenario    blocker               exit   time");
      for (const o of observed) console.log(`    ${o.engine.padEnd(15)} ${o.scenario.padEnd(11)} ${o.blocker.padEnd(21)} ${String(o.exit).padEnd(6)} ${(o.ms / 1000).toFixed(1)} s`);
    }
  });

  for (const engine of ["codex", "pi"] as Engine[]) {
    describe(engine, () => {
      it("pass: the bundle verifies, patch.diff applies, the tests pass", async () => {
        const o = await scenario(engine, "script", servers);
        await assertPass(o, engine);
        const reqs = servers.get("script")!.requests.filter((q) => q.path.endsWith(engine === "codex" ? "/responses" : "/chat/completions"));
        assert.ok(reqs.length >= 2, "the CLI really called our server (tool call, then the final turn)");
        // stdin is empty: codex appends a non-empty stdin as <stdin>…</stdin>; pi prefixes it to the prompt.
        const body = JSON.stringify(reqs[0]!.body);
        assert.ok(!body.includes("<stdin>") && !body.includes("ignoreCreate"), "the prompt carries nothing from stdin");
        assert.ok(body.includes("Create src/sub.js exporting subtract(a, b)"));
      });
      it("HTTP 500: provider_unavailable (21)", async () => assertUnavailable(await scenario(engine, "http500", servers), engine === "codex" ? /turn\.failed/ : /gave up after/));
      it("HTTP 401: provider_unavailable (21)", async () => assertUnavailable(await scenario(engine, "http401", servers), engine === "codex" ? /turn\.failed.*401/ : /last model call failed: 401/));
      it("a malformed stream: provider_unavailable (21)", async () => assertUnavailable(await scenario(engine, "malformed", servers), engine === "codex" ? /turn\.failed/ : /last model call failed/));
      it("a stream cut short: provider_unavailable (21)", async () => assertUnavailable(await scenario(engine, "cut", servers), engine === "codex" ? /turn\.failed/ : /gave up after/));
      it("a server that never answers: provider_unavailable (21), stopped after the bounded wait", async () => {
        const o = await scenario(engine, "hang", servers);
        // codex waits forever: the watchdog decides; pi's own 4 s provider timeout may come first.
        assertUnavailable(o, engine === "codex" ? new RegExp(`no progress from the engine for progress_timeout_s=${PROGRESS_TIMEOUT_S.codex}`) : /no progress|gave up after/);
      });
      it("no server at all: provider_unavailable (21)", async () => {
        const o = await scenario(engine, "noserver", servers);
        // codex retries "waiting for network" forever: the watchdog stops it and names codex's last error.
        assertUnavailable(o, engine === "codex" ? /no progress .*last provider error: Reconnecting/ : /gave up after .*Connection error/);
      });
      it("a CLI that crashes at start: engine_failed (25), no diff rows, tests not run", async () => {
        const o = await scenario(engine, "crash", servers);
        assert.deepEqual(blockerIds(o), ["engine_failed"], reasons(o));
        assert.equal(o.exit, 25);
        assert.match(readFileSync(join(o.bundle, "test.log"), "utf8"), /tests not run/);
        assert.equal(verified(o).verdict, "verified");
      });
    });
  }

  describe("pi over the Responses API", () => {
    it("pass", async () => assertPass(await scenario("pi", "script", servers, "responses"), "pi"));
    it("HTTP 500: provider_unavailable (21)", async () => assertUnavailable(await scenario("pi", "http500", servers, "responses"), /gave up after/));
  });
});
