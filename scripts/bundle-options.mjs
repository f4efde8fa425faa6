// The esbuild options every script that bundles our sources for Node uses (bench sections, the drift
// eval): the same as esbuild.mjs's, so a script's bundle behaves as dist/ does. A script that
// assembled its own once left out the lexicon's YAML plugin and crashed on `spec.claims`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { yamlAsData } from "./yaml-plugin.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Options for `esbuild.build` (add entryPoints and outfile/outdir). */
export function nodeBundleOptions() {
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  return { bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", plugins: [yamlAsData], define: { __VERSION__: JSON.stringify(version) } };
}
