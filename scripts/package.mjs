// npm run package: vsce → cto-workbench.vsix (repo root, or --out FILE); vsce runs the package's
// vscode:prepublish script first, which builds the production bundles.
// npm start and the test runner's installed-extension run call packageVsix() too, so what they
// install is exactly what `npm run package` ships.
// README links stay relative (--no-rewrite-relative-links) and its pictures ship in the .vsix
// (.vscodeignore lets docs/images in): the package has no repository to rewrite links against, and
// without that flag vsce refuses the README's relative images.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = resolve(fileURLToPath(import.meta.url), "..", "..");
export const DEFAULT_VSIX = join(repo, "cto-workbench.vsix");

/** Builds the .vsix at `out`; returns its path. Throws with vsce's reason when packaging fails. */
export function packageVsix(out = DEFAULT_VSIX, { quiet = false } = {}) {
  const stdio = ["ignore", quiet ? "pipe" : "inherit", quiet ? "pipe" : "inherit"];
  const vsce = join(repo, "node_modules", "@vscode", "vsce", "vsce");
  // stdin closed: if vsce wanted to ask something it fails rather than hang.
  const r = spawnSync(process.execPath, [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--skip-license",
    "--no-rewrite-relative-links", "-o", out], { cwd: repo, stdio, encoding: "utf8" });
  if (r.status !== 0 || !existsSync(out)) throw new Error(`vsce package failed (exit ${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n").slice(-5).join("\n")}`);
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf("--out");
  try {
    const file = packageVsix(i > 0 ? resolve(process.argv[i + 1]) : DEFAULT_VSIX);
    console.log(`package: ${file}`);
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(1);
  }
}
