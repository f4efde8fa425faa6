// Child process of scripts/bench.mjs: measures the core in-process, in a fresh Node process so
// that the first full validation is really cold (no JIT warm-up, no caches).
//
//   node scripts/bench/inprocess.mjs --core out/bench/core.js --dir WS --today YYYY-MM-DD
//        [--edits 200] [--warmup 20] [--warm-runs 3] [--seed N] [--profile-dir DIR]
//
// Prints ONE JSON object on stdout. With --profile-dir it also records V8 CPU profiles of the
// cold full validation and of the re-validation loop (via the inspector, so each profile covers
// exactly its phase) as DIR/full.cpuprofile and DIR/revalidate.cpuprofile; figures taken while
// profiling carry the profiler's overhead and are only used to find hot spots.
import { createRequire } from "node:module";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { editOneSentence, prng } from "./generate.mjs";

const { values } = parseArgs({
  options: {
    core: { type: "string" },
    dir: { type: "string" },
    today: { type: "string" },
    edits: { type: "string", default: "200" },
    warmup: { type: "string", default: "20" },
    "warm-runs": { type: "string", default: "3" },
    seed: { type: "string", default: "7" },
    "profile-dir": { type: "string" },
  },
});

const profileDir = values["profile-dir"] ? resolve(values["profile-dir"]) : undefined;
let session;
if (profileDir) {
  const inspector = await import("node:inspector/promises");
  session = new inspector.Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 }); // µs
  mkdirSync(profileDir, { recursive: true });
}
async function profiled(name, fn) {
  if (!session) return fn();
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
}

const t0 = performance.now();
const core = createRequire(import.meta.url)(resolve(values.core));
const requireMs = performance.now() - t0;
const dir = resolve(values.dir);
const options = core.resolveOptions({ today: values.today });

/** discover + load + validate, timed per phase. */
async function full() {
  const a = performance.now();
  const found = await core.discoverWorkspaces(dir, core.nodeFs);
  const b = performance.now();
  if (found.length !== 1) throw new Error(`expected one workspace in ${dir}, found ${found.length}`);
  const ws = await core.loadWorkspace(found[0], core.nodeFs);
  const c = performance.now();
  const findings = core.validateWorkspace(ws, options);
  const d = performance.now();
  return { ws, findings, ms: d - a, discover_ms: b - a, load_ms: c - b, validate_ms: d - c };
}

const cold = await profiled("full", full);
const byRule = {};
let findingCount = 0;
for (const list of cold.findings.values())
  for (const f of list) {
    byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    findingCount++;
  }

// The floor: what any tool pays to look at these files at all — find every file, read it, split
// it into lines — in this same process, after the same warm-up the cold run gave the file cache.
function walk(d, out) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}
function floorRun() {
  const a = performance.now();
  let lines = 0;
  for (const f of walk(dir, [])) lines += readFileSync(f, "utf8").split(/\r\n|\n|\r/).length;
  return { ms: performance.now() - a, lines };
}
const floors = [];
for (let i = 0; i < 3; i++) floors.push(floorRun().ms);

// The detector's own cost: every prose block of the workspace through findClaims, with an empty
// sentence cache (a freshly compiled lexicon each round), after the cold run warmed the JIT.
const blocks = [];
for (const d of cold.ws.docs.values()) for (const b of d.prose) blocks.push(b);
let sentences = 0;
for (const b of blocks) sentences += core.splitSentences(b.text).length;
const driftRuns = [];
for (let i = 0; i < 3; i++) {
  const lex = core.compileLexicon(core.defaultLexiconSpec());
  const before = { ...core.analyzeStats };
  const a = performance.now();
  for (const b of blocks) core.findClaims(b, lex, {});
  driftRuns.push({ ms: performance.now() - a, analysed: core.analyzeStats.sentences - before.sentences });
}

const warm = [];
if (!profileDir) for (let i = 0; i < Number(values["warm-runs"]); i++) warm.push((await full()).ms);

// Re-validation after an edit: change one sentence in a random doc, hand the new text to the
// workspace (incremental re-parse) and validate the docs it reports as affected.
const ws = cold.ws;
const paths = [...ws.docs.keys()].filter((p) => ws.docs.get(p).issues.length > 0).sort();
const texts = new Map(paths.map((p) => [p, readFileSync(join(dir, p), "utf8")]));
const r = prng(Number(values.seed));
function edit() {
  const p = r.pick(paths);
  const text = editOneSentence(texts.get(p), r);
  texts.set(p, text);
  const a = performance.now();
  const affected = ws.setDoc(p, text);
  const b = performance.now();
  const res = core.validateWorkspace(ws, options, affected);
  const c = performance.now();
  return { total: c - a, setDoc: b - a, validate: c - b, affected: affected.size, files: res.size };
}
for (let i = 0; i < Number(values.warmup); i++) edit();
const samples = await profiled("revalidate", async () => {
  const out = [];
  for (let i = 0; i < Number(values.edits); i++) out.push(edit());
  return out;
});

const pct = (xs, q) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const median = (xs) => pct(xs, 0.5);
const round = (x) => (x === null ? null : Math.round(x * 100) / 100);
const ru = process.resourceUsage();
const mem = process.memoryUsage();

process.stdout.write(
  `${JSON.stringify({
    profiled: Boolean(profileDir),
    core_require_ms: round(requireMs),
    cold: { ms: round(cold.ms), discover_ms: round(cold.discover_ms), load_ms: round(cold.load_ms), validate_ms: round(cold.validate_ms) },
    warm_ms: warm.map(round),
    warm_median_ms: round(median(warm)),
    docs: ws.docs.size,
    issues: ws.allDefinitions().size,
    findings: findingCount,
    findings_by_rule: byRule,
    revalidate: {
      edits: samples.length,
      warmup: Number(values.warmup),
      p50_ms: round(pct(samples.map((s) => s.total), 0.5)),
      p95_ms: round(pct(samples.map((s) => s.total), 0.95)),
      max_ms: round(Math.max(...samples.map((s) => s.total))),
      setdoc_p50_ms: round(pct(samples.map((s) => s.setDoc), 0.5)),
      setdoc_p95_ms: round(pct(samples.map((s) => s.setDoc), 0.95)),
      validate_p50_ms: round(pct(samples.map((s) => s.validate), 0.5)),
      validate_p95_ms: round(pct(samples.map((s) => s.validate), 0.95)),
      affected_max: Math.max(...samples.map((s) => s.affected)),
    },
    floor: { runs_ms: floors.map(round), median_ms: round(median(floors)), files: walk(dir, []).length },
    ratio_vs_floor_cold: round(cold.ms / median(floors)),
    ratio_vs_floor_warm: warm.length ? round(median(warm) / median(floors)) : null,
    drift: {
      blocks: blocks.length,
      sentences,
      runs_ms: driftRuns.map((r) => round(r.ms)),
      analysed_sentences: driftRuns[0].analysed,
      ms_per_1000_sentences: round((median(driftRuns.map((r) => r.ms)) / sentences) * 1000),
      ms_per_1000_analysed: round((median(driftRuns.map((r) => r.ms)) / Math.max(1, driftRuns[0].analysed)) * 1000),
    },
    max_rss_mb: round(ru.maxRSS / 1024),
    heap_used_mb: round(mem.heapUsed / 1048576),
  })}\n`,
);
session?.disconnect();
