// Real-engine benchmarks (issue 9): the pinned codex and pi (scripts/engines/install.mjs) against
// our scripted model server on 127.0.0.1, through the harness (runTask, default isolation), in one
// process. Prints one JSON object (a bench section, see scripts/bench.mjs):
//   <engine>_pass_wall_ms            median wall time of a passing run (version probe cached, as in a
//                                    long-lived process such as VS Code)
//   <engine>_first_run_wall_ms       the first passing run of the process (pays the version probe
//                                    inside the isolation, as every `cto run` does)
//   <engine>_overhead_ms             median of (wall − the engine's own span − the tests' span)
//   <engine>_unavailable_test_ms     time to provider_unavailable with no server, test config (low
//                                    retries; progress_timeout_s 5 for codex, 15 for pi)
//   <engine>_unavailable_default_ms  the same with the CLI's default retries and the default 60 s wait
// Targets: overhead < 300 ms; unavailable_test < 10 s; unavailable_default < 60 s.
// Usage: node scripts/bench-engines.mjs [--runs N] [--no-default-wait]
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { ensureEngines } from "./engines/install.mjs";
import { nodeBundleOptions } from "./bundle-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("--runs", Number(process.env.CTO_BENCH_RUNS || 3));
const DEFAULT_WAIT = !process.argv.includes("--no-default-wait");
const log = (m) => process.stderr.write(`bench-engines: ${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

function userHome(dir, engine, port, { lowRetries }) {
  const home = join(dir, "home");
  if (engine === "codex") {
    mkdirSync(join(home, ".codex"), { recursive: true });
    const retries = lowRetries ? ["request_max_retries = 0", "stream_max_retries = 0", "stream_idle_timeout_ms = 4000"] : [];
    writeFileSync(join(home, ".codex", "config.toml"), ['model = "gpt-5.5"', 'model_provider = "local"', "", "[model_providers.local]", 'name = "local"', `base_url = "http://127.0.0.1:${port}/v1"`, 'wire_api = "responses"', 'env_key = "CTO_BENCH_MODEL_KEY"', ...retries, "supports_websockets = false", ""].join("\n"));
  } else {
    const agent = join(home, ".pi", "agent");
    mkdirSync(agent, { recursive: true });
    writeFileSync(join(agent, "models.json"), JSON.stringify({ providers: { local: { baseUrl: `http://127.0.0.1:${port}/v1`, api: "openai-completions", apiKey: "CTO_BENCH_MODEL_KEY", models: [{ id: "local-model", contextWindow: 32000, maxTokens: 4096 }] } } }));
    writeFileSync(join(agent, "settings.json"), JSON.stringify({ defaultProvider: "local", defaultModel: "local-model", ...(lowRetries ? { retry: { enabled: true, maxRetries: 1, baseDelayMs: 100, provider: { maxRetries: 0, timeoutMs: 4000 } } } : {}) }));
  }
  return home;
}

function task(dir, engine, bin, progress) {
  mkdirSync(join(dir, "repo"), { recursive: true });
  writeFileSync(join(dir, "repo", "test.js"), "const sub = require('./src/sub.js');\nif (sub(5, 3) !== 2) process.exit(1);\n");
  const file = join(dir, "task.yaml");
  writeFileSync(file, [`id: bench-${engine}`, 'prompt: "Create src/sub.js exporting subtract(a, b)"', "repo: ./repo", 'allowed_files: ["src/**"]', `test_command: ["${process.execPath}", "test.js"]`, "timeout_s: 300", ...(progress ? [`progress_timeout_s: ${progress}`] : []), `engine_options: { command: ["${bin}"] }`, ""].join("\n"));
  return file;
}

