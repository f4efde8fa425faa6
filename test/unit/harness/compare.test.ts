// `cto compare`: engines side by side on the same tasks; an engine that cannot run here is
// reported unavailable with its blocker, never skipped; --runs reuses fresh, verified bundles.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { compareEngines, type Comparison } from "../../../src/harness";
import { cleanupTemps, FIXTURES, tempDir } from "./helpers";

const HAPPY = join(FIXTURES, "happy-path", "task.yaml");
const FAILED = join(FIXTURES, "failed-tests", "task.yaml");
/** codex pointed at a CLI that does not exist: provider_unavailable, whatever is installed here. */
const ENV = { ...process.env, CTO_CODEX_COMMAND: "/nonexistent/codex" };

describe("harness: cto compare", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  it("compares fake with unavailable engines on the same tasks and writes comparison.json and .md", async () => {
    const out = join(tempDir("cto-cmp-"), "cmp");
    const { comparison: c, jsonPath, mdPath } = await compareEngines({ engines: ["case", "fake", "codex"], tasks: [HAPPY, FAILED], outDir: out, env: ENV });
    assert.deepEqual(JSON.parse(readFileSync(jsonPath, "utf8")), JSON.parse(JSON.stringify(c)));
    assert.equal(c.schema, "cto.comparison/v2");
    assert.deepEqual(c.tasks.map((t) => t.id), ["add-subtract", "failed-tests"]);
    assert.equal(c.cells.length, 6, "every engine × task, none skipped");
    const s = (e: string) => c.summary.find((x) => x.engine === e)!;
    assert.deepEqual([s("fake").available, s("fake").passed, s("fake").pass_rate, s("fake").blockers_by_kind], [true, 1, 0.5, { tests_failed: 1 }]);
    assert.equal(s("fake").changed_files, 2);
    assert.ok(s("fake").duration_ms_total > 0);
    assert.deepEqual([s("case").available, s("case").unavailable_blockers, s("case").pass_rate], [false, ["engine_not_enabled"], 0]);
    assert.deepEqual([s("codex").available, s("codex").unavailable_blockers], [false, ["provider_unavailable"]]);
    for (const cell of c.cells) {
      assert.equal(cell.source, "ran");
      assert.equal(cell.verdict, "verified", `${cell.engine} × ${cell.task}`);
      assert.ok(cell.bundle && cell.bundle.startsWith("runs/"), "named relative to the comparison folder");
      assert.match(cell.bundle_digest ?? "", /^sha256:[0-9a-f]{64}$/);
    }
    const md = readFileSync(mdPath, "utf8");
    assert.match(md, /\| `case` \| no \(engine_not_enabled\) \| 0\/2 \| 0% \|/);
    assert.match(md, /\| `fake` \| yes \| 1\/2 \| 50% \| 2\/2 \| tests_failed ×1 \| 2 \|/);
    assert.match(md, /\| `add-subtract` \| unavailable \(`engine_not_enabled`\) \| pass, exit 0, verified \| unavailable \(`provider_unavailable`\) \|/);
  });

  it("with --runs reuses the newest fresh, verified bundle per engine × task (refusals are run again)", async () => {
    const runs = join(tempDir("cto-cmp-"), "runs");
    const first = await compareEngines({ engines: ["fake", "codex"], tasks: [HAPPY], outDir: tempDir(), runsDir: runs, env: ENV });
    const second = await compareEngines({ engines: ["fake", "codex"], tasks: [HAPPY], outDir: tempDir(), runsDir: runs, env: ENV });
    const cell = (c: Comparison, e: string) => c.cells.find((x) => x.engine === e)!;
    assert.equal(cell(second.comparison, "fake").source, "reused");
    assert.equal(cell(second.comparison, "fake").run_id, cell(first.comparison, "fake").run_id);
    assert.equal(cell(second.comparison, "codex").source, "ran");
    assert.equal(readdirSync(runs).length, 3);
  });

  it("cto compare: exit 0 when written (whatever the results), 2 on usage", async () => {
    const run = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: FIXTURES, env: ENV };
      return { code: await main(args, io), out: out.join("\n"), err: err.join("\n") };
    };
    const out = join(tempDir("cto-cmp-"), "c");
    const ok = await run(["compare", "--engines", "codex,case", "--tasks", HAPPY, "--out", out, "--json"]);
    assert.equal(ok.code, 0, ok.err);
    const j = JSON.parse(ok.out);
    assert.equal(j.tool, "cto-compare");
    assert.deepEqual(j.summary.map((s: { available: boolean }) => s.available), [false, false]);
    assert.ok(existsSync(join(out, "comparison.md")));
    assert.equal((await run(["compare", "--engines", "fake"])).code, 2);
    const unknown = await run(["compare", "--engines", "fake,nope", "--tasks", HAPPY, "--out", out]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown engine\(s\): nope/);
    assert.equal((await run(["compare", "--engines", "fake", "--tasks", join(FIXTURES, "nope.yaml"), "--out", out])).code, 2);
  });
});
