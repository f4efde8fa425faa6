// Bench section: what .cto/config.yaml and inline suppressions cost on the bench's workspace.
// validate_plain_ms: median full validation (in process) of the workspace as generated.
// validate_configured_ms: the same with a .cto/config.yaml (rules, candidates, ignore) and an
//   inline suppression in every tenth doc (so suppressions are parsed and applied).
// validate_no_inline_ms: the configured workspace with inline config off (--no-inline-config).
// sarif_format_ms: median time to format that run as SARIF (cto validate --format sarif), in process.
// Run by scripts/bench.mjs (CTO_BENCH_WORKSPACE); prints one JSON object on stdout.
import { createRequire } from "node:module";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
const source = process.env.CTO_BENCH_WORKSPACE;
if (!source || !existsSync(source)) {
  console.error("bench-config: run through `npm run bench` (needs CTO_BENCH_WORKSPACE)");
  process.exit(2);
}
const runs = Math.max(3, Number(process.env.CTO_BENCH_RUNS) || 5);
const today = process.env.CTO_BENCH_TODAY || "2026-06-01";
const bundle = join(ROOT, "out", "bench", "config-bench.js");
await esbuild.build({
  stdin: { contents: `export * from "./src/core/index.ts"; export { runValidate } from "./src/cli/commands/validate.ts"; export { sarif } from "./src/cli/format/sarif.ts";`, resolveDir: ROOT, loader: "ts" },
  bundle: true, platform: "node", format: "cjs", loader: { ".yaml": "text" }, outfile: bundle, logLevel: "warning",
  define: { __VERSION__: '"bench"' },
});
const m = createRequire(import.meta.url)(bundle);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x) => Math.round(x * 10) / 10;

async function time(dir, overrides) {
  const ms = [];
  let run;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    run = await m.runValidate([dir], { today, ...overrides });
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), run };
}

const work = mkdtempSync(join(tmpdir(), "cto-bench-config-"));
try {
  const plain = await time(source, {});
  const dir = join(work, "ws");
  cpSync(source, dir, { recursive: true });
  mkdirSync(join(dir, ".cto"), { recursive: true });
  writeFileSync(join(dir, ".cto", "config.yaml"), "rules: {stale-review: error, record-structure: off}\nmaxReviewAgeDays: 120\ncandidates: [nova, orca]\nignore: [\"archive/**\", \"**/*.draft.md\"]\n");
  const md = [];
  const walk = (d) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) { if (n !== ".cto") walk(p); } else if (n.endsWith(".md")) md.push(p); } };
  walk(dir);
  md.sort().forEach((p, i) => {
    if (i % 10 !== 0) return;
    const text = readFileSync(p, "utf8");
    writeFileSync(p, text.replace(/\n(# [^\n]*\n)/, "\n$1\n<!-- cto-disable-next-line authority-drift -- bench: one suppression per tenth doc -->\nCase is the default backend.\n"));
  });
  const configured = await time(dir, {});
  const noInline = await time(dir, { inlineConfig: false });
  const fmt = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    m.sarif(configured.run, { cwd: dir, env: {}, today, version: "bench" });
    fmt.push(performance.now() - t);
  }
  const out = {
    figures: {
      validate_plain_ms: r1(plain.ms),
      validate_configured_ms: r1(configured.ms),
      validate_no_inline_ms: r1(noInline.ms),
      sarif_format_ms: r1(median(fmt)),
      suppressed_findings: configured.run.suppressed.length,
    },
    rows: [
      { key: "validate_plain_ms", label: "validate, no config (in process, median)", unit: "ms" },
      { key: "validate_configured_ms", label: "validate, config + a suppression in every 10th doc", unit: "ms" },
      { key: "validate_no_inline_ms", label: "validate, the same with --no-inline-config", unit: "ms" },
      { key: "sarif_format_ms", label: "format that run as SARIF", unit: "ms" },
      { key: "suppressed_findings", label: "findings suppressed inline in that run", unit: "" },
    ],
  };
  console.log(JSON.stringify(out));
} finally {
  rmSync(work, { recursive: true, force: true });
}
