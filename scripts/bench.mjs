// `npm run bench`: measures the validator, the extension bundle and (optionally) other sections on
// a synthetic 1,000-doc CTO child workspace, and prints the figures beside their targets. It only
// measures and prints: no figure is asserted, the exit code is 0 unless the bench itself broke.
//
//   npm run bench [-- --json] [--runs 3] [--edits 200] [--docs 1000] [--issues 5000]
//                 [--seed 20260531] [--profile | --no-profile] [--keep] [--no-restore]
//
// --json prints ONE JSON object on stdout (progress goes to stderr). See docs/benchmarks.md for
// what each figure means and how it is measured.
//
// Optional sections: every scripts/bench-NAME.mjs (e.g. bench-harness.mjs) is run as its own Node
// process and the JSON object it prints is merged into ours (see SECTION CONTRACT below): its flat
// keys join the top level (never overwriting keys already taken) and show in the table.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { BENCH_TODAY, generateWorkspace } from "./bench/generate.mjs";
import { summarizeProfile } from "./bench/profile.mjs";
import { yamlAsData } from "./yaml-plugin.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CALLER_CWD = process.env.INIT_CWD ?? process.cwd(); // npm run sets INIT_CWD
process.chdir(ROOT);

const { values: opt } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    runs: { type: "string", default: "3" },
    edits: { type: "string", default: "200" },
    docs: { type: "string", default: "1000" },
    issues: { type: "string", default: "5000" },
    seed: { type: "string", default: "20260531" },
    profile: { type: "boolean" },
    "no-profile": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    report: { type: "string" },
    "no-restore": { type: "boolean", default: false },
    sections: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opt.help) {
  process.stdout.write(
    [
      "usage: npm run bench -- [options]",
      "  --json            print one JSON object on stdout (progress on stderr)",
      "  --runs N          fresh-process runs per figure, median reported (default 3)",
      "  --edits N         edits for the re-validation percentiles (default 200, after 20 warm-up edits)",
      "  --docs N          planning docs to generate (default 1000)",
      "  --issues N        CTO-WORK issues spread over them (default 5000)",
      "  --seed N          generator seed (default 20260531)",
      "  --profile         always record CPU profiles (default: only when a validator target is missed)",
      "  --no-profile      never profile",
      "  --keep            keep the generated workspace (its path is printed)",
      "  --no-restore      leave the production build in dist/ (default: rebuild the dev build at the end)",
      "  --sections A,B    run only these optional sections (scripts/bench-A.mjs...; '' for none)",
      "  --report FILE     print the table of a saved --json result and exit (measures nothing)",
      "",
    ].join("\n"),
  );
  process.exit(0);
}

const RUNS = Math.max(1, Number(opt.runs));
const EDITS = Math.max(1, Number(opt.edits));
const TODAY = BENCH_TODAY;
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

/** The targets printed beside the figures (never asserted). */
const TARGETS = [
  { key: "full_validate_ms", label: "full validation, cold CLI process", unit: "ms", target: "< 1000 ms", ok: (v) => v < 1000 },
  { key: "ratio_vs_markdownlint", label: "  ratio to markdownlint-cli2", unit: "×", target: "≤ 0.13×", ok: (v) => v <= 0.13 },
  { key: "ratio_vs_floor", label: "  in-process, ratio to reading + splitting every file", unit: "×", target: "≤ 10× (aim 3×)", ok: (v) => v <= 10 },
  { key: "revalidate_p95_ms", label: "re-validation after an edit, p95", unit: "ms", target: "< 10 ms", ok: (v) => v < 10 },
  { key: "activation_ms", label: "extension activation (stub API)", unit: "ms", target: "< 50 ms", ok: (v) => v < 50 },
  { key: "extension_bundle_kb", label: "extension bundle (production)", unit: "KB", target: "< 500 KB", ok: (v) => v < 500 },
];

