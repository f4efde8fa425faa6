// Harness benchmarks (issues 4 and 5): prints one JSON object with
//   harness_overhead_ms      median wall time of a `fake` run minus its engine and test spans
//   verify_mb_per_s          `cto verify` throughput on a big bundle (every digest and the Ed25519
//                            signature over all of them checked)
//   verify_ratio_vs_openssl  that throughput / `openssl dgst -sha256` on the same files, same run
//   fixtures_all_ms          median wall time of `cto fixtures` on the whole failure matrix
//                            (a fresh `node cli.js` process each time, every row matched)
//   evidence_read_ms         readEvidence() over the bundles of one whole-matrix run
//   garbage_*                a `cto run` (own process) whose engine prints 10 MB of garbage lines:
//                            wall ms, the harness's peak RSS, the bundle's size (issue 8 item 11)
//   noline_*                 the same with 100 MB and no newline at all
// Targets: overhead < 300 ms; ratio ≥ 0.8; fixtures_all_ms < 10000 (2-core machine).
// Usage: node scripts/bench-harness.mjs [--runs N] [--mb N] [--fixture-runs N]
// Also an optional section of `npm run bench` (scripts/bench.mjs imports the default export).
import { build } from "esbuild";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { nodeBundleOptions } from "./bundle-options.mjs";

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
  // The bench's runs sign with a key of their own, never the user's (CTO_SIGNING_KEY is inherited
  // by the `cto fixtures` processes too).
  const keyBefore = process.env.CTO_SIGNING_KEY;
  if (!keyBefore) {
    process.env.CTO_SIGNING_KEY = join(work, "signing-key.pem");
    writeFileSync(process.env.CTO_SIGNING_KEY, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  }
  try {
    // The harness core and the CLI, bundled as the CLI bundles them.
    const out = join(work, "harness.cjs");
    const cli = join(work, "cli.js");
    const opts = nodeBundleOptions();
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

    // 2. verify on a bundle whose patch.diff holds MB megabytes of new binary data (logs are
    //    bounded, so a big bundle is a big change): an engine script writes the file.
    const engines = join(work, "engines");
    mkdirSync(engines);
    chmodSync(work, 0o755);
    chmodSync(engines, 0o755);
    const writer = join(engines, "write-big");
    writeFileSync(writer, `#!/usr/bin/env node\nconst fs=require("fs");fs.mkdirSync("src",{recursive:true});const fd=fs.openSync("src/big.bin","w");for(let i=0;i<${MB};i++)fs.writeSync(fd,require("crypto").randomBytes(1<<20));fs.closeSync(fd);\n`, { mode: 0o755 });
    const bigTask = join(work, "big.yaml");
    writeFileSync(bigTask, [`id: bench-big`, `repo: ${join(root, "fixtures/harness/repo")}`, 'allowed_files: ["src/**"]', `test_command: ["${process.execPath}", "-e", ""]`, "timeout_s: 300", `engine_options: { command: ["${writer}"] }`, ""].join("\n"));
    const big = await h.runTask({ engine: "codex", taskFile: bigTask, outDir: join(work, "big-runs"), expose: [engines] });
    if (big.report.blockers.some((b) => b.id !== "missing_event")) throw new Error(`big run: ${JSON.stringify(big.report.blockers)}`);
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
      if (v.verdict !== "verified" || v.signature.state !== "trusted") throw new Error(`big bundle did not verify: ${JSON.stringify(v.problems)}`);
    }
    const mbps = bytes / 1e6 / (bestVerify / 1000);

    // 3. Unbounded output: a hostile engine's 10 MB of garbage lines, and 100 MB without a newline,
    //    each through `cto run` in its own process (peak RSS from a preload that reports it).
    const preload = join(work, "rss.cjs");
    writeFileSync(preload, `process.on("exit", () => process.stderr.write("\\nmaxrss_kb=" + process.resourceUsage().maxRSS + "\\n"));\n`);
    const hostile = (name, body) => {
      const exe = join(engines, name);
      writeFileSync(exe, `#!/usr/bin/env node\n${body}\n`, { mode: 0o755 });
      const t = join(work, `${name}.yaml`);
      writeFileSync(t, [`id: ${name}`, `repo: ${join(root, "fixtures/harness/repo")}`, 'allowed_files: ["src/**"]', `test_command: ["${process.execPath}", "-e", ""]`, "timeout_s: 300", `engine_options: { command: ["${exe}"] }`, ""].join("\n"));
      const outDir = join(work, `${name}-runs`);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ["-r", preload, cli, "run", "--engine", "codex", "--task", t, "--out", outDir, "--expose", engines, "--json"], { encoding: "utf8", maxBuffer: 64 << 20 });
      const wall = performance.now() - t0;
      const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
      const bundle = JSON.parse(r.stdout).bundle;
      let size = 0;
      const sum = (d) => { for (const n of readdirSync(d, { withFileTypes: true })) { const p = join(d, n.name); if (n.isDirectory()) sum(p); else size += statSync(p).size; } };
      sum(bundle);
      return { wall: Math.round(wall), rssMb: Math.round(rss / 1024), bundleMb: Math.round((size / 1e6) * 10) / 10 };
    };
    log("hostile output: 10 MB of garbage lines, 100 MB without a newline");
    const garbage = hostile("garbage", `const l="x".repeat(99)+"\\n";let s="";for(let i=0;i<1000;i++)s+=l;for(let i=0;i<100;i++)process.stdout.write(s);`);
    const noline = hostile("noline", `const s="y".repeat(1<<20);let n=100;const w=()=>{while(n-->0){if(!process.stdout.write(s))return process.stdout.once("drain",w)}};w();`);
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
      garbage_wall_ms: garbage.wall,
      garbage_peak_rss_mb: garbage.rssMb,
      garbage_bundle_mb: garbage.bundleMb,
      noline_wall_ms: noline.wall,
      noline_peak_rss_mb: noline.rssMb,
      noline_bundle_mb: noline.bundleMb,
      runs: RUNS,
    };
    return result;
  } finally {
    if (!keyBefore) delete process.env.CTO_SIGNING_KEY;
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run bench` section: fewer runs, same figures. */
export default async function bench(ctx = {}) {
  const figures = await measure({ runs: Math.max(3, ctx.runs ?? 3), mb: 100, fixtureRuns: Math.max(1, ctx.runs ?? 3), log: ctx.log ?? (() => {}) });
  return {
    figures,
    rows: [
      { key: "fixtures_all_ms", label: "cto fixtures, whole matrix", unit: "ms", target: "< 10000 ms" },
      { key: "evidence_read_ms", label: "readEvidence, one matrix run", unit: "ms" },
      { key: "harness_overhead_ms", label: "harness overhead per run", unit: "ms", target: "< 300 ms" },
      { key: "verify_mb_per_s", label: "cto verify throughput", unit: "MB/s" },
      { key: "verify_ratio_vs_openssl", label: "verify / openssl", unit: "×", target: "≥ 0.8×" },
      { key: "garbage_wall_ms", label: "engine printing 10 MB of garbage: cto run", unit: "ms" },
      { key: "garbage_peak_rss_mb", label: "… peak RSS of the harness", unit: "MB" },
      { key: "garbage_bundle_mb", label: "… bundle size", unit: "MB" },
      { key: "noline_wall_ms", label: "engine printing 100 MB without a newline: cto run", unit: "ms" },
      { key: "noline_peak_rss_mb", label: "… peak RSS of the harness", unit: "MB" },
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measure({ runs: arg("--runs", 7), mb: arg("--mb", 100), fixtureRuns: arg("--fixture-runs", 3), log: (m) => process.stderr.write(`${m}\n`) });
  console.log(JSON.stringify(result, null, 2));
}
