// `npm run eval:drift`: scores the drift detector on test/drift-corpus (precision, recall, F1 per
// claim kind, by cause and genre) and prints every miss.
//   npm run eval:drift [-- --only vocabulary,subject] [--explain] [--json]
//   npm run eval:drift -- --prose node_modules   false positives on markdown written by others
import * as esbuild from "esbuild";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { yamlAsData } from "./yaml-plugin.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { only: { type: "string" }, explain: { type: "boolean", default: false }, json: { type: "boolean", default: false }, prose: { type: "string" } } });
const out = join(ROOT, "out", "eval", "evaluate.js");
mkdirSync(dirname(out), { recursive: true });
await esbuild.build({
  entryPoints: [join(ROOT, "test/drift-corpus/evaluate.ts")],
  bundle: true, platform: "node", format: "cjs", target: "node20", outfile: out,
  plugins: [yamlAsData], logLevel: "warning", sourcemap: "inline",
});
const ev = createRequire(import.meta.url)(out);
if (values.prose) {
  // Every *.md below the folder (node_modules included: that is the point), each read as a doc.
  const { readdirSync, readFileSync, statSync } = await import("node:fs");
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.md$/i.test(e.name) && statSync(p).size < 2 * 1024 * 1024) files.push({ path: p.slice(ROOT.length + 1), text: readFileSync(p, "utf8") });
    }
  };
  walk(resolve(ROOT, values.prose));
  const t0 = performance.now();
  const r = ev.scoreProse(files);
  const ms = performance.now() - t0;
  if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
  else {
    process.stdout.write(`prose of others: ${r.files} markdown files, ${r.sentences} sentences, ${r.findings.length} findings = ${((r.findings.length / Math.max(1, r.sentences)) * 1000).toFixed(3)} per 1,000 sentences (${ms.toFixed(0)} ms)\n`);
    for (const f of r.findings) process.stdout.write(`  ${f.file}:${f.line} [${f.rule}] ${JSON.stringify(f.sentence.slice(0, 200))}\n      ${f.message}\n      rule: ${f.why}\n`);
  }
  process.exit(0);
}
const items = ev.loadCorpus(join(ROOT, "test/drift-corpus"), values.only?.split(","));
const t0 = performance.now();
const result = ev.evaluate(items);
const ms = performance.now() - t0;
if (values.json) {
  const kinds = Object.fromEntries(Object.entries(result.byKind).map(([k, c]) => [k, { ...c, ...ev.prf(c) }]));
  process.stdout.write(JSON.stringify({ items: items.length, kinds, all: { ...result.total, ...ev.prf(result.total) }, misses: result.scored.filter((s) => s.predicted !== (s.d === 1)).map((s) => ({ file: s.file, text: s.t, drift: s.d === 1, kind: s.k })) }, null, 2) + "\n");
} else {
  process.stdout.write(ev.report(result, { explain: values.explain }) + "\n");
  process.stdout.write(`\n(${items.length} items scored in ${ms.toFixed(0)} ms)\n`);
}