if (opt.report) {
  process.stdout.write(humanReport(JSON.parse(readFileSync(resolve(CALLER_CWD, opt.report), "utf8"))));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Runs a command to completion; wall time from spawn to exit, stdout/stderr collected. */
function run(cmd, args, { cwd = ROOT, env } = {}) {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    child.on("error", rej);
    child.on("close", (code, signal) => res({ ms: performance.now() - t0, code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

const GNU_TIME = (() => {
  if (!existsSync("/usr/bin/time")) return undefined;
  const r = spawnSync("/usr/bin/time", ["-v", "true"], { encoding: "utf8" });
  return r.status === 0 && /Maximum resident set size/.test(r.stderr) ? "/usr/bin/time" : undefined;
})();

/**
 * Runs `node ARGS` in a fresh process, measuring its wall time and its peak RSS: with GNU time -v
 * when present, else through a preload that reports process.resourceUsage().maxRSS at exit.
 */
async function runNodeMeasured(args, opts = {}) {
  if (GNU_TIME) {
    const r = await run(GNU_TIME, ["-v", process.execPath, ...args], opts);
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    return { ...r, rssMb: m ? Number(m[1]) / 1024 : null, rssVia: "GNU time -v" };
  }
  const file = join(tmpdir(), `cto-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const r = await run(process.execPath, ["--require", join(ROOT, "scripts/bench/maxrss.cjs"), ...args], { ...opts, env: { ...opts.env, CTO_BENCH_RSS_FILE: file } });
  let rssMb = null;
  try {
    rssMb = Number(readFileSync(file, "utf8")) / 1024;
    rmSync(file, { force: true });
  } catch {}
  return { ...r, rssMb, rssVia: "process.resourceUsage().maxRSS" };
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
const r2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 100) / 100);

/** Stops the bench: the reason on stderr (and, with --json, as `error` in the one JSON object). */
let prodBuilt = false;
function fail(message) {
  log(message);
  if (prodBuilt && !opt["no-restore"]) {
    try {
      nodeBuild([]);
    } catch {}
  }
  if (opt.json) process.stdout.write(`${JSON.stringify({ tool: "cto-bench", error: message.split("\n")[0] })}\n`);
  process.exit(1);
}

function nodeBuild(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["esbuild.mjs", ...args], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`node esbuild.mjs ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// 1. build

const result = {
  tool: "cto-bench",
  generated_at: new Date().toISOString(),
  bench_runs: RUNS,
  cpus: cpus().length,
  node_version: process.version,
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? null,
    node_version: process.version,
    platform: process.platform,
    arch: process.arch,
    total_mem_mb: Math.round(totalmem() / 1048576),
    free_mem_mb_at_start: Math.round(freemem() / 1048576),
    loadavg_at_start: loadavg().map(r2),
  },
};

log("building: node esbuild.mjs --production");
let prodBuildMs;
try {
  prodBuildMs = nodeBuild(["--production"]);
  prodBuilt = true;
} catch (e) {
  fail(`the production build failed, nothing was measured:\n${e instanceof Error ? e.message : String(e)}`);
}
const size = (p) => (existsSync(p) ? statSync(p).size : null);
const extBytes = size("dist/extension.js");
const cliBytes = size("dist/cli.js");

log("building the core bundle for in-process runs: out/bench/core.js");
const esbuild = await import("esbuild");
const pkgVersion = JSON.parse(readFileSync("package.json", "utf8")).version;
const coreBuild = {
  entryPoints: ["src/core/index.ts"],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  plugins: [yamlAsData],
  sourcemap: "external", // lets the profile summary name src/ files and lines
  define: { __VERSION__: JSON.stringify(pkgVersion) },
  outfile: "out/bench/core.js",
  logLevel: "silent",
};
await esbuild.build(coreBuild).catch((e) => fail(`building out/bench/core.js failed: ${e instanceof Error ? e.message : String(e)}`));
const CORE = join(ROOT, "out/bench/core.js");

// ---------------------------------------------------------------------------------------------
// 2. workspace

const tmp = mkdtempSync(join(tmpdir(), "cto-bench-"));
const wsDir = join(tmp, "workspace");
log(`generating ${opt.docs} docs / ${opt.issues} issues in ${wsDir}`);
const gen0 = performance.now();
let gen;
try {
  gen = generateWorkspace(wsDir, { docs: Number(opt.docs), issues: Number(opt.issues), seed: Number(opt.seed) });
} catch (e) {
  rmSync(tmp, { recursive: true, force: true });
  fail(`generating the workspace failed: ${e instanceof Error ? e.message : String(e)}`);
}
result.workspace = {
  path: opt.keep ? wsDir : null,
  planning_docs: gen.docs.length,
  md_files: gen.mdFiles,
  issues: gen.issueCount,
  drift_docs: gen.driftDocs,
  bytes: gen.bytes,
  seed: gen.seed,
  today: TODAY,
  generate_ms: r1(performance.now() - gen0),
};

let exitCode = 0;
try {
  // -------------------------------------------------------------------------------------------
  // 3a. node itself, for scale
  const baseline = [];
  for (let i = 0; i < RUNS; i++) baseline.push((await run(process.execPath, ["-e", "0"])).ms);

  // 3b. cold full validation: the CLI in a fresh process, RUNS times
  log(`cold full validation: node dist/cli.js validate <ws> --json --today ${TODAY} (x${RUNS})`);
  const cliRuns = [];
  let cliSummary = null;
  for (let i = 0; i < RUNS; i++) {
    const r = await runNodeMeasured(["dist/cli.js", "validate", wsDir, "--json", "--today", TODAY]);
    cliRuns.push(r);
    if (i === 0) {
      try {
        const j = JSON.parse(r.stdout);
        const byRule = {};
        for (const f of j.findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
        cliSummary = { exit_code: r.code, files: j.files.length, ...j.summary, by_rule: byRule };
      } catch (e) {
        cliSummary = { exit_code: r.code, error: `unparsable output: ${String(e)}`, stderr: r.stderr.slice(0, 2000) };
      }
    }
  }

  // 3c. in-process: a fresh child process that requires the core bundle, then times
  // discover+load+validate (first, cold), a few warm repeats, and the edit loop.
  log(`in-process: cold full validation, ${EDITS} single-doc re-validations`);
  const inproc = await run(process.execPath, ["scripts/bench/inprocess.mjs", "--core", CORE, "--dir", wsDir, "--today", TODAY, "--edits", String(EDITS), "--warm-runs", String(RUNS)]);
  if (inproc.code !== 0) throw new Error(`scripts/bench/inprocess.mjs failed:\n${inproc.stderr}`);
  const ip = JSON.parse(inproc.stdout);

  // 3d. markdownlint-cli2 on the same files, same conditions (fresh process, RUNS times)
  const mdlBin = join(ROOT, "node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs");
  const mdlRuns = [];
  let mdlInfo = null;
  if (existsSync(mdlBin)) {
    const version = JSON.parse(readFileSync(join(ROOT, "node_modules/markdownlint-cli2/package.json"), "utf8")).version;
    log(`markdownlint-cli2 ${version} "**/*.md" in the workspace (x${RUNS})`);
    for (let i = 0; i < RUNS; i++) mdlRuns.push(await runNodeMeasured([mdlBin, "**/*.md"], { cwd: wsDir }));
    const text = mdlRuns[0].stdout + mdlRuns[0].stderr;
    mdlInfo = {
      version,
      files_linted: Number(/Linting: (\d+) file/.exec(text)?.[1] ?? NaN) || null,
      issues_reported: Number(/Summary: (\d+) issue/.exec(text)?.[1] ?? NaN) || 0,
      exit_code: mdlRuns[0].code,
    };
  } else {
    log("markdownlint-cli2 is not installed (npm i -D markdownlint-cli2): its figures are null");
  }

  // 3e. extension: bundle size (production build) and activation against a stub vscode API
  log(`extension activation against a stub vscode API (x${RUNS})`);
  const actRuns = [];
  if (existsSync("dist/extension.js")) {
    for (let i = 0; i < RUNS; i++) {
      const r = await run(process.execPath, ["scripts/bench/activation.cjs", "dist/extension.js", wsDir]);
      try {
        actRuns.push(JSON.parse(r.stdout));
      } catch {
        actRuns.push({ error: `activation child failed: ${r.stderr.slice(0, 1000)}` });
      }
    }
  }
  const act0 = actRuns[0] ?? { error: "dist/extension.js missing" };
  const placeholder = !act0.error && act0.api_calls === 0 && act0.subscriptions === 0;
  const actTotals = actRuns.filter((a) => !a.error).map((a) => a.code_loading_ms + a.activate_resolved_ms);

  // Before the optional sections, which may load the machine themselves.
  result.machine.loadavg_after_measurements = loadavg().map(r2);

  // -------------------------------------------------------------------------------------------
  // 4. figures
  const full = median(cliRuns.map((r) => r.ms));
  const mdl = median(mdlRuns.map((r) => r.ms));
  Object.assign(result, {
    full_validate_ms: r1(full),
    full_validate_inprocess_ms: r1(ip.cold.ms),
    full_validate_inprocess_warm_ms: r1(ip.warm_median_ms),
    floor_ms: r1(ip.floor.median_ms),
    ratio_vs_floor: ip.ratio_vs_floor_cold,
    ratio_vs_floor_warm: ip.ratio_vs_floor_warm,
    drift_ms_per_1000_sentences: ip.drift.ms_per_1000_sentences,
    drift_ms_per_1000_analysed: ip.drift.ms_per_1000_analysed,
    revalidate_p50_ms: r2(ip.revalidate.p50_ms),
    revalidate_p95_ms: r2(ip.revalidate.p95_ms),
    peak_rss_mb: r1(median(cliRuns.map((r) => r.rssMb))),
    markdownlint_ms: r1(mdl),
    markdownlint_peak_rss_mb: r1(median(mdlRuns.map((r) => r.rssMb))),
    ratio_vs_markdownlint: full !== null && mdl ? Math.round((full / mdl) * 1000) / 1000 : null,
    activation_ms: placeholder || actTotals.length === 0 ? null : r2(median(actTotals)),
    extension_bundle_kb: extBytes === null ? null : r1(extBytes / 1024),
    cli_bundle_kb: cliBytes === null ? null : r1(cliBytes / 1024),
    node_baseline_ms: r1(median(baseline)),
  });
  result.details = {
    cli: {
      command: `node dist/cli.js validate <ws> --json --today ${TODAY}`,
      runs_ms: cliRuns.map((r) => r1(r.ms)),
      peak_rss_runs_mb: cliRuns.map((r) => r1(r.rssMb)),
      peak_rss_via: cliRuns[0]?.rssVia ?? null,
      output: cliSummary,
    },
    inprocess: ip,
    markdownlint: mdlInfo && { ...mdlInfo, command: 'markdownlint-cli2 "**/*.md" (cwd: the workspace)', runs_ms: mdlRuns.map((r) => r1(r.ms)), peak_rss_runs_mb: mdlRuns.map((r) => r1(r.rssMb)) },
    activation: {
      what: "require(dist/extension.js) + await activate(context) in plain Node against a STUB vscode module: our code's own cost, not VS Code's real activation",
      placeholder,
      raw_ms_runs: actTotals.map(r2),
      first_run: act0,
    },
    build: { production_build_ms: r1(prodBuildMs), extension_bytes: extBytes, cli_bytes: cliBytes },
  };
  if (placeholder) result.details.activation.note = "activate() touches no vscode API and registers nothing: the extension entry is still a placeholder, so activation_ms is null";

  result.targets = Object.fromEntries(TARGETS.map((t) => [t.key, { target: t.target, met: result[t.key] === null ? null : t.ok(result[t.key]) }]));
  const missed = TARGETS.filter((t) => result.targets[t.key].met === false).map((t) => t.key);
  result.targets_missed = missed;

  // -------------------------------------------------------------------------------------------
  // optional sections (other helpers' figures), each run as its own Node process.
  // SECTION CONTRACT: `node FILE` prints ONE JSON object on stdout (progress on stderr) and
  // exits 0. The object is either a flat map of figures ({ snake_case_key: number|string|null })
  // or { figures: {...}, rows?: [{ key, label, unit?, target? }], ... }. The bench passes
  // CTO_BENCH=1, CTO_BENCH_WORKSPACE (the generated workspace), CTO_BENCH_TODAY and
  // CTO_BENCH_RUNS in the environment, for sections that want them.
  // Every scripts/bench-NAME.mjs is a section named NAME, run in name order.
  const SECTIONS = readdirSync(join(ROOT, "scripts"))
    .filter((f) => /^bench-[\w-]+\.mjs$/.test(f))
    .sort()
    .map((f) => ({ name: f.slice("bench-".length, -".mjs".length), file: `scripts/${f}` }))
    .filter((s) => opt.sections === undefined || opt.sections.split(",").includes(s.name));
  result.sections = {};
  for (const s of SECTIONS) {
    if (!existsSync(join(ROOT, s.file))) continue;
    log(`optional section '${s.name}': node ${s.file}`);
    const r = await run(process.execPath, [s.file], { env: { CTO_BENCH: "1", CTO_BENCH_WORKSPACE: wsDir, CTO_BENCH_TODAY: TODAY, CTO_BENCH_RUNS: String(RUNS) } });
    try {
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim().split("\n").slice(-5).join(" | ")}`);
      const out = parseLastJson(r.stdout);
      const figures = out.figures && typeof out.figures === "object" ? out.figures : out;
      result.sections[s.name] = { output: out, wall_ms: r1(r.ms) };
      for (const [k, v] of Object.entries(figures)) {
        if (k in result) {
          log(`section '${s.name}': key '${k}' is already taken; kept under sections.${s.name} only`);
          continue;
        }
        if (v === null || typeof v !== "object") result[k] = v;
      }
    } catch (e) {
      result.sections[s.name] = { error: e instanceof Error ? e.message : String(e), wall_ms: r1(r.ms) };
      log(`section '${s.name}' failed: ${result.sections[s.name].error}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // profile the in-process path when a validator target is missed (or on --profile)
  const validatorMissed = missed.some((k) => ["full_validate_ms", "ratio_vs_markdownlint", "revalidate_p95_ms"].includes(k));
  if (!opt["no-profile"] && (opt.profile || validatorMissed)) {
    const profDir = join(ROOT, "out/bench/prof");
    log(`profiling the in-process path (CPU profiles in ${profDir})`);
    const p = await run(process.execPath, ["scripts/bench/inprocess.mjs", "--core", CORE, "--dir", wsDir, "--today", TODAY, "--edits", String(Math.min(EDITS, 100)), "--profile-dir", profDir]);
    if (p.code === 0) {
      result.profile = {
        why: opt.profile ? "--profile" : `targets missed: ${missed.join(", ")}`,
        files: ["out/bench/prof/full.cpuprofile", "out/bench/prof/revalidate.cpuprofile"],
        full: summarizeProfile(join(profDir, "full.cpuprofile"), CORE, 12),
        revalidate: summarizeProfile(join(profDir, "revalidate.cpuprofile"), CORE, 12),
      };
    } else result.profile = { error: p.stderr.slice(0, 2000) };
  }

  // -------------------------------------------------------------------------------------------
  // output
  // The bench itself keeps about one core busy: more than that (or a busy start) means contention.
  const busy = result.machine.loadavg_at_start[0] >= result.machine.cpus * 0.5 || result.machine.loadavg_after_measurements[0] >= result.machine.cpus * 0.5 + 1;
  result.machine.busy = busy;
  if (busy) result.machine.warning = "other processes were using the CPUs during the run (1-minute load average: at least half the cores busy before the run, or more than the bench's own one core during it): every figure is inflated; re-run on an idle machine";
  if (opt.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(humanReport(result));
} catch (e) {
  exitCode = 1;
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  if (opt.json) process.stdout.write(`${JSON.stringify({ tool: "cto-bench", error: e instanceof Error ? e.message : String(e) })}\n`);
} finally {
  if (!opt.keep) rmSync(tmp, { recursive: true, force: true });
  else log(`kept the workspace: ${wsDir}`);
  if (!opt["no-restore"]) {
    log("restoring the development build in dist/: node esbuild.mjs");
    try {
      nodeBuild([]);
    } catch (e) {
      log(String(e));
    }
  }
}
process.exitCode = exitCode;

// ---------------------------------------------------------------------------------------------

/** The JSON object a section printed: the whole stdout, or its last top-level `{` block. */
function parseLastJson(text) {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    const at = t.lastIndexOf("\n{");
    if (at >= 0) return JSON.parse(t.slice(at + 1));
    throw new Error(`no JSON object on stdout: ${t.slice(0, 200)}`);
  }
}

/** Rows the optional sections add to the table. */
function sectionRowsOf(r) {
  const rows = [];
  for (const [name, sec] of Object.entries(r.sections ?? {})) {
    if (sec.error !== undefined) {
      rows.push({ section: name, label: `failed: ${String(sec.error).split("\n")[0].slice(0, 80)}`, value: null });
      continue;
    }
    const out = sec.output ?? {};
    const figures = out.figures && typeof out.figures === "object" ? out.figures : out;
    const list = Array.isArray(out.rows) ? out.rows : Object.keys(figures).filter((k) => figures[k] === null || typeof figures[k] !== "object").map((k) => ({ key: k, label: k }));
    for (const row of list) rows.push({ ...row, section: name, value: figures[row.key] });
  }
  return rows;
}

function humanReport(r) {
  const targets = TARGETS;
  const sectionRows = sectionRowsOf(r);
  const fmt = (v, unit) => {
    if (v === null || v === undefined) return "null";
    if (typeof v !== "number") return String(v);
    const n = unit === "×" ? v.toFixed(3) : v >= 100 ? Math.round(v).toLocaleString("en-US") : String(v);
    return unit ? (unit === "×" ? `${n}×` : `${n} ${unit}`) : n;
  };
  const w = r.workspace;
  const d = r.details;
  const lines = [];
  lines.push("");
  lines.push(`CTO Workbench benchmark — ${w.md_files.toLocaleString("en-US")} markdown files (${w.planning_docs.toLocaleString("en-US")} planning docs + PRD), ${w.issues.toLocaleString("en-US")} CTO-WORK issues, ${(w.bytes / 1048576).toFixed(1)} MB, ${w.drift_docs} drift docs; seed ${w.seed}, today ${w.today}`);
  lines.push(`machine: ${r.machine.cpus} × ${r.machine.cpu_model}, node ${r.machine.node_version}, ${r.machine.platform}/${r.machine.arch}, load avg ${r.machine.loadavg_at_start?.[0]} at start, ${r.machine.loadavg_after_measurements?.[0]} after the measurements; median of ${r.bench_runs} fresh-process runs`);
  if (r.machine.warning) lines.push(`WARNING: ${r.machine.warning}`);
  lines.push("");
  const rows = [
    ...targets.map((t) => [t.label, fmt(r[t.key], t.unit), t.target, r.targets[t.key].met === null ? "n/a" : r.targets[t.key].met ? "met" : "MISSED"]),
    ["full validation, in-process (cold)", fmt(r.full_validate_inprocess_ms, "ms"), "", ""],
    ["full validation, in-process (warm)", fmt(r.full_validate_inprocess_warm_ms, "ms"), "", ""],
    ["re-validation after an edit, p50", fmt(r.revalidate_p50_ms, "ms"), "", ""],
    ["floor: find, read and split every file (in-process)", fmt(r.floor_ms, "ms"), "", ""],
    ["  warm in-process validation, ratio to the floor", fmt(r.ratio_vs_floor_warm, "×"), "", ""],
    ["drift detector, per 1,000 sentences of the workspace", fmt(r.drift_ms_per_1000_sentences, "ms"), "", ""],
    ["drift detector, per 1,000 sentences it reads in full", fmt(r.drift_ms_per_1000_analysed, "ms"), "", ""],
    ["peak RSS, cold CLI process", fmt(r.peak_rss_mb, "MB"), "", ""],
    ["markdownlint-cli2, same files", fmt(r.markdownlint_ms, "ms"), "", ""],
    ["markdownlint-cli2 peak RSS", fmt(r.markdownlint_peak_rss_mb, "MB"), "", ""],
    ["CLI bundle (production)", fmt(r.cli_bundle_kb, "KB"), "", ""],
    ["node -e 0 (process start, for scale)", fmt(r.node_baseline_ms, "ms"), "", ""],
    ...sectionRows.map((s) => [`[${s.section}] ${s.label ?? s.key}`, fmt(s.value, s.unit), s.target ?? "", ""]),
  ];
  const head = ["figure", "value", "target", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (row) => row.map((c, i) => (i === 1 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ").trimEnd();
  lines.push(line(head), widths.map((n) => "-".repeat(n)).join("  "), ...rows.map(line));
  lines.push("");
  const ip = d.inprocess;
  lines.push(`in-process cold breakdown: discover ${ip.cold.discover_ms} ms, load+parse ${ip.cold.load_ms} ms, validate ${ip.cold.validate_ms} ms (core bundle require ${ip.core_require_ms} ms, not included)`);
  if (ip.drift) lines.push(`drift detector: ${ip.drift.blocks} prose blocks, ${ip.drift.sentences} sentences, ${ip.drift.analysed_sentences} read in full (the rest fail the prefilter or repeat a sentence already judged), empty sentence cache, runs ${ip.drift.runs_ms.join(", ")} ms`);
  lines.push(`re-validation (${ip.revalidate.edits} edits after ${ip.revalidate.warmup} warm-up): setDoc p50/p95 ${ip.revalidate.setdoc_p50_ms}/${ip.revalidate.setdoc_p95_ms} ms, validateWorkspace(affected) p50/p95 ${ip.revalidate.validate_p50_ms}/${ip.revalidate.validate_p95_ms} ms, max ${ip.revalidate.max_ms} ms, up to ${ip.revalidate.affected_max} docs affected`);
  const o = d.cli.output;
  if (o) lines.push(`CLI output: ${o.files ?? "?"} files, ${o.errors ?? "?"} errors, ${o.warnings ?? "?"} warnings (${Object.entries(o.by_rule ?? {}).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}), exit ${o.exit_code}; peak RSS via ${d.cli.peak_rss_via}`);
  if (d.markdownlint) lines.push(`markdownlint-cli2 ${d.markdownlint.version}: ${d.markdownlint.files_linted} files linted, ${d.markdownlint.issues_reported} issues reported (default rules; exit code ignored)`);
  lines.push(`activation: ${d.activation.what}${d.activation.note ? `\n  ${d.activation.note} (raw: ${d.activation.raw_ms_runs.join(", ")} ms)` : ""}`);
  if (r.profile?.full) {
    lines.push("", `CPU profile (${r.profile.why}); files: ${r.profile.files.join(", ")}`);
    for (const phase of ["full", "revalidate"]) {
      const p = r.profile[phase];
      lines.push(`  ${phase === "full" ? "cold full validation" : "re-validation loop"} (${p.duration_ms} ms profiled) — top self time:`);
      for (const h of p.self.slice(0, 10)) lines.push(`    ${String(h.ms).padStart(9)} ms ${String(h.pct).padStart(5)}%  ${h.name}`);
      lines.push("    top inclusive time:");
      for (const h of p.total.slice(0, 8)) lines.push(`    ${String(h.ms).padStart(9)} ms ${String(h.pct).padStart(5)}%  ${h.name}`);
    }
  } else if (r.profile?.error) lines.push("", `profiling failed: ${r.profile.error}`);
  lines.push("");
  return lines.join("\n");
}
