// Harness benchmarks (issue 4): prints one JSON object with
//   harness_overhead_ms      median wall time of a `fake` run minus its engine and test spans
//   verify_mb_per_s          `cto verify` throughput on a bundle holding a 200 MB log
//   verify_ratio_vs_openssl  that throughput / `openssl dgst -sha256` on the same files, same run
// Targets: overhead < 300 ms; ratio ≥ 0.8. Usage: node scripts/bench-harness.mjs [--runs N] [--mb N]
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync, statSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("--runs", 7);
const MB = arg("--mb", 200);

const work = mkdtempSync(join(tmpdir(), "cto-bench-"));
try {
  // The harness core, bundled as the CLI bundles it.
  const out = join(work, "harness.cjs");
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  await build({ entryPoints: [join(root, "src/harness/index.ts")], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: out, logLevel: "warning", define: { __VERSION__: JSON.stringify(version) } });
  const h = createRequire(import.meta.url)(out);

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
    harness_overhead_ms: Math.round(median(overheads)),
    harness_run_wall_ms: Math.round(median(walls)),
    verify_mb_per_s: Math.round(mbps),
    openssl_mb_per_s: Math.round(opensslMbps),
    verify_ratio_vs_openssl: Math.round((mbps / opensslMbps) * 100) / 100,
    verify_bytes: bytes,
    runs: RUNS,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
