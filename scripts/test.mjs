// npm test: typecheck, build, unit tests (mocha in this process), the real engine CLIs end to end
// (codex and pi installed from npm into the cache, driven by our scripted model server), integration
// tests (a real VS Code extension host), then one total line — always the last line — and a nonzero
// exit on any failure.
//   node scripts/test.mjs [--unit] [--engines] [--integration]      (no flag: all three)
// Env: CTO_TEST_GREP (filter tests by title), CTO_FIXTURE_WORKSPACE (workspace to copy for the
// integration run; default fixtures/workspace), CTO_TEST_HOST=electron / VSCODE_EXECUTABLE (desktop
// VS Code instead of code-server), CTO_VERBOSE=1, CTO_KEEP_RUN=1 (keep the run folder).
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(fileURLToPath(import.meta.url), "..", "..");
process.chdir(repo);
const argv = process.argv.slice(2);
const only = ["--unit", "--engines", "--integration"].filter((f) => argv.includes(f));
const wantUnit = only.length === 0 || only.includes("--unit");
const wantEngines = only.length === 0 || only.includes("--engines");
const wantIntegration = only.length === 0 || only.includes("--integration");
const totals = { passed: 0, failed: 0, skipped: 0 };
const t0 = Date.now();

const secs = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const banner = (s) => console.log(`\n=== ${s}`);

/** Prints the total line last and exits; a step that could not run counts as one failure. */
function finish(stepFailure) {
  if (stepFailure) { console.log(`\n${stepFailure}`); totals.failed++; }
  console.log(`\n(total time ${secs(t0)})`);
  console.log(`${totals.passed} passed, ${totals.failed} failed` + (totals.skipped ? `, ${totals.skipped} skipped` : ""));
  process.exit(totals.failed > 0 ? 1 : 0);
}

function runStep(title, args) {
  banner(title);
  const t = Date.now();
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) finish(`FAILED: ${title} (${r.signal || `exit ${r.status}`})`);
  console.log(`ok (${secs(t)})`);
}

/** Sorted *.test.js below dir (absolute paths). */
function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? testFiles(p) : n.endsWith(".test.js") ? [p] : [];
  });
}

async function unitTests() {
  banner("unit tests (mocha)");
  const files = testFiles("out/test/unit");
  if (files.length === 0) { console.log("no unit test files in out/test/unit"); return; }
  const { default: Mocha } = await import("mocha");
  const mocha = new Mocha({ ui: "bdd", timeout: 10_000, color: process.stdout.isTTY, reporter: "spec" });
  Mocha.interfaces.tdd(mocha.suite); // suite/test as well as describe/it: one style per file, either works
  if (process.env.CTO_TEST_GREP) mocha.grep(process.env.CTO_TEST_GREP);
  for (const f of files) mocha.addFile(resolve(f));
  await mocha.loadFilesAsync();
  const stats = await new Promise((r) => { const runner = mocha.run(() => r(runner.stats)); });
  totals.passed += stats.passes;
  totals.failed += stats.failures;
  totals.skipped += stats.pending;
}

/** Mocha over out/test/<dir> in this process; its counts join the total line. */
async function mochaRun(dir, timeout) {
  const files = testFiles(dir);
  if (files.length === 0) { console.log(`no test files in ${dir}`); return; }
  const { default: Mocha } = await import("mocha");
  const mocha = new Mocha({ ui: "bdd", timeout, color: process.stdout.isTTY, reporter: "spec" });
  if (process.env.CTO_TEST_GREP) mocha.grep(process.env.CTO_TEST_GREP);
  for (const f of files) mocha.addFile(resolve(f));
  await mocha.loadFilesAsync();
  const stats = await new Promise((r) => { const runner = mocha.run(() => r(runner.stats)); });
  totals.passed += stats.passes;
  totals.failed += stats.failures;
  totals.skipped += stats.pending;
}

async function engineTests() {
  banner("engine tests (the real codex and pi CLIs, pinned, from npm)");
  const { ensureEngines } = await import("./engines/install.mjs");
  let installed;
  try {
    installed = ensureEngines();
  } catch (e) {
    finish(`FAILED: the pinned engine CLIs could not be installed: ${e.message}`);
  }
  process.env.CTO_ENGINE_CODEX_BIN = installed.codex.bin;
  process.env.CTO_ENGINE_PI_BIN = installed.pi.bin;
  await mochaRun("out/test/engines", 120_000);
}

/**
 * Integration test files (bundled names) that need a workspace of their own: that workspace, and
 * whether the host needs the pinned real codex and pi CLIs (the ladder's candidate-default).
 */
const OWN_WORKSPACE = { "ladder.test.js": { workspace: "fixtures/ladder", realEngines: true } };

/**
 * The env a host run that drives the real CLIs inherits: their paths, as the engines suite gets
 * them (the same installer; it reuses a complete cache). When they cannot be installed the host is
 * told why (CTO_ENGINES_INSTALL_ERROR) and the suite fails saying so; it never skips the gate.
 */
