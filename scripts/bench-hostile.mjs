// Bench section: the hostile inputs of issue 10 (scripts/bench/hostile.mjs), each validated by the
// CLI in a fresh process: wall time, peak RSS, exit code, output size. The contract: every input
// answers in under 10 s and 500 MB with exit 0 or 1 (never a crash, never a silent pass).
// Run by scripts/bench.mjs; prints one JSON object on stdout.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateHostile } from "./bench/hostile.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
const cli = join(ROOT, "dist", "cli.js");
if (!existsSync(cli)) {
  console.error("bench-hostile: dist/cli.js is missing (npm run build)");
  process.exit(2);
}
const time = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-v", "true"]).status === 0 ? "/usr/bin/time" : undefined;
const dir = generateHostile(mkdtempSync(join(tmpdir(), "cto-hostile-")));
const rows = [];
try {
  for (const name of readdirSync(dir).sort()) {
    const ws = join(dir, name);
    if (!existsSync(join(ws, "WORKBOARD.yaml"))) continue;
    const args = [cli, "validate", ws, "--json", "--today", "2026-06-01"];
    const t0 = performance.now();
    const r = time ? spawnSync(time, ["-v", process.execPath, ...args], { encoding: "utf8", maxBuffer: 1 << 30, timeout: 120_000 }) : spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 30, timeout: 120_000 });
    const ms = performance.now() - t0;
    const rss = time ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024 : null;
    let findings = null;
    try {
      findings = JSON.parse(r.stdout).findings.length;
    } catch {}
    rows.push({ case: name, ms: Math.round(ms), rss_mb: rss === null ? null : Math.round(rss), exit: r.status, signal: r.signal, findings, output_kb: Math.round(r.stdout.length / 1024) });
    console.error(`bench-hostile: ${name.padEnd(18)} ${String(Math.round(ms)).padStart(6)} ms ${String(Math.round(rss ?? 0)).padStart(5)} MB exit ${r.status} findings ${findings}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const max = (k) => Math.max(...rows.map((x) => x[k] ?? 0));
const figures = {
  hostile_cases: rows.length,
  hostile_max_ms: max("ms"),
  hostile_max_rss_mb: time ? max("rss_mb") : null,
  hostile_all_exit_0_or_1: rows.every((x) => x.exit === 0 || x.exit === 1) ? "yes" : "NO",
};
process.stdout.write(
  JSON.stringify({
    figures,
    rows: [
      { key: "hostile_max_ms", label: "hostile inputs: slowest of them, cold CLI", unit: "ms", target: "< 10000" },
      { key: "hostile_max_rss_mb", label: "hostile inputs: largest peak RSS", unit: "MB", target: "< 500" },
      { key: "hostile_all_exit_0_or_1", label: "hostile inputs: every exit 0 or 1", target: "yes" },
    ],
    cases: rows,
  }) + "\n",
);
