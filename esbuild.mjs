// Builds the extension and CLI bundles (dist/) and the test bundles (out/).
// Usage: node esbuild.mjs [--production] [--watch] [--tests]
import * as esbuild from "esbuild";
import { readdirSync, statSync, chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const withTests = process.argv.includes("--tests") || watch;

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: production ? false : "linked",
  minify: production,
  legalComments: "none",
  loader: { ".yaml": "text" },
  logLevel: "warning",
  define: { __VERSION__: JSON.stringify(JSON.parse(readFileSync("package.json", "utf8")).version) },
};

/** Lists test entry files below a folder. */
function testEntries(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testEntries(p));
    else if (/\.test\.ts$/.test(name) || name === "index.ts") out.push(p);
  }
  return out;
}

const builds = [
  { ...common, entryPoints: ["src/vscode/extension.ts"], outfile: "dist/extension.js", external: ["vscode"] },
  { ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", banner: { js: "#!/usr/bin/env node" } },
];
if (withTests) {
  builds.push(
    { ...common, minify: false, sourcemap: "inline", entryPoints: testEntries("test/unit"), outdir: "out/test/unit", outbase: "test/unit", external: ["mocha"] },
    { ...common, minify: false, sourcemap: "inline", entryPoints: testEntries("test/integration"), outdir: "out/test/integration", outbase: "test/integration", external: ["vscode", "mocha"] },
    { ...common, minify: false, sourcemap: "inline", entryPoints: testEntries("test/engines"), outdir: "out/test/engines", outbase: "test/engines", external: ["mocha"] },
  );
}

/** Prints start/end markers that a watch-mode problem matcher can follow. */
const watchMarkers = {
  name: "watch-markers",
  setup(build) {
    build.onStart(() => console.log("[watch] build started"));
    build.onEnd((r) => console.log(`[watch] build finished (${r.errors.length} errors)`));
  },
};

if (watch) {
  for (const b of builds) (await esbuild.context({ ...b, plugins: [watchMarkers] })).watch();
} else {
  await Promise.all(builds.filter((b) => b.entryPoints.length > 0).map((b) => esbuild.build(b)));
  if (existsSync("dist/cli.js")) chmodSync("dist/cli.js", 0o755);
}
