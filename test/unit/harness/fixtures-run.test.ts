// runFixtures and `cto fixtures`: rows run through runTask and are judged against the matrix
// DOC's row — a broken expectation in a copy of the doc is a mismatch naming the field.
import * as assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { judgeBundle, loadMatrix, runFixtures, type CtoEvent, type MatrixExpectation } from "../../../src/harness";
import { cleanupTemps, FIXTURES, tempDir } from "./helpers";
import { WORKSPACE, workspaceCopy } from "./matrixHelpers";

async function cto(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: process.env };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("harness: runFixtures against the matrix doc", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  it("runs the named rows (by row or folder name) and matches them, each in its own verified bundle", async () => {
    const { rows } = await loadMatrix(WORKSPACE);
    const out = tempDir("cto-fx-");
    const progress: string[] = [];
    const events = new Map<string, string[]>();
    const outcomes = await runFixtures({
      fixturesDir: FIXTURES,
      matrix: rows,
      names: ["self-approval", "gated engine not enabled", "happy path"],
      outDir: out,
      onProgress: (e) => progress.push(`${e.phase}:${e.row}`),
      onEvent: (row: string, e: CtoEvent) => events.set(row, [...(events.get(row) ?? []), e.type]),
    });
    assert.deepEqual(outcomes.map((o) => o.row), ["happy path", "gated engine not enabled", "self approval"], "matrix order");
    for (const o of outcomes) {
      assert.equal(o.matched, true, `${o.row}: ${o.mismatches.join("; ")}`);
      assert.deepEqual(o.mismatches, []);
      assert.equal(o.actual.verified, true);
      assert.ok(o.actual.bundleDir && o.actual.bundleDir.startsWith(out) && existsSync(join(o.actual.bundleDir, "report.json")));
      assert.equal(o.actual.exit, o.expected.exit);
      assert.ok(o.actual.events.includes(o.expected.event));
      assert.ok(events.get(o.row)?.includes("run.finished"), "events streamed per row");
      assert.ok(progress.includes(`started:${o.row}`) && progress.includes(`finished:${o.row}`));
    }
    assert.deepEqual(outcomes.map((o) => o.folder), ["happy-path", "gated-not-enabled", "self-approval"]);
    assert.equal(readdirSync(out).filter((n) => !n.startsWith(".")).length, 3, "one run_id folder per row");
  });

  it("a broken expectation in a copy of the matrix doc is a mismatch that names the field", async () => {
    const { root } = workspaceCopy((t) => t.replace("| gated engine not enabled | `engine_not_enabled` | `engine.gated` | blocked | 22 |", "| gated engine not enabled | `engine_not_enabled` | `engine.refused` | blocked | 99 |"));
    const { rows, problems } = await loadMatrix(root);
    assert.deepEqual(problems, []);
    const [o] = await runFixtures({ fixturesDir: FIXTURES, matrix: rows, names: ["gated engine not enabled"], outDir: tempDir("cto-fx-") });
    assert.equal(o!.matched, false);
    assert.ok(o!.mismatches.includes("exit: expected 99, got 22"), o!.mismatches.join("; "));
    assert.ok(o!.mismatches.some((m) => /^event: expected engine\.refused, not seen \(saw .*engine\.gated/.test(m)), o!.mismatches.join("; "));
    assert.equal(o!.mismatches.length, 2, "blocker and status still agree");
    assert.equal(o!.actual.verified, true, "the bundle itself is fine");
  });

  it("a row with no fixture folder, and an unknown name", async () => {
    const extra: MatrixExpectation = { row: "left-pad installed", blocker: "approval_denied", event: "approval.denied", status: "blocked", exit: 16, doc: "/x.md", line: 40 };
    const [o] = await runFixtures({ fixturesDir: FIXTURES, matrix: [extra], outDir: tempDir("cto-fx-") });
    assert.equal(o!.matched, false);
    assert.match(o!.mismatches[0]!, /no fixture folder .* names this row/);
    await assert.rejects(runFixtures({ fixturesDir: FIXTURES, matrix: [extra], names: ["nope"], outDir: tempDir() }), /unknown fixture 'nope'/);
  });

  it("defines what 'verifies' means for the artifact write failure row", () => {
    const row: MatrixExpectation = { row: "artifact write failure", blocker: "artifact_write_failed", event: "artifact.write_failed", status: "error", exit: 20, doc: "/x.md", line: 1 };
    const other: MatrixExpectation = { ...row, row: "timeout", blocker: "timeout" };
    assert.equal(judgeBundle(row, null, undefined, { tmpHasReport: false }).verified, true, "no bundle at all: nothing claims pass");
    assert.equal(judgeBundle(row, null, undefined, { tmpHasReport: true }).verified, false);
    assert.equal(judgeBundle(other, null, undefined).verified, false, "every other row needs its bundle");
    const v = (verdict: "verified" | "tampered", status: "pass" | "error") => ({ verdict, exitCode: 0, problems: verdict === "verified" ? [] : [{ kind: "tampered" as const, message: "x" }], notes: [], signature: { state: "trusted" as const, keyid: null, name: null, sources: [] }, repoChecked: null, hashedBytes: 0, durationMs: 0, report: { status } as never });
    assert.equal(judgeBundle(row, "/b", v("verified", "error")).verified, true);
    assert.equal(judgeBundle(row, "/b", v("verified", "pass")).verified, false, "a bundle claiming pass after a write failure");
    assert.equal(judgeBundle(row, "/b", v("tampered", "error")).verified, false);
  });

  it("cto fixtures: table and exit 0 when the rows match; --json; 1 on a mismatch; 2 on usage", async () => {
    const out = tempDir("cto-fx-");
    const ok = await cto(["fixtures", "gated-not-enabled", "not admitted / not eligible", "--workspace", WORKSPACE, "--out", out], WORKSPACE);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^row +expected +actual +verified +match +bundle/m);
    assert.match(ok.out, /^gated engine not enabled +engine_not_enabled blocked 22 +engine_not_enabled blocked 22 +yes +✔ /m);
    assert.match(ok.out, /OK: 2\/2 row\(s\) match/);

    const { root } = workspaceCopy((t) => t.replace("| provider unavailable | `provider_unavailable` | `engine.unavailable` | blocked | 21 |", "| provider unavailable | `provider_unavailable` | `engine.unavailable` | fail | 21 |"));
    const bad = await cto(["fixtures", "provider unavailable", "--json", "--out", out], root);
    assert.equal(bad.code, 1, bad.err);
    const j = JSON.parse(bad.out);
    assert.equal(j.ok, false);
    assert.equal(j.workspace, root);
    assert.equal(j.matrix_doc, join(root, ".sot/03-PROTOCOLS/CTO-CASE-FAILURE-FIXTURE-MATRIX.md"));
    assert.deepEqual(j.rows[0].mismatches, ["status: expected fail, got blocked"]);
    assert.equal(j.rows[0].actual.verified, true);

    const usage = await cto(["fixtures", "no-such-row", "--workspace", WORKSPACE, "--out", out], WORKSPACE);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /unknown fixture 'no-such-row'/);
    assert.equal((await cto(["fixtures", "--workspace", tempDir()], WORKSPACE)).code, 2);
  });
});
