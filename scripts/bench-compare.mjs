// Bench section `compare` (issue 12): a comparison of case, fake, codex and pi on 75 tasks (300
// cells), scaled out over 3 shards of 100 cells each, then merged — what a CI matrix does
// (docs/ci/compare-matrix.yml), on this machine. codex, pi and case are the recorded-log
// replayers of the tests (fixtures/engines: NOT the real CLIs; `ca` admitted by hash in the bench
// workspace's records); the harness around them — sandbox, isolation, bundles, signatures — is real.
//   compare_shard_ms           median wall time of one `cto compare --shard K/3` process (100 runs,
//                              sandboxed and signed); the 3 run at once
//   compare_merge_ms           median wall time of `cto compare --merge` of the 3 shard folders in
//                              a fresh process: 300 bundles copied, each verified (digests, Ed25519
//                              signature, freshness), the comparison written and signed
//   compare_merge_peak_rss_mb  that process's peak RSS
//   comparison_read_ms         median wall time of readComparisons() on the merged comparison:
//                              what the gates do whenever they are read (all 300 bundles re-verified)
// The runs sign with a key of the bench's own (CTO_SIGNING_KEY), never the user's.
// Usage: node scripts/bench-compare.mjs [--runs N] [--cells-per-shard N] [--keep]; also a section of `npm run bench`.
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeBundleOptions } from "./bundle-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x) => Math.round(x * 10) / 10;

/** `node ARGS` in a fresh process: wall time, exit code, output, peak RSS (via /usr/bin/time -v when present). */
function node(args, env, cwd) {
  const time = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const p = spawn(time ?? process.execPath, time ? ["-v", process.execPath, ...args] : args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", rej);
    p.on("close", (code) => {
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      res({ ms: performance.now() - t0, code, out, err, rssMb: m ? Number(m[1]) / 1024 : null });
    });
  });
}