export async function measure() {
  const work = mkdtempSync(join(tmpdir(), "cto-bench-engines-"));
  try {
    const opts = nodeBundleOptions();
    await build({ ...opts, entryPoints: { harness: join(root, "src/harness/index.ts"), server: join(root, "test/engines/support/modelServer.ts") }, outdir: work });
    const req = createRequire(import.meta.url);
    const h = req(join(work, "harness.js"));
    const { startModelServer } = req(join(work, "server.js"));
    const installed = ensureEngines({ log });
    const server = await startModelServer({ mode: "script" });
    const figures = {};
    try {
      for (const engine of ["codex", "pi"]) {
        const dir = join(work, `${engine}-pass`);
        mkdirSync(dir);
        const env = { PATH: process.env.PATH, HOME: userHome(dir, engine, server.port, { lowRetries: true }), LANG: "C.UTF-8", CTO_BENCH_MODEL_KEY: "sk-bench" };
        const file = task(dir, engine, installed[engine].bin, 30);
        const walls = [];
        const overheads = [];
        for (let i = 0; i <= RUNS; i++) {
          const t0 = performance.now();
          const r = await h.runTask({ engine, taskFile: file, outDir: join(dir, "runs"), env, cwd: dir });
          const wall = performance.now() - t0;
          if (r.report.status !== "pass") throw new Error(`${engine} bench run did not pass: ${JSON.stringify(r.report.blockers)}`);
          const spans = readFileSync(join(r.bundleDir, "trace.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
          const inner = spans.filter((s) => s.span === "engine" || s.span === "tests").reduce((a, s) => a + s.duration_ms, 0);
          if (i === 0) figures[`${engine}_first_run_wall_ms`] = Math.round(wall);
          else {
            walls.push(wall);
            overheads.push(wall - inner);
          }
          log(`${engine} pass run ${i}: ${Math.round(wall)} ms (engine+tests ${Math.round(inner)} ms)`);
        }
        figures[`${engine}_pass_wall_ms`] = Math.round(median(walls));
        figures[`${engine}_overhead_ms`] = Math.round(median(overheads));

        for (const [key, low, progress] of [["test", true, engine === "codex" ? 5 : 15], ...(DEFAULT_WAIT ? [["default", false, undefined]] : [])]) {
          const d = join(work, `${engine}-noserver-${key}`);
          mkdirSync(d);
          const port = await freePort();
          const e2 = { PATH: process.env.PATH, HOME: userHome(d, engine, port, { lowRetries: low }), LANG: "C.UTF-8", CTO_BENCH_MODEL_KEY: "sk-bench" };
          const f2 = task(d, engine, installed[engine].bin, progress);
          const t0 = performance.now();
          const r = await h.runTask({ engine, taskFile: f2, outDir: join(d, "runs"), env: e2, cwd: d });
          const ms = performance.now() - t0;
          if (r.report.blockers[0]?.id !== "provider_unavailable") throw new Error(`${engine} with no server: expected provider_unavailable, got ${JSON.stringify(r.report.blockers)}`);
          figures[`${engine}_unavailable_${key}_ms`] = Math.round(ms);
          log(`${engine} no server (${key} config): provider_unavailable in ${Math.round(ms)} ms — ${r.report.blockers[0].reason.slice(0, 120)}`);
        }
      }
    } finally {
      await server.close();
    }
    return figures;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await measure();
  const rows = [];
  for (const e of ["codex", "pi"]) {
    rows.push({ key: `${e}_pass_wall_ms`, label: `${e}: passing run, wall`, unit: "ms" });
    rows.push({ key: `${e}_first_run_wall_ms`, label: `${e}: first run (version probe inside the isolation)`, unit: "ms" });
    rows.push({ key: `${e}_overhead_ms`, label: `${e}: harness overhead beyond engine + tests`, unit: "ms", target: "< 300 ms" });
    rows.push({ key: `${e}_unavailable_test_ms`, label: `${e}: no server → provider_unavailable (test config)`, unit: "ms", target: "< 10000 ms" });
    if (`${e}_unavailable_default_ms` in figures) rows.push({ key: `${e}_unavailable_default_ms`, label: `${e}: no server → provider_unavailable (defaults)`, unit: "ms", target: "< 60000 ms" });
  }
  process.stdout.write(JSON.stringify({ figures, rows }) + "\n");
}
