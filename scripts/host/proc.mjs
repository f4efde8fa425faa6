// Process plumbing for the host: clean environments, process groups, free ports, and cleanup that
// also runs on Ctrl-C. code-server forks a pty host, agent host and extension host, and terminals
// started by tasks get sessions of their own, so killing one pid is never enough.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Every process started by one run carries this variable; the last-resort sweep looks for it. */
export const RUN_MARKER_VAR = "CTO_HOST_RUN";

/**
 * The environment for host processes: ours minus what `npm run` injects. A parent npm's
 * npm_config_user_agent (node/v20) would otherwise be inherited by the nested npm under Node 24
 * and make code-server's postinstall refuse to run.
 */
export function hostEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === "NODE" || k === "INIT_CWD") continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

const liveGroups = new Set(); // pgids we started and have not reaped yet
const liveMarkers = new Set();

/** Spawns in a new session/process group (detached = setsid on POSIX) so the group can be killed whole. */
export function spawnGroup(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { ...opts, detached: true });
  if (child.pid) liveGroups.add(child.pid);
  return child;
}

const groupAlive = (pgid) => { try { process.kill(-pgid, 0); return true; } catch { return false; } };

/** SIGTERM the group, give it graceMs to exit, then SIGKILL whatever is left. */
export async function killGroup(pgid, graceMs = 5000) {
  if (!pgid) return;
  try { process.kill(-pgid, "SIGTERM"); } catch { /* already gone */ }
  const until = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < until) await sleep(100);
  try { process.kill(-pgid, "SIGKILL"); } catch { /* already gone */ }
  liveGroups.delete(pgid);
}

/** Pids whose environment holds RUN_MARKER_VAR=marker (processes that left our groups, e.g. task shells). */
export function pidsWithMarker(marker) {
  const needle = Buffer.from(`${RUN_MARKER_VAR}=${marker}\0`);
  const found = [];
  let entries = [];
  try { entries = readdirSync("/proc"); } catch { return found; } // not Linux: groups must suffice
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try { if (readFileSync(`/proc/${name}/environ`).includes(needle)) found.push(Number(name)); }
    catch { /* exited meanwhile, or not ours to read */ }
  }
  return found;
}

export function trackMarker(marker) { liveMarkers.add(marker); }

/** SIGKILLs every process still carrying the marker; returns how many there were. */
export function sweepMarker(marker) {
  const pids = pidsWithMarker(marker);
  for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
  liveMarkers.delete(marker);
  return pids.length;
}

// Ctrl-C, a kill or a crash must not leave code-server and chromium behind. Signal handlers cannot
// await, so this path is synchronous and uses SIGKILL.
function killEverythingNow() {
  for (const pgid of liveGroups) { try { process.kill(-pgid, "SIGKILL"); } catch { /* gone */ } }
  liveGroups.clear();
  for (const m of liveMarkers) sweepMarker(m);
}
let handlersInstalled = false;
export function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killEverythingNow);
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]]) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping the VS Code host`);
      killEverythingNow();
      process.exit(code);
    });
  }
}

/** A free TCP port on 127.0.0.1: the OS's choice, or the first free one from `preferred` upwards. */
export async function freePort(preferred) {
  const tryPort = (port) => new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(undefined));
    srv.listen(port, "127.0.0.1", () => { const p = srv.address().port; srv.close(() => res(p)); });
  });
  if (preferred) {
    for (let p = preferred; p < preferred + 100; p++) { const got = await tryPort(p); if (got) return got; }
  }
  const got = await tryPort(0);
  if (!got) throw new Error("no free TCP port on 127.0.0.1");
  return got;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to completion, its output appended to `logStream` (or inherited); rejects on failure. */
export function run(cmd, args, { env, cwd, logStream, label } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: logStream ? ["ignore", "pipe", "pipe"] : ["ignore", "inherit", "inherit"] });
    if (logStream) { child.stdout.pipe(logStream, { end: false }); child.stderr.pipe(logStream, { end: false }); }
    child.once("error", reject);
    child.once("close", (code, signal) => code === 0 ? resolve()
      : reject(new Error(`${label || cmd} failed (${signal || `exit ${code}`})`)));
  });
}
