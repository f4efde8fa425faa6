// Starting code-server the way both the test runner and `npm start` need it: 127.0.0.1 only,
// no auth, its own state folders, in its own process group.
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hostEnv, killGroup, sleep, spawnGroup } from "./proc.mjs";

/**
 * User settings for a quiet, reproducible workbench. With trust=true the workspace-trust feature
 * stays on (so a fresh folder opens in Restricted Mode) but never shows the blocking startup dialog.
 */
export function userSettings({ trust }) {
  return {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": false,
    "chat.disableAIFeatures": true,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "workbench.enableExperiments": false,
    "git.enabled": false,
    "security.workspace.trust.enabled": trust,
    ...(trust ? { "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.emptyWindow": false } : {}),
  };
}

export function writeUserSettings(userDataDir, settings, { keepExisting = false } = {}) {
  const file = join(userDataDir, "User", "settings.json");
  mkdirSync(dirname(file), { recursive: true });
  if (keepExisting) { try { readFileSync(file); return; } catch { /* write it */ } }
  writeFileSync(file, JSON.stringify(settings, null, 2) + "\n");
}

/**
 * Starts code-server and waits for /healthz. Returns { pgid, port, logFile, stop() }.
 * `trust` false adds --disable-workspace-trust; `testDriver` enables the smoke-test driver, without
 * which the workbench ignores the extension-test payload in the URL.
 */
export async function startCodeServer(L, { port, userDataDir, extensionsDir, configFile, logFile, env = {},
  trust, testDriver, folder }) {
  const args = [L.csEntry, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--config", configFile,
    "--user-data-dir", userDataDir, "--extensions-dir", extensionsDir,
    "--disable-telemetry", "--disable-update-check", "--ignore-last-opened"];
  if (!trust) args.push("--disable-workspace-trust");
  if (testDriver) args.push("--vscode-option", "enable-smoke-test-driver");
  if (folder) args.push(folder);
  mkdirSync(dirname(logFile), { recursive: true });
  const out = createWriteStream(logFile, { flags: "a" });
  await new Promise((r) => out.once("open", r));
  // Node 24 first on PATH: code-server and the terminals/tasks it starts find the same node.
  const child = spawnGroup(L.nodeBin, args, {
    env: hostEnv({ ...env, PATH: `${dirname(L.nodeBin)}:${process.env.PATH}` }),
    stdio: ["ignore", out, out],
  });
  let exited = null;
  child.once("exit", (code, signal) => { exited = signal || `exit ${code}`; });
  const stop = () => killGroup(child.pid);
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(250)) {
    if (exited) break;
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { pgid: child.pid, port, logFile, child, stop }; }
    catch { /* not listening yet */ }
  }
  await stop();
  let log = "";
  try { log = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n"); } catch { /* none */ }
  const err = new Error(`code-server did not come up on 127.0.0.1:${port} (${exited || "timeout after 60 s"}); log ${logFile}:\n${log}`);
  err.portInUse = /EADDRINUSE/.test(log);
  throw err;
}
