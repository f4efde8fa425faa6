// docs/ci/compare-matrix.yml: it parses as YAML, is a strategy.matrix of N shard jobs and a merge
// job that needs them, every `cto` command line in it names a command and options that exist
// (parsed with `cto compare`'s own option table), the shard jobs' artifacts are what the merge
// downloads — and its command lines, played on this machine (each shard in its own process, its
// output "uploaded" under its artifact name), merge into a comparison.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { COMPARE_OPTIONS } from "../../../src/cli/commands/compare";
import { main } from "../../../src/cli/main";
import { parseShard } from "../../../src/harness";
import { compareWorkspace } from "./compareHelpers";
import { CLI, cleanupTemps, ROOT, tempDir } from "./helpers";

const FILE = join(ROOT, "docs", "ci", "compare-matrix.yml");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}

/** Splits a shell command line into words (quotes, no expansion beyond what `expand` did). */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q: string | null = null;
  let any = false;
  for (const ch of line) {
    if (q) {
      if (ch === q) q = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      q = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = "";
      any = false;
    } else cur += ch;
  }
  assert.equal(q, null, `unterminated quote in: ${line}`);
  if (cur || any) out.push(cur);
  return out;
}

describe("docs/ci: the GitHub Actions matrix workflow for cto compare", function () {
  this.timeout(120_000);
  after(cleanupTemps);
  const wf = parse(readFileSync(FILE, "utf8")) as { on: unknown; env: Record<string, string>; jobs: Record<string, Job> };
  const shard = wf.jobs.shard!;
  const merge = wf.jobs.merge!;
  const shards = (shard.strategy?.matrix?.shard ?? []) as number[];
  /** The `cto` invocations of a job: [subcommand, ...args] with ${{ }} and $VARS expanded for one matrix value. */
  const ctoLines = (job: Job, k?: number, vars: Record<string, string> = {}) =>
    job.steps
      .filter((s) => s.run)
      .flatMap((s) => s.run!.split("\n"))
      .filter((l) => /\bnode dist\/cli\.js\b/.test(l))
      .map((l) => {
        const e = l
          .replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, String(k ?? "K"))
          .replace(/\$\{\{\s*strategy\.job-total\s*\}\}/g, String(shards.length))
          .replace(/\$(\w+)/g, (_, v: string) => vars[v] ?? wf.env[v] ?? `$${v}`);
        assert.doesNotMatch(e, /\$\{\{/, `an expression the test does not know: ${l}`);
        const w = words(e);
        return w.slice(w.indexOf("dist/cli.js") + 1);
      });

  it("parses as YAML: N ≥ 2 shard jobs in a strategy.matrix, and a merge job that needs them", () => {
    assert.ok(wf.on, "has triggers");
    assert.ok(shards.length >= 2 && shards.every((k, i) => k === i + 1), `matrix.shard is 1..N: ${JSON.stringify(shards)}`);
    assert.deepEqual([merge.needs].flat(), ["shard"]);
    assert.equal(ctoLines(shard).length, 1);
    assert.equal(ctoLines(merge).length, 1);
  });

  it("calls commands and options that exist: each shard a valid --shard K/N, the merge --merge on what the shards upload", async () => {
    for (const k of shards) {
      const [cmd, ...args] = ctoLines(shard, k)[0]!;
      assert.equal(cmd, "compare");
      const { values } = parseArgs({ args, options: COMPARE_OPTIONS, strict: true, allowPositionals: false });
      assert.deepEqual(parseShard(String(values.shard)), { k, n: shards.length });
      assert.equal(values["task-set"], wf.env.CTO_TASK_SET);
      const upload = shard.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
      assert.equal(String(upload.with!.path).replace("${{ matrix.shard }}", String(k)), values.out, "the shard's --out is what it uploads");
      assert.equal(String(upload.with!.name), "compare-shard-${{ matrix.shard }}");
    }
    const [cmd, ...args] = ctoLines(merge)[0]!;
    assert.equal(cmd, "compare");
    const { values, positionals } = parseArgs({ args, options: COMPARE_OPTIONS, strict: true, allowPositionals: true });
    assert.equal(values.merge, true);
    const download = merge.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))!;
    assert.deepEqual(positionals, [`${download.with!.path}/compare-shard-*`], "the merge reads every downloaded shard artifact");
    assert.equal(download.with!.pattern, "compare-shard-*");
    // the subcommands exist (their --help exits 0)
    for (const c of new Set([...ctoLines(shard, 1), ...ctoLines(merge)].map((l) => l[0]!))) assert.equal(await main([c, "--help"], { out: () => {}, err: () => {}, cwd: ROOT, env: {} }), 0, c);
    // every job that runs cto signs with the CI key from a secret, never a key of the runner's own
    for (const job of [shard, merge]) assert.ok(job.steps.some((s) => /CTO_SIGNING_KEY=/.test(s.run ?? "") && /secrets\.CTO_CI_SIGNING_KEY/.test(JSON.stringify(s.env ?? {}))));
  });

  it("its command lines, played here (shards in parallel processes, artifacts copied), merge into a comparison", async () => {
    const ws = compareWorkspace(["pass"]);
    const work = tempDir("cto-wf-");
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((res) => {
        const p = spawn(process.execPath, [CLI, ...args], { cwd: work, env: ws.env, stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        p.stderr.on("data", (d) => (err += d));
        p.on("close", (code) => res({ code, err }));
      });
    // The replayers stand in for the engines here: the test adds the flags they need.
    const results = await Promise.all(shards.map((k) => run([...ctoLines(shard, k, { CTO_TASK_SET: ws.taskSet })[0]!, ...ws.cliFlags])));
    results.forEach((r, i) => assert.equal(r.code, 0, `shard ${i + 1}: ${r.err}`));
    for (const k of shards) cpSync(join(work, `shard-${k}`), join(work, "shards", `compare-shard-${k}`), { recursive: true });
    const [cmd, ...args] = ctoLines(merge, undefined, { CTO_TASK_SET: ws.taskSet })[0]!;
    const expanded = args.flatMap((a) => (a.endsWith("/compare-shard-*") ? readdirSync(join(work, "shards")).sort().map((n) => join(work, "shards", n)) : [a]));
    mkdirSync(join(work, "comparison"), { recursive: true });
    const m = await run([cmd!, ...expanded]);
    assert.equal(m.code, 0, m.err);
    const c = JSON.parse(readFileSync(join(work, "comparison", "comparison.json"), "utf8"));
    assert.equal(c.cells.length, 4);
    assert.equal(c.origin.kind, "merge");
    assert.ok(c.cells.every((x: { status: string; verdict: string }) => x.status === "pass" && x.verdict === "verified"), JSON.stringify(c.cells.map((x: { engine: string; status: string; blockers: string[] }) => [x.engine, x.status, x.blockers])));
  });
});
