// ensureEngines(): installs the pinned real engine CLIs from the npm registry into the cache
// folder, once per machine, as scripts/host/install.mjs installs the VS Code host: not as
// dependencies of the extension. Reused when complete (a stamp names the versions).
//   ${CTO_HOST_ROOT or XDG_CACHE_HOME or ~/.cache}/cto-workbench/engines/<id>-<version>/
// Usage as a script: node scripts/engines/install.mjs   (prints the layout as JSON)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheBase } from "../host/paths.mjs";

/** The versions the end-to-end suite is pinned to (ENGINES.md: measured on these). */
export const ENGINE_PACKAGES = Object.freeze({
  codex: { pkg: "@openai/codex", version: "0.171.0", bin: "codex" },
  pi: { pkg: "@mariozechner/pi-coding-agent", version: "0.73.1", bin: "pi" },
});

export function engineLayout(id) {
  const p = ENGINE_PACKAGES[id];
  const root = join(cacheBase(), "engines", `${id}-${p.version}`);
  return { id, ...p, root, bin: join(root, "node_modules", ".bin", p.bin), stamp: join(root, "installed.json"), log: join(root, "install.log") };
}

function complete(L) {
  try {
    const s = JSON.parse(readFileSync(L.stamp, "utf8"));
    return s.pkg === L.pkg && s.version === L.version && existsSync(L.bin);
  } catch {
    return false;
  }
}

/** Installs what is missing; returns { codex: layout, pi: layout }. Throws with the npm log's tail on failure. */
export function ensureEngines({ log = (m) => console.log(m), ids = Object.keys(ENGINE_PACKAGES) } = {}) {
  const out = {};
  for (const id of ids) {
    const L = engineLayout(id);
    out[id] = L;
    if (complete(L)) continue;
    const t0 = Date.now();
    log(`engines: installing ${L.pkg}@${L.version} into ${L.root} (once)`);
    rmSync(L.root, { recursive: true, force: true });
    mkdirSync(L.root, { recursive: true });
    writeFileSync(join(L.root, "package.json"), '{ "private": true }\n');
    const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--save-exact", "--loglevel=error", `${L.pkg}@${L.version}`], { cwd: L.root, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
    writeFileSync(L.log, `${r.stdout ?? ""}${r.stderr ?? ""}`);
    if (r.status !== 0 || !existsSync(L.bin)) {
      throw new Error(`npm install ${L.pkg}@${L.version} failed (exit ${r.status ?? r.signal ?? r.error?.message}):\n${(r.stderr || r.stdout || "").split("\n").slice(-30).join("\n")}`);
    }
    writeFileSync(L.stamp, JSON.stringify({ pkg: L.pkg, version: L.version, installedAt: new Date().toISOString() }, null, 2) + "\n");
    log(`engines: ${L.pkg}@${L.version} installed in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(ensureEngines({ log: (m) => console.error(m) }), null, 2));
}
