// runIntegration(): one integration suite, two possible hosts.
//  - code-server (default, works offline): the real VS Code 1.139 workbench in headless chromium,
//    the extension running in code-server's Node extension host.
//  - desktop VS Code through @vscode/test-electron, when VSCODE_EXECUTABLE or CTO_TEST_HOST=electron
//    says one is available (a developer's machine).
// Either way the tests see a fresh temp copy of the workspace, never the repo's fixtures.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { startCodeServer, userSettings, writeUserSettings } from "./codeserver.mjs";
import { ensureHost } from "./install.mjs";
import { bundledVscodeVersion, chromiumPath, VERSIONS } from "./paths.mjs";
import { freePort, hostEnv, installExitHandlers, killGroup, RUN_MARKER_VAR, spawnGroup, sweepMarker, trackMarker } from "./proc.mjs";

const RESULTS_TAG = "__CTO_RESULTS__ ";

/** "electron" when a desktop VS Code is asked for, else "code-server". */
export function integrationHostKind() {
  return process.env.VSCODE_EXECUTABLE || process.env.CTO_TEST_HOST === "electron" ? "electron" : "code-server";
}

/**
 * Runs the suite whose entry is `testsEntry` (exports run()) against the extension in `extDir`.
 * trust=true keeps workspace trust on, so the copied folder opens untrusted (Restricted Mode).
 * Resolves { code, results, host }; `results` is null when the suite never reported.
 */
export async function runIntegration({ extDir, testsEntry, workspace, screenshotDir, trust = false, installVsix, testFiles, excludeFiles,
  timeoutSec = Number(process.env.CTO_TEST_TIMEOUT || 600) }) {
  installExitHandlers();
  if (!existsSync(workspace)) throw new Error(`test workspace ${workspace} does not exist`);
  if (!existsSync(testsEntry)) throw new Error(`test entry ${testsEntry} does not exist (build with: node esbuild.mjs --tests)`);
  const runDir = mkdtempSync(join(tmpdir(), "cto-it-"));
  const ws = join(runDir, "ws", basename(resolve(workspace)));
  cpSync(workspace, ws, { recursive: true });
  const testEnv = {
    CTO_TEST_WORKSPACE: ws,                       // lets the smoke test prove it got the copy
    CTO_TEST_TRUST: trust ? "untrusted" : "trusted", // index.ts picks *.untrusted.test.js for trust runs
    CTO_RESULTS_FILE: join(runDir, "results.json"),
    // Where the extension under test must be loaded from: the development folder, or (installVsix)
    // the host's extensions folder, where code-server --install-extension put the .vsix.
    CTO_EXPECT_EXTENSION_DIR: installVsix ? join(runDir, "extensions") : resolve(extDir),
    ...(testFiles ? { CTO_TEST_FILES: testFiles.join(",") } : {}),
    ...(excludeFiles?.length ? { CTO_TEST_EXCLUDE: excludeFiles.join(",") } : {}), // suites run in a host of their own

    ...(process.env.CTO_TEST_GREP ? { CTO_TEST_GREP: process.env.CTO_TEST_GREP } : {}),
  };
  // A failure picture from an earlier run would only mislead.
  if (screenshotDir) rmSync(join(resolve(screenshotDir), "__failure-final.png"), { force: true });
  const opts = { extDir: resolve(extDir), testsEntry: resolve(testsEntry), ws, runDir, trust, timeoutSec, testEnv,
    screenshotDir: screenshotDir && resolve(screenshotDir), installVsix };
  if (installVsix && integrationHostKind() === "electron") throw new Error("the installed-.vsix run needs the code-server host");
  const out = integrationHostKind() === "electron" ? await viaElectron(opts) : await viaCodeServer(opts);
  if (!out.results) out.results = readResultsFile(testEnv.CTO_RESULTS_FILE);
  if (out.code === 0 && !process.env.CTO_KEEP_RUN) rmSync(runDir, { recursive: true, force: true });
  else console.log(`integration: run folder kept for inspection: ${runDir}`);
  return out;
}

