// Harness benchmarks (issues 4 and 5): prints one JSON object with
//   harness_overhead_ms      median wall time of a `fake` run minus its engine and test spans
//   verify_mb_per_s          `cto verify` throughput on a bundle holding a 200 MB log
//   verify_ratio_vs_openssl  that throughput / `openssl dgst -sha256` on the same files, same run
//   fixtures_all_ms          median wall time of `cto fixtures` on the whole failure matrix
//                            (a fresh `node cli.js` process each time, every row matched)
//   evidence_read_ms         readEvidence() over the bundles of one whole-matrix run
// Targets: overhead < 300 ms; ratio ≥ 0.8; fixtures_all_ms < 10000 (2-core machine).
// Usage: node scripts/bench-harness.mjs [--runs N] [--mb N] [--fixture-runs N]
// Also an optional section of `npm run bench` (scripts/bench.mjs imports the default export).
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync, statSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { yamlAsData } from "./yaml-plugin.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

/** Runs every figure; `log` gets progress lines. Returns the flat figures object. */
export async function measure({ runs = 7, mb = 200, fixtureRuns = 3, log = () => {} } = {}) {
  const RUNS = runs;
  const MB = mb;
  const work = mkdtempSync(join(tmpdir(), "cto-bench-"));
  try {
    // The harness core and the CLI, bundled as the CLI bundles them.
    const out = join(work, "harness.cjs");
    const cli = join(work, "cli.js");
    const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    const opts = { bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", plugins: [yamlAsData], define: { __VERSION__: JSON.stringify(version) } };
    await build({ ...opts, entryPoints: [join(root, "src/harness/index.ts")], outfile: out });
    await build({ ...opts, entryPoints: [join(root, "src/cli/main.ts")], outfile: cli });
    const h = createRequire(import.meta.url)(out);

    // 0. The whole failure matrix through `cto fixtures`, a fresh process each time.
    log(`cto fixtures on the whole matrix, ${fixtureRuns} run(s)`);
    const fixtureWalls = [];
    let lastRuns;
    for (let i = 0; i < fixtureRuns; i++) {
      lastRuns = join(work, `fixture-runs-${i}`);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [cli, "fixtures", "--json", "--workspace", join(root, "fixtures/workspace"), "--fixtures", join(root, "fixtures/harness"), "--out", lastRuns], { encoding: "utf8", maxBuffer: 64 << 20 });
      fixtureWalls.push(performance.now() - t0);
      let j;
      try {
        j = JSON.parse(r.stdout);
      } catch {
        throw new Error(`cto fixtures printed no JSON (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
      }
      if (r.status !== 0 || !j.ok) throw new Error(`cto fixtures did not match every row (exit ${r.status}): ${j.rows.filter((x) => !x.matched).map((x) => `${x.row}: ${x.mismatches.join("; ")}`).join(" | ")}`);
    }
    const matrix = (await h.loadMatrix(join(root, "fixtures/workspace"))).rows;
    const evidenceWalls = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const ev = await h.readEvidence(lastRuns, { matrix, fixturesDir: join(root, "fixtures/harness") });
      evidenceWalls.push(performance.now() - t0);
      if (ev.length !== matrix.length || ev.some((e) => e.verdict !== "verified" || !e.matched)) throw new Error("readEvidence: not every bundle verified and matched");
    }

    // 1. Overhead of a fake run with a trivial test command.
    const task = join(work, "task.yaml");
    writeFileSync(
      task,
      [
        "id: bench",
        `repo: ${join(root, "fixtures/harness/repo")}`,
        'allowed_files: ["src/**"]',
        `test_command: ["${process.execPath}", "-e", ""]`,
        "timeout_s: 60",
        "scenario:",
        '  - write: { path: src/sub.js, content: "module.exports = (a, b) => a - b;\\n" }',
        "",
      ].join("\n"),
    );
    const overheads = [];
    const walls = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const t0 = performance.now();
      const r = await h.runTask({ engine: "fake", taskFile: task, outDir: join(work, "runs") });
      const wall = performance.now() - t0;
      if (r.report.status !== "pass") throw new Error(`bench run did not pass: ${JSON.stringify(r.report.blockers)}`);
      const spans = readFileSync(join(r.bundleDir, "trace.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const inner = spans.filter((s) => s.span === "engine" || s.span === "tests").reduce((a, s) => a + s.duration_ms, 0);
      if (i > 0) {
        overheads.push(wall - inner); // the first run warms caches and is not counted
        walls.push(wall);
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

    // 2. verify on a bundle whose test.log is MB megabytes.
    const bigTask = join(work, "big.yaml");
    writeFileSync(
      bigTask,
      [
        "id: bench-big",
        `repo: ${join(root, "fixtures/harness/repo")}`,
        'allowed_files: ["src/**"]',
        `test_command: ["${process.execPath}", "-e", "const b=require('crypto').randomBytes(1<<20);let n=${MB};const w=()=>{while(n>0){n--;if(!process.stdout.write(b))return process.stdout.once('drain',w)}};w()"]`,
        "timeout_s: 60",
        "test_timeout_s: 300",
        "scenario:",
        '  - write: { path: src/sub.js, content: "module.exports = (a, b) => a - b;\\n" }',
        "",
      ].join("\n"),
    );
    const big = await h.runTask({ engine: "fake", taskFile: bigTask, outDir: join(work, "big-runs") });
    if (big.report.status !== "pass") throw new Error(`big run did not pass: ${JSON.stringify(big.report.blockers)}`);
    const files = [];
    const walk = (d) => {
      for (const n of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, n.name);
        if (n.isDirectory()) walk(p);
        else if (n.name !== "SHA256SUMS" && n.name !== "report.json") files.push(p);
      }
    };
    walk(big.bundleDir);
    const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
    let bestVerify = Infinity;
    let bestOpenssl = Infinity;
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      execFileSync("openssl", ["dgst", "-sha256", ...files], { stdio: "ignore" });
      bestOpenssl = Math.min(bestOpenssl, performance.now() - t);
      t = performance.now();
      const v = await h.verifyBundle(big.bundleDir);
      bestVerify = Math.min(bestVerify, performance.now() - t);
      if (v.verdict !== "verified") throw new Error(`big bundle did not verify: ${JSON.stringify(v.problems)}`);
    }
    const mbps = bytes / 1e6 / (bestVerify / 1000);
    const opensslMbps = bytes / 1e6 / (bestOpenssl / 1000);
    const result = {
      fixtures_all_ms: Math.round(median(fixtureWalls)),
      fixtures_rows: matrix.length,
      evidence_read_ms: Math.round(median(evidenceWalls)),
      harness_overhead_ms: Math.round(median(overheads)),
      harness_run_wall_ms: Math.round(median(walls)),
      verify_mb_per_s: Math.round(mbps),
      openssl_mb_per_s: Math.round(opensslMbps),
      verify_ratio_vs_openssl: Math.round((mbps / opensslMbps) * 100) / 100,
      verify_bytes: bytes,
      runs: RUNS,
    };
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run bench` section: fewer runs, same figures. */
export default async function bench(ctx = {}) {
  const figures = await measure({ runs: Math.max(3, ctx.runs ?? 3), mb: 200, fixtureRuns: Math.max(1, ctx.runs ?? 3), log: ctx.log ?? (() => {}) });
  return {
    figures,
    rows: [
      { key: "fixtures_all_ms", label: "cto fixtures, whole matrix", unit: "ms", target: "< 10000 ms" },
      { key: "evidence_read_ms", label: "readEvidence, one matrix run", unit: "ms" },
      { key: "harness_overhead_ms", label: "harness overhead per run", unit: "ms", target: "< 300 ms" },
      { key: "verify_mb_per_s", label: "cto verify throughput", unit: "MB/s" },
      { key: "verify_ratio_vs_openssl", label: "verify / openssl", unit: "×", target: "≥ 0.8×" },
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measure({ runs: arg("--runs", 7), mb: arg("--mb", 200), fixtureRuns: arg("--fixture-runs", 3), log: (m) => process.stderr.write(`${m}\n`) });
  console.log(JSON.stringify(result, null, 2));
}
