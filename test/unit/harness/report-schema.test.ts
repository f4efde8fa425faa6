// The report schema (schemas/report.schema.json, also VS Code's jsonValidation for report.json)
// accepts every optional field the runner writes — engine.home_seeded, cut,
// freshness.sandbox_repo — on a real run's report; it had fallen behind the Report type.
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupTemps, FIXTURES, run, schemaValidator } from "./helpers";

describe("harness: the report schema covers the optional fields", function () {
  this.timeout(30_000);
  after(cleanupTemps);
  it("home_seeded, cut and sandbox_repo validate; an unknown key still does not", async () => {
    const r = await run({ taskFile: join(FIXTURES, "happy-path", "task.yaml") });
    const check = schemaValidator("report");
    assert.deepEqual(check(r.report), []);
    const full = JSON.parse(JSON.stringify(r.report));
    full.engine.home_seeded = [".codex/config.toml"];
    full.cut = { "raw/engine.stdout.log": 1048576 };
    full.freshness.sandbox_repo = { id: "sbr-20261202T000000-00000000", source_repo: "/src/repo", source_head: "a".repeat(40), source_tree: "b".repeat(40), marker_sha256: "c".repeat(64) };
    assert.deepEqual(check(full), []);
    assert.notDeepEqual(check({ ...full, surprise: 1 }), [], "the schema still refuses what the runner never writes");
    assert.notDeepEqual(check({ ...full, freshness: { ...full.freshness, sandbox_repo: { id: "x" } } }), []);
  });
});