export async function measure({ runs = 3, perShard = 100, keep = false, log = () => {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), "cto-bench-compare-"));
  const env = { ...process.env, CTO_SIGNING_KEY: join(work, "signing-key.pem") };
  writeFileSync(env.CTO_SIGNING_KEY, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  try {
    const opts = nodeBundleOptions();
    const cli = join(work, "cli.js");
    const harness = join(work, "harness.cjs");
    await build({ ...opts, entryPoints: [join(root, "src/cli/main.ts")], outfile: cli });
    await build({ ...opts, entryPoints: [join(root, "src/harness/index.ts")], outfile: harness });
    const h = createRequire(import.meta.url)(harness);

    // A CTO workspace: case admitted (the ca replayer's hash) and selected by a decision, and a
    // candidate-default task set of 3 × perShard / 4 tasks; the replayers stand in for codex, pi, ca.
    const ws = join(work, "ws");
    mkdirSync(join(ws, "tasks"), { recursive: true });
    mkdirSync(join(ws, "records"));
    writeFileSync(join(ws, "WORKBOARD.yaml"), "workspace: { name: bench-compare }\n");
    cpSync(join(root, "fixtures/harness/repo"), join(ws, "repo"), { recursive: true });
    const engines = join(root, "fixtures", "engines");
    const ca = join(engines, "case", "ca");
    const fm = (type) => `---\nname: ${type}\ntier: local\nstatus: draft\ncreated: 2026-05-31\nlast_reviewed: 2026-05-31\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\nrecord_type: ${type}\n---\n\n# ${type}\n\n`;
    writeFileSync(join(ws, "records", "admission.md"), `${fm("source-admission")}Source ID: case-30b1fa1\nSource URL: https://github.com/workos/case\nPinned commit: 30b1fa1285a9d8f5a05f81377bcf95fbe250642c\nLicense note: no license granted; sandbox evaluation only\nRetrieval date: 2026-05-16\nRetrieval command: git clone https://github.com/workos/case\nIntegrity hash: sha256:${createHash("sha256").update(readFileSync(ca)).digest("hex")}\nAllowed execution mode: sandbox only\nProtected-source boundary: source repo never mutated\n\n| Date | Previous source ID | New source ID | Reason |\n| --- | --- | --- | --- |\n| 2026-05-16 | — | case-30b1fa1 | first admission |\n`);
    writeFileSync(join(ws, "records", "decision.md"), `${fm("eligibility-decision")}Selected backend: case\nDenied backends: none\nRisk class: high\nRequired gates: gated-engine\nAllowed mutation mode: sandbox\nReasons: benchmark\nEscalation path: CTO\nDecided by: CTO (human reviewer)\nDecided on: 2026-05-16\n`);
    const bin = join(work, "bin");
    mkdirSync(bin);
    for (const e of ["codex", "pi"]) {
      writeFileSync(join(bin, e), `#!/usr/bin/env node\n// Bench stand-in: replays ${e}'s recorded log (not ${e}).\nprocess.env.CTO_REPLAY_SPEC = ${JSON.stringify(join(engines, e, "replay-success.json"))};\nrequire(${JSON.stringify(join(engines, "replay-stdout"))});\n`);
      chmodSync(join(bin, e), 0o755);
    }
    Object.assign(env, { CTO_CODEX_COMMAND: join(bin, "codex"), CTO_PI_COMMAND: join(bin, "pi"), CTO_CASE_COMMAND: ca, CTO_CA_REPLAY: join(engines, "case", "replay-completed.json") });
    const runFlags = ["--enable-gated", "case", "--pass-env", "CTO_CA_REPLAY", "--expose", engines, "--expose", bin];
    const n = 3 * perShard;
    if (n % 4) throw new Error("--cells-per-shard × 3 must be a multiple of 4 (case, fake, codex, pi on each task)");
    const rows = [];
    for (let i = 1; i <= n / 4; i++) {
      const id = `t${String(i).padStart(3, "0")}`;
      writeFileSync(join(ws, "tasks", `${id}.yaml`), `id: ${id}\nprompt: "Add subtract()"\nrepo: ../repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 60\nscenario:\n  - write: { path: src/sub.js, content: "module.exports = function sub(a, b) {\\n  return a - b;\\n};\\n" }\n`);
      rows.push(`| ${id} | tasks/${id}.yaml | repo |`);
    }
    const set = join(ws, "compare-set.md");
    writeFileSync(set, `---\nname: bench-set\ntier: local\nstatus: draft\ncreated: 2026-05-31\nlast_reviewed: 2026-05-31\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\nrecord_type: task-set\ngate: candidate-default\n---\n\n# Bench set\n\n| task | task file | repo |\n| --- | --- | --- |\n${rows.join("\n")}\n`);

    log(`compare: 3 shards × ${perShard} runs at once`);
    const shards = [1, 2, 3].map((k) => join(work, "shards", `compare-shard-${k}`));
    const shardRuns = await Promise.all(shards.map((out, i) => node([cli, "compare", "--task-set", set, "--shard", `${i + 1}/3`, "--out", out, ...runFlags, "--json"], env, ws)));
    for (const r of shardRuns) if (r.code !== 0) throw new Error(`a shard failed (exit ${r.code}): ${r.err.slice(-500)}`);
    const bundles = shards.map((d) => readdirSync(join(d, "runs")).filter((x) => !x.startsWith(".")).length);
    if (bundles.some((b) => b !== perShard)) throw new Error(`shards hold ${bundles.join("/")} bundles, not ${perShard} each`);
    const notPass = shardRuns.flatMap((r) => JSON.parse(r.out).cells.filter((c) => c.status !== "pass").map((c) => `${c.engine} × ${c.task}: ${c.blockers.join(",")}`));
    if (notPass.length) throw new Error(`runs did not pass: ${notPass.slice(0, 5).join("; ")}`);

    log(`compare: --merge of 3 × ${perShard} bundles, ${runs} fresh process(es)`);
    const merges = [];
    let merged;
    for (let i = 0; i < runs; i++) {
      merged = join(work, `merged-${i}`);
      const r = await node([cli, "compare", "--merge", ...shards, "--task-set", set, "--out", merged, "--json"], env, ws);
      if (r.code !== 0) throw new Error(`merge failed (exit ${r.code}): ${r.err.slice(-800)}`);
      const c = JSON.parse(r.out);
      if (c.cells.length !== n || c.cells.some((x) => x.verdict !== "verified")) throw new Error("the merged comparison does not hold every cell verified");
      merges.push(r);
    }

    log("compare: readComparisons on the merged comparison (every bundle re-verified)");
    const prev = process.env.CTO_SIGNING_KEY;
    process.env.CTO_SIGNING_KEY = env.CTO_SIGNING_KEY;
    const reads = [];
    try {
      const trust = h.loadTrustStore({ env });
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const [c] = await h.readComparisons(merged, { root: ws, trust });
        reads.push(performance.now() - t0);
        const bad = c.cells.filter((x) => !x.bundle || !x.bundle.fresh || x.problem);
        if (c.signature !== "trusted" || c.cells.length !== n || bad.length) throw new Error(`readComparisons: ${c.signature}, ${bad.length} cell(s) do not count`);
      }
    } finally {
      if (prev === undefined) delete process.env.CTO_SIGNING_KEY;
      else process.env.CTO_SIGNING_KEY = prev;
    }
    return {
      compare_cells: n,
      compare_shard_ms: Math.round(median(shardRuns.map((r) => r.ms))),
      compare_merge_ms: Math.round(median(merges.map((r) => r.ms))),
      compare_merge_peak_rss_mb: merges[0].rssMb === null ? null : r1(median(merges.map((r) => r.rssMb))),
      comparison_read_ms: Math.round(median(reads)),
    };
  } finally {
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

const ROWS = [
  { key: "compare_shard_ms", label: "cto compare --shard K/3: 100 runs (3 shards at once)", unit: "ms" },
  { key: "compare_merge_ms", label: "cto compare --merge, 3 shards × 100 bundles", unit: "ms" },
  { key: "compare_merge_peak_rss_mb", label: "… peak RSS", unit: "MB" },
  { key: "comparison_read_ms", label: "candidate-default read: 300 bundles re-verified", unit: "ms" },
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const figures = await measure({ runs: arg("--runs", Number(process.env.CTO_BENCH_RUNS ?? 3)), perShard: arg("--cells-per-shard", 100), keep: process.argv.includes("--keep"), log: (m) => process.stderr.write(`[bench-compare] ${m}\n`) });
  console.log(JSON.stringify(process.env.CTO_BENCH ? { figures, rows: ROWS } : figures, null, 2));
}
