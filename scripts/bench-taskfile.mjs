// Task-file bounds (issue 8, item 6): what the largest hostile task file the
// parser accepts costs, what refusing a bigger one costs, and the plain-folder
// pre-scan. Prints one JSON object (a `npm run bench` section):
//   task_max_flow_ms, task_max_flow_rss_mb    loadTask() of a 1 MiB task file that is one long
//                                             flow list (the parser's worst case per byte; refused by
//                                             the item cap before parsing), fresh process
//   task_capped_flow_ms, task_capped_flow_rss_mb  the largest flow list the cap lets through
//   task_max_steps_ms, task_max_steps_rss_mb  the same for 1 MiB of scenario steps
//   task_50mb_refusal_ms                      loadTask() of a 50 MB file (refused before reading)
//   plain_scan_10k_ms                         scanPlainFolder() over 10,000 files in 100 folders
// Usage: node scripts/bench-taskfile.mjs
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { nodeBundleOptions } from "./bundle-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (m) => process.stderr.write(`[bench-taskfile] ${m}\n`);
const work = mkdtempSync(join(tmpdir(), "cto-bench-task-"));
const r1 = (x) => Math.round(x * 10) / 10;
try {
  const out = join(work, "harness.cjs");
  await build({ ...nodeBundleOptions(), entryPoints: [join(root, "src/harness/index.ts")], outfile: out });
  const MAX = createRequire(import.meta.url)(out).TASK_LIMITS.file_bytes;

  const flow = join(work, "flow.yaml");
  let s = `id: x\nrepo: .\nscenario:\n  - emit: { type: engine.message, data: { a: [`;
  s += "1,".repeat(Math.floor((MAX - s.length - 16) / 2)) + "1] } }\n";
  writeFileSync(flow, s);
  // The largest flow list the item cap lets through (TASK_LIMITS.yaml_items), for its memory.
  const capped = join(work, "capped.yaml");
  const cap = createRequire(import.meta.url)(out).TASK_LIMITS.yaml_items;
  writeFileSync(capped, `id: x\nrepo: .\nscenario:\n  - emit: { type: engine.message, data: { a: [${"1,".repeat(cap - 10)}1] } }\n`);
  const steps = join(work, "steps.yaml");
  const step = `  - write: { path: a.js, content: "x" }\n`;
  const head = `id: x\nrepo: .\nscenario:\n`;
  writeFileSync(steps, head + step.repeat(Math.floor((MAX - head.length) / step.length)));
  const big = join(work, "big.yaml");
  writeFileSync(big, "id: x\nrepo: .\n");
  truncateSync(big, 50 * 1024 * 1024);

  /** loadTask(file) in a fresh process: its wall time in-process and peak RSS. */
  const probe = (file, expectOk) => {
    const code = `const h=require(${JSON.stringify(out)});const t=performance.now();let ok=true;try{h.loadTask(${JSON.stringify(file)})}catch(e){ok=false;if(!(e instanceof h.TaskError))throw e}` + `;process.stdout.write(JSON.stringify({ms:performance.now()-t,ok,rss:process.resourceUsage().maxRSS/1024}))`;
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`probe of ${file} failed: ${r.stderr.slice(0, 400)}`);
    const j = JSON.parse(r.stdout);
    if (j.ok !== expectOk) throw new Error(`${file}: expected ${expectOk ? "accepted" : "refused"}`);
    return j;
  };
  log("1 MiB flow list");
  const f = probe(flow, false);
  log("the largest flow list under the item cap");
  const c = probe(capped, true);
  log("1 MiB of scenario steps");
  const st = probe(steps, true);
  log("50 MB file");
  const b = probe(big, false);

  log("plain-folder scan, 10,000 files");
  const plain = join(work, "plain");
  for (let d = 0; d < 100; d++) {
    mkdirSync(join(plain, `d${d}`), { recursive: true });
    for (let i = 0; i < 100; i++) writeFileSync(join(plain, `d${d}`, `f${i}.txt`), "x");
  }
  const code = `const {scanPlainFolder}=require(${JSON.stringify(out)});const ts=[];for(let i=0;i<5;i++){const t=performance.now();if(scanPlainFolder(${JSON.stringify(plain)}))throw new Error("refused");ts.push(performance.now()-t)}ts.sort((a,b)=>a-b);process.stdout.write(String(ts[2]))`;
  const scan = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
  if (scan.status !== 0) throw new Error(`scan failed: ${scan.stderr.slice(0, 400)}`);

  const figures = {
    task_max_flow_ms: r1(f.ms),
    task_max_flow_rss_mb: r1(f.rss),
    task_capped_flow_ms: r1(c.ms),
    task_capped_flow_rss_mb: r1(c.rss),
    task_max_steps_ms: r1(st.ms),
    task_max_steps_rss_mb: r1(st.rss),
    task_50mb_refusal_ms: r1(b.ms),
    plain_scan_10k_ms: r1(Number(scan.stdout)),
  };
  const rows = [
    { key: "task_max_flow_ms", label: "1 MiB task file, one flow list (refused by the item cap)", unit: "ms" },
    { key: "task_max_flow_rss_mb", label: "  its peak RSS", unit: "MB" },
    { key: "task_capped_flow_ms", label: "the largest flow list under the item cap, parsed", unit: "ms" },
    { key: "task_capped_flow_rss_mb", label: "  its peak RSS", unit: "MB" },
    { key: "task_max_steps_ms", label: "1 MiB task file of scenario steps", unit: "ms" },
    { key: "task_max_steps_rss_mb", label: "  its peak RSS", unit: "MB" },
    { key: "task_50mb_refusal_ms", label: "50 MB task file refused", unit: "ms" },
    { key: "plain_scan_10k_ms", label: "plain-folder pre-scan, 10,000 files (median of 5)", unit: "ms" },
  ];
  process.stdout.write(JSON.stringify({ figures, rows }) + "\n");
} finally {
  rmSync(work, { recursive: true, force: true });
}
