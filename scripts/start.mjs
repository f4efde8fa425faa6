// npm start: build the extension and open fixtures/workspace in a real VS Code with it loaded —
// the desktop `code` when there is one, otherwise code-server on 127.0.0.1 (works offline).
// Env: PORT (default 8080, or the next free one), CTO_START_HOST=code-server (ignore a desktop code),
// CTO_START_WORKSPACE (folder to open instead of fixtures/workspace), CTO_START_COPY=1 (skip vsce and
// copy the extension folder into place: quicker while iterating). Otherwise it installs the very
// .vsix `npm run package` builds (scripts/package.mjs), and a packaging failure stops it.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_VSIX, packageVsix } from "./package.mjs";
import { cacheBase, ensureHost, freePort, hostEnv, installExitHandlers, RUN_MARKER_VAR, startCodeServer, trackMarker,
  userSettings, writeUserSettings } from "./host/index.mjs";

const repo = resolve(fileURLToPath(import.meta.url), "..", "..");
const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const extId = `${pkg.publisher}.${pkg.name}`;
const folder = resolve(process.env.CTO_START_WORKSPACE || join(repo, "fixtures", "workspace"));

function die(msg) { console.error(`start: ${msg}`); process.exit(1); }
const onPath = (bin) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;

console.log("start: building the extension (node esbuild.mjs)");
if (spawnSync(process.execPath, ["esbuild.mjs"], { cwd: repo, stdio: "inherit" }).status !== 0) die("build failed");
if (!existsSync(folder)) die(`${folder} does not exist (set CTO_START_WORKSPACE to open another folder)`);

if (onPath("code") && process.env.CTO_START_HOST !== "code-server") {
  // The user's own VS Code: an Extension Development Host window on the sample workspace.
  console.log(`start: opening ${folder} in desktop VS Code with the extension under development`);
  const r = spawnSync("code", [`--extensionDevelopmentPath=${repo}`, folder], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

installExitHandlers();
const L = await ensureHost();
// Kept between starts (under the cache folder), so the user's layout and trust choices persist.
const state = join(cacheBase(), "start");
const userDataDir = join(state, "user-data");
const extensionsDir = join(state, "extensions");
mkdirSync(extensionsDir, { recursive: true });
// Trust stays on: the user meets the normal "Do you trust the authors?" prompt, as in a real install.
writeUserSettings(userDataDir, { ...userSettings({ trust: true }), "security.workspace.trust.startupPrompt": "once" },
  { keepExisting: true });
installExtension();

const port = await freePort(Number(process.env.PORT) || 8080);
const logFile = join(state, "code-server.log");
// Shells started from the workbench's terminals leave code-server's process group (node-pty gives each
// its own session); the marker lets Ctrl-C find and stop them as well.
const marker = `start-${process.pid}`;
trackMarker(marker);
const server = await startCodeServer(L, { port, userDataDir, extensionsDir, configFile: join(state, "code-server.yaml"),
  logFile, trust: true, testDriver: false, folder, env: { [RUN_MARKER_VAR]: marker } }).catch((e) => die(e.message));
const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
const line = "=".repeat(Math.min(100, url.length + 4));
console.log(`\n${line}\n  CTO Workbench is running in VS Code (code-server) at:\n\n  ${url}\n\n`
  + `  Open it in a browser on this machine. Ctrl-C stops it.\n  (server log: ${logFile})\n${line}\n`);
// Stay up until Ctrl-C (the exit handlers kill the process group) or until code-server dies.
server.child.once("exit", async (code, signal) => {
  console.error(`start: code-server exited (${signal || `code ${code}`}); see ${logFile}`);
  await server.stop();
  process.exit(1); // the exit handler sweeps the marker
});

/** Packages the .vsix (as `npm run package` does) and installs that file with code-server. */
function installExtension() {
  for (const old of readdirSync(extensionsDir)) {
    if (old.toLowerCase().startsWith(`${extId}-`)) rmSync(join(extensionsDir, old), { recursive: true, force: true });
  }
  if (process.env.CTO_START_COPY) return copyExtension();
  console.log(`start: packaging ${extId} ${pkg.version} (npm run package)`);
  let vsix;
  try {
    vsix = packageVsix(DEFAULT_VSIX);
  } catch (e) {
    die(`${e.message}\n(CTO_START_COPY=1 npm start copies the extension folder instead)`);
  }
  const inst = spawnSync(L.nodeBin, [L.csEntry, "--config", join(state, "code-server.yaml"), "--extensions-dir", extensionsDir,
    "--user-data-dir", userDataDir, "--install-extension", vsix, "--force"], { env: hostEnv(), stdio: "inherit" });
  if (inst.status !== 0) die(`code-server could not install ${vsix}`);
  console.log(`start: installed ${vsix}`);
}

/** CTO_START_COPY: the extension folder copied into place, without packaging. */
function copyExtension() {
  const dest = join(extensionsDir, `${extId}-${pkg.version}`);
  for (const p of ["package.json", "dist", "media", "syntaxes", "schemas", "README.md", "LICENSE", "CHANGELOG.md"]) {
    if (existsSync(join(repo, p))) cpSync(join(repo, p), join(dest, p), { recursive: true });
  }
  // VS Code lists installed extensions in extensions.json; without this entry a copied folder is
  // ignored once that file exists. Dropping the file makes it rescan the folder.
  rmSync(join(extensionsDir, "extensions.json"), { force: true });
  console.log(`start: CTO_START_COPY set; copied the extension to ${dest}`);
}
