// The failure matrix as a planning doc: loadMatrix (good doc, malformed table → located
// problems), findMatrixWorkspace, and the agreement between the doc and the fixture folders —
// so the doc and the fixtures can never silently disagree.
import * as assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findMatrixWorkspace, listFixtureRows, loadMatrix, MatrixWorkspaceError, packageFixturesDir, rowKey, selectRows } from "../../../src/harness";
import { cleanupTemps, FIXTURES, ROOT, tempDir } from "./helpers";
import { MATRIX_REL, WORKSPACE, workspaceCopy } from "./matrixHelpers";

describe("harness: the failure matrix doc", () => {
  after(cleanupTemps);

  it("loads the fixture workspace's 17 rows with their lines and the doc's absolute path", async () => {
    const m = await loadMatrix(WORKSPACE);
    assert.deepEqual(m.problems, []);
    assert.equal(m.doc, join(WORKSPACE, MATRIX_REL));
    assert.equal(m.rows.length, 17);
    const text = readFileSync(m.doc!, "utf8").split("\n");
    for (const r of m.rows) {
      assert.equal(r.doc, m.doc);
      assert.ok(text[r.line - 1]!.startsWith(`| ${r.row} |`), `line ${r.line} is row '${r.row}'`);
    }
    assert.deepEqual(m.rows[0], { row: "happy path", blocker: null, event: "run.finished", status: "pass", exit: 0, doc: m.doc, line: m.rows[0]!.line });
    const t = m.rows.find((r) => r.row === "timeout")!;
    assert.deepEqual([t.blocker, t.event, t.status, t.exit], ["timeout", "engine.timeout", "blocked", 17]);
  });

  it("reports a malformed table row by row, located, without throwing", async () => {
    const { root } = workspaceCopy((t) =>
      t
        .replace("| timeout | `timeout` | `engine.timeout` | blocked | 17 |", "| timeout | `timeout` | `engine.timeout` | stuck | 17 |")
        .replace("| no diff | `no_diff` | `diff.empty` | fail | 10 |", "| no diff | `no_diff` | `diff.empty` | fail | ten |")
        .replace("| self approval | `self_approval` |", "| self approval | `Self Approval!` |"),
    );
    const m = await loadMatrix(root);
    const lines = readFileSync(join(root, MATRIX_REL), "utf8").split("\n");
    const lineOf = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix)) + 1;
    const at = (line: number, re: RegExp) => assert.ok(m.problems.some((p) => p.line === line && re.test(p.message)), `${re} on line ${line}: ${JSON.stringify(m.problems)}`);
    at(lineOf("| timeout |"), /row 'timeout': status must be pass, fail, blocked or error/);
    at(lineOf("| no diff |"), /row 'no diff': exit must be a number/);
    at(lineOf("| self approval |"), /blocker id must be snake_case/);
    // The rows that failed to parse are missing; the others are still there.
    assert.equal(m.rows.length, 14);
    assert.ok(m.problems.some((p) => /lacks rows: no diff, timeout/.test(p.message)));
  });

  it("reports a missing table, a duplicate row and a folder that is no workspace", async () => {
    const noTable = await loadMatrix(workspaceCopy((t) => t.replace("| fixture | blocker id |", "| fixture | blocker |")).root);
    assert.equal(noTable.rows.length, 0);
    assert.match(noTable.problems[0]!.message, /lacks a table headed/);
    assert.ok(noTable.problems[0]!.line > 1, "located on the doc's heading");

    const dup = await loadMatrix(workspaceCopy((t) => t.replace("| happy path | — |", "| Timeout | `timeout` | `engine.timeout` | blocked | 17 |\n| happy path | — |")).root);
    assert.ok(dup.problems.some((p) => /row 'timeout' is also on line \d+: row names must be unique/.test(p.message)), JSON.stringify(dup.problems));

    const none = await loadMatrix(tempDir());
    assert.deepEqual(none.rows, []);
    assert.match(none.problems[0]!.message, /not a CTO child workspace/);
  });

  it("finds the one workspace holding a matrix at, below or above a folder — and refuses none or several", async () => {
    const one = tempDir();
    cpSync(workspaceCopy().root, join(one, "only"), { recursive: true });
    assert.equal((await findMatrixWorkspace(one)).root, join(one, "only")); // below
    // The repo itself holds two (fixtures/workspace and fixtures/ladder): named, never a guess.
    await assert.rejects(findMatrixWorkspace(ROOT), (e: Error) => /several failure-matrix records/.test(e.message) && e.message.includes(WORKSPACE) && e.message.includes(join(ROOT, "fixtures", "ladder")));
    assert.equal((await findMatrixWorkspace(join(WORKSPACE, ".sot"))).root, WORKSPACE); // above
    const parent = tempDir();
    const a = workspaceCopy();
    cpSync(a.root, join(parent, "a"), { recursive: true });
    cpSync(a.root, join(parent, "b"), { recursive: true });
    await assert.rejects(findMatrixWorkspace(parent), (e: Error) => e instanceof MatrixWorkspaceError && /several failure-matrix records/.test(e.message) && e.message.includes(join(parent, "a")) && e.message.includes(join(parent, "b")));
    const bare = tempDir();
    mkdirSync(join(bare, "ws"));
    writeFileSync(join(bare, "ws", "WORKBOARD.yaml"), "docs: []\n");
    await assert.rejects(findMatrixWorkspace(bare), /holds a failure-matrix record/);
    await assert.rejects(findMatrixWorkspace(tempDir()), /no CTO child workspace/);
  });

  it("every expect.yaml names a doc row and agrees with it; every doc row has a fixture folder", async () => {
    const m = await loadMatrix(WORKSPACE);
    const folders = listFixtureRows(FIXTURES);
    assert.equal(packageFixturesDir(), FIXTURES);
    for (const f of folders) {
      assert.ok(f.expect.row, `${f.name}/expect.yaml has row:`);
      const row = m.rows.find((r) => r.row === f.expect.row); // exact name, as the doc writes it
      assert.ok(row, `${f.name}: row '${f.expect.row}' is in the doc`);
      assert.deepEqual(
        { blocker: f.expect.blocker, event: f.expect.event, status: f.expect.status, exit: f.expect.exit },
        { blocker: row.blocker, event: row.event, status: row.status, exit: row.exit },
        `${f.name}/expect.yaml vs the doc's row '${row.row}' (line ${row.line})`,
      );
    }
    for (const r of m.rows) assert.equal(folders.filter((f) => f.expect.row && rowKey(f.expect.row) === rowKey(r.row)).length, 1, `one fixture folder for row '${r.row}'`);
  });

  it("selects rows by row name or folder name, and refuses an unknown name", async () => {
    const m = await loadMatrix(WORKSPACE);
    const folders = listFixtureRows(FIXTURES);
    assert.deepEqual(selectRows(m.rows, folders, ["Self Approval", "gated-not-enabled"]).map((r) => r.row), ["gated engine not enabled", "self approval"]);
    assert.throws(() => selectRows(m.rows, folders, ["timeout", "no-such-row"]), /unknown fixture 'no-such-row'/);
  });
});
