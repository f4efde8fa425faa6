// Every script that bundles our sources with esbuild must bundle them as esbuild.mjs does: a bench
// section that assembled its own options left out the lexicon's YAML plugin and crashed on
// `spec.claims` (bench-compare, and before it bench-gates and bench-done).
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..", "..");

function scripts(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? scripts(p) : /\.m?js$/.test(n) ? [p] : [];
  });
}

describe("scripts that bundle our sources", () => {
  it("take esbuild.mjs's options (nodeBundleOptions or the YAML plugin) whenever they bundle src/", () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const file of [...scripts(join(ROOT, "scripts")), join(ROOT, "esbuild.mjs")]) {
      const text = readFileSync(file, "utf8");
      if (!/from "esbuild"/.test(text) || !/src\//.test(text)) continue;
      checked++;
      if (!/nodeBundleOptions\(\)|plugins: \[yamlAsData\]|plugins: \[yamlAsData,/.test(text)) offenders.push(relative(ROOT, file));
    }
    assert.ok(checked >= 8, `${checked} scripts bundle src/`);
    assert.deepEqual(offenders, [], "these bundle src/ without the lexicon's YAML plugin");
  });
});