async function viaCodeServer({ extDir, testsEntry, ws, runDir, trust, timeoutSec, testEnv, screenshotDir, installVsix }) {
  const L = await ensureHost();
  const host = `code-server ${VERSIONS.codeServer} (VS Code ${bundledVscodeVersion(L)}, remote Node extension host)`;
  console.log(`integration host: ${host}${trust ? " [workspace trust on, folder untrusted]" : ""}`);
  const marker = `${process.pid}-${randomBytes(4).toString("hex")}`;
  trackMarker(marker);
  const dirs = { home: join(runDir, "home"), tmp: join(runDir, "tmp"), ud: join(runDir, "user-data"), exts: join(runDir, "extensions") };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  writeUserSettings(dirs.ud, userSettings({ trust }));
  if (installVsix) {
    // The package as a user gets it: installed by code-server itself. The tests then run beside it
    // from a bare runner extension, so nothing loads from the development folder.
    const inst = spawnSync(L.nodeBin, [L.csEntry, "--extensions-dir", dirs.exts, "--user-data-dir", dirs.ud,
      "--install-extension", installVsix, "--force"], { env: hostEnv({ HOME: dirs.home, TMPDIR: dirs.tmp }), encoding: "utf8" });
    if (inst.status !== 0) throw new Error(`code-server --install-extension ${installVsix} failed: ${inst.stderr || inst.stdout}`);
    console.log(`integration: installed ${basename(installVsix)} into the host (${(inst.stdout || "").trim().split("\n").pop()})`);
    extDir = join(runDir, "runner");
    mkdirSync(extDir, { recursive: true });
    writeFileSync(join(extDir, "package.json"), JSON.stringify({ name: "cto-installed-test-runner", publisher: "cto-test",
      version: "0.0.0", engines: { vscode: "*" }, description: "Runs the integration tests against the installed CTO Workbench." }));
  }
  // Per-run HOME and TMPDIR: nothing the host writes leaks between runs or into the user's home.
  const perRun = { HOME: dirs.home, TMPDIR: dirs.tmp, [RUN_MARKER_VAR]: marker };
  let server, driver;
  try {
    for (let attempt = 1; ; attempt++) { // a free port can be taken between probe and bind
      try {
        server = await startCodeServer(L, { port: await freePort(), userDataDir: dirs.ud, extensionsDir: dirs.exts,
          configFile: join(runDir, "code-server.yaml"), logFile: join(runDir, "code-server.log"),
          env: { ...perRun, ...testEnv, ...(screenshotDir ? { CTO_SCREENSHOT_DIR: screenshotDir } : {}) },
          trust, testDriver: true });
        break;
      } catch (e) { if (!e.portInUse || attempt >= 3) throw e; }
    }
    const driverOpts = { port: server.port, ext: extDir, tests: testsEntry, folder: ws, timeoutSec,
      failShotDir: screenshotDir, chromium: chromiumPath(), verbose: !!process.env.CTO_VERBOSE };
    driver = spawnGroup(L.nodeBin, [L.driverScript, JSON.stringify(driverOpts)],
      { env: hostEnv(perRun), stdio: ["ignore", "pipe", "inherit"] });
    let results = null;
    createInterface({ input: driver.stdout }).on("line", (line) => {
      const i = line.indexOf(RESULTS_TAG);
      if (i >= 0) { try { results = JSON.parse(line.slice(i + RESULTS_TAG.length)); } catch { /* fall back to the file */ } }
      if (i < 0 || process.env.CTO_VERBOSE) console.log(line);
    });
    const code = await new Promise((r) => driver.once("close", (c) => r(c ?? 1)));
    if (code !== 0) console.log(`integration: code-server log: ${server.logFile}; extension host logs: ${join(dirs.ud, "logs")}`);
    return { code, results, host };
  } finally {
    if (driver) await killGroup(driver.pid, 3000);
    if (server) await server.stop();
    const stray = sweepMarker(marker);
    if (stray) console.log(`integration: killed ${stray} leftover host process(es)`);
  }
}

async function viaElectron({ extDir, testsEntry, ws, runDir, trust, testEnv }) {
  // Resolved from the extension's own node_modules: a devDependency of the project.
  const { runTests } = createRequire(join(extDir, "package.json"))("@vscode/test-electron");
  const exe = process.env.VSCODE_EXECUTABLE;
  const version = exe ? (spawnSync(exe, ["--version"], { encoding: "utf8", timeout: 30_000 }).stdout || "").split("\n")[0] : "";
  const host = `desktop VS Code ${version || (exe ? "?" : "(downloaded by @vscode/test-electron)")} (@vscode/test-electron, local extension host)`;
  console.log(`integration host: ${host}${trust ? " [workspace trust on, folder untrusted]" : ""}`);
  const ud = join(runDir, "user-data");
  writeUserSettings(ud, userSettings({ trust }));
  const launchArgs = [ws, "--disable-extensions", `--user-data-dir=${ud}`, `--extensions-dir=${join(runDir, "extensions")}`,
    ...(trust ? [] : ["--disable-workspace-trust"])];
  // No CTO_SCREENSHOT_DIR: nothing captures the desktop window, so screenshot() skips with a reason.
  let code = 0;
  try {
    code = await runTests({ extensionDevelopmentPath: extDir, extensionTestsPath: testsEntry, launchArgs,
      extensionTestsEnv: testEnv, ...(exe ? { vscodeExecutablePath: exe } : {}) });
  } catch (e) {
    code = typeof e?.code === "number" ? e.code || 1 : 1;
    console.log(`integration: desktop VS Code run failed: ${e?.message || e}`);
  }
  return { code, results: null, host };
}

function readResultsFile(file) {
  try { return JSON.parse(readFileSync(file, "utf8")); } catch { return null; }
}