async function realEnginesEnv() {
  const { ensureEngines } = await import("./engines/install.mjs");
  try {
    const e = ensureEngines({ log: (m) => console.log(`integration: ${m}`) });
    return { CTO_ENGINE_CODEX_BIN: e.codex.bin, CTO_ENGINE_PI_BIN: e.pi.bin };
  } catch (e) {
    console.log(`integration: the pinned engine CLIs could not be installed, so the suites that need them will fail: ${e.message}`);
    return { CTO_ENGINE_CODEX_BIN: "", CTO_ENGINE_PI_BIN: "", CTO_ENGINES_INSTALL_ERROR: String(e.message).slice(0, 4000) };
  }
}

async function integrationTests() {
  banner("integration tests (real VS Code extension host)");
  const { runIntegration } = await import("./host/index.mjs");
  const workspace = resolve(process.env.CTO_FIXTURE_WORKSPACE || "fixtures/workspace");
  if (!existsSync(workspace)) {
    finish(`FAILED: integration workspace ${workspace} does not exist `
      + "(add fixtures/workspace, or point CTO_FIXTURE_WORKSPACE at a folder)");
  }
  const screenshotDir = resolve("test/screenshots");
  mkdirSync(screenshotDir, { recursive: true });
  const common = { extDir: repo, testsEntry: resolve("out/test/integration/index.js"), workspace, screenshotDir };
  // Suites that walk a workspace of their own run in a host opened on a copy of it (after the main
  // run, which leaves them out): ladder.test.ts walks fixtures/ladder from nothing to all six gates
  // passed, the last with the real codex and pi.
  const own = Object.entries(OWN_WORKSPACE).filter(([f]) => existsSync(join("out/test/integration", f)));
  // Tests named *.untrusted.test.ts need the workspace opened in Restricted Mode: a second host run.
  const runs = [{ trust: false, ...(own.length ? { excludeFiles: own.map(([f]) => f) } : {}) }];
  for (const [file, { workspace: ws, realEngines }] of own) runs.push({ trust: false, workspace: resolve(ws), testFiles: [file], label: ws, realEngines });
  if (testFiles("out/test/integration").some((f) => f.endsWith(".untrusted.test.js"))) runs.push({ trust: true });
  // Last, the smoke test against the .vsix `npm run package` builds, installed into the host
  // (this rebuilds dist/ in production mode). CTO_TEST_GREP runs skip it, as do desktop hosts.
  const { integrationHostKind } = await import("./host/index.mjs");
  if (!process.env.CTO_TEST_GREP && !process.env.CTO_SKIP_VSIX && integrationHostKind() === "code-server") runs.push({ trust: false, installed: true });
  for (const { trust, installed, label, realEngines, ...run } of runs) {
    const t = Date.now();
    let out;
    // hostEnv() hands process.env to the host: set for this run only, restored after it.
    const saved = {};
    if (realEngines) {
      for (const [k, v] of Object.entries(await realEnginesEnv())) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
    }
    try {
      let installVsix;
      if (installed) {
        const { packageVsix } = await import("./package.mjs");
        installVsix = packageVsix(join(mkdtempSync(join(tmpdir(), "cto-vsix-")), "cto-workbench.vsix"), { quiet: true });
        console.log(`\nintegration: packaged ${installVsix} (npm run package) in ${secs(t)}`);
      }
      out = await runIntegration({ ...common, ...run, trust, ...(installed ? { installVsix, testFiles: ["smoke.test.js"] } : {}) });
      if (installVsix) rmSync(dirname(installVsix), { recursive: true, force: true });
    } catch (e) {
      finish(`FAILED: the VS Code host could not run${installed ? " the installed .vsix" : ""}: ${e.message}`);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const r = out.results;
    if (!r) {
      const why = { 2: "timed out", 3: "the browser driver crashed" }[out.code] || `exited with code ${out.code}`;
      finish(`FAILED: the integration run ${why} without reporting results (${out.host})`);
    }
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
    for (const f of r.failures) console.log(`  FAILED ${f.title}: ${f.message.split("\n").filter((l) => l.trim()).join(" ")}`);
    // Exit code and counts must agree; a nonzero exit with no failing test is still a failure.
    if (out.code !== 0 && r.failed === 0) { console.log(`extension host exited with code ${out.code}`); totals.failed++; }
    console.log(`integration run${trust ? " (untrusted workspace)" : installed ? " (installed .vsix)" : label ? ` (${label})` : ""}: ${secs(t)}`);
  }
}

// The runs of the tests sign with a key of their own (CTO_SIGNING_KEY, inherited by the VS Code host
// and every CLI the tests start), never with the user's ~/.config/cto-workbench key.
if (!process.env.CTO_SIGNING_KEY) {
  const dir = mkdtempSync(join(tmpdir(), "cto-test-key-"));
  const key = join(dir, "signing-key.pem");
  writeFileSync(key, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  process.env.CTO_SIGNING_KEY = key;
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
}

try {
  // tsc via the current node: the project's Node 20, whatever `tsc` PATH might find.
  runStep("typecheck (tsc -p . --noEmit)", ["node_modules/typescript/bin/tsc", "-p", ".", "--noEmit"]);
  rmSync("out/test", { recursive: true, force: true }); // bundles of deleted tests must not run
  runStep("build (node esbuild.mjs --tests)", ["esbuild.mjs", "--tests"]);
  if (wantUnit) await unitTests();
  if (wantEngines) await engineTests();
  if (wantIntegration) await integrationTests();
  finish();
} catch (e) {
  finish(`FAILED: ${e?.stack || e}`);
}
