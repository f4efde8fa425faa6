// Every row of CONTRACT §4's failure fixture matrix, run from its fixture:
// blocker id, characteristic event, blocker.raised, status, exit code — and a
// bundle that verifies, whose report and events match the schemas, while the
// source repo stays untouched.
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { BLOCKERS, listFixtureRows, prepareFixtureRow, verifyBundle } from "../../../src/harness";
import { cleanupTemps, FIXTURES, readJsonl, run, schemaValidator, treeHash } from "./helpers";

describe("harness: failure fixture matrix", function () {
  this.timeout(20_000);
  const rows = listFixtureRows(FIXTURES);
  const repoBefore = treeHash(join(FIXTURES, "repo"));
  after(cleanupTemps);

  it("has one fixture per contract row (16 blockers + the happy path)", () => {
    const ids = rows.map((r) => r.expect.blocker).filter(Boolean).sort();
    assert.deepEqual(ids, BLOCKERS.map((b) => b.id).sort());
    assert.ok(rows.some((r) => r.expect.blocker === null && r.expect.exit === 0));
    for (const r of rows) {
      const row = BLOCKERS.find((b) => b.id === r.expect.blocker);
      if (row) assert.deepEqual([r.expect.event, r.expect.status, r.expect.exit], [row.event, row.status, row.exit], r.name);
    }
  });

  for (const row of rows) {
    it(`${row.name}: ${row.expect.blocker ?? "pass"} → ${row.expect.status}, exit ${row.expect.exit}`, async () => {
      const prep = prepareFixtureRow(row);
      try {
        const r = await run({ ...prep.options, env: { ...process.env, ...prep.env } });
        const rep = r.report;
        assert.equal(rep.exit_code, row.expect.exit, JSON.stringify(rep.blockers));
        assert.equal(r.exitCode, row.expect.exit);
        assert.equal(rep.status, row.expect.status);
        if (row.expect.blocker) {
          assert.ok(rep.blockers.some((b) => b.id === row.expect.blocker), JSON.stringify(rep.blockers));
          assert.equal(rep.blockers.length, rep.blockers.filter((b) => b.id === row.expect.blocker).length, `only the row's blocker: ${JSON.stringify(rep.blockers)}`);
        } else assert.deepEqual(rep.blockers, []);
        assert.ok(r.bundleDir, "a bundle was written");
        const events = readJsonl(join(r.bundleDir!, "events.normalized.jsonl"));
        const types = events.map((e) => e.type);
        assert.ok(types.includes(row.expect.event), `event ${row.expect.event} in ${types.join(",")}`);
        if (row.expect.blocker) {
          const raised = events.filter((e) => e.type === "blocker.raised").map((e) => (e.data as { id: string }).id);
          assert.ok(raised.includes(row.expect.blocker));
          // The characteristic event comes before its blocker.raised.
          assert.ok(types.indexOf(row.expect.event) < types.indexOf("blocker.raised"));
        }
        assert.equal(types[types.length - 1], "run.finished");
        events.forEach((e, i) => assert.equal(e.seq, i + 1));
        const ve = schemaValidator("event");
        for (const e of events) assert.deepEqual(ve(e), [], JSON.stringify(e));
        assert.deepEqual(schemaValidator("report")(rep), []);
        const v = await verifyBundle(r.bundleDir!);
        assert.equal(v.verdict, "verified", JSON.stringify(v.problems));
        if (row.expect.blocker === "artifact_write_failed") assert.ok(!existsSync(join(r.bundleDir!, "patch.diff")));
      } finally {
        prep.cleanup();
      }
    });
  }

  it("never touched the fixture repo", () => {
    assert.equal(treeHash(join(FIXTURES, "repo")), repoBefore);
  });
});
