// Every folder of fixtures/broken breaks one rule; its EXPECTED.yaml lists the findings.
// The fixture workspace itself must validate with no errors.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { runValidate } from "../../../src/cli/commands/validate";
import { discoverWorkspaces, loadWorkspace, nodeFs, validateWorkspace } from "../../../src/core";
import { FIXTURES, options, TODAY } from "../helpers";

interface Expected {
  rule: string;
  file: string;
  line: number;
  column?: number;
}

describe("fixtures/broken scenarios", () => {
  const root = path.join(FIXTURES, "broken");
  for (const name of readdirSync(root).sort()) {
    it(`${name}: exactly the expected findings`, async () => {
      const dir = path.join(root, name);
      const expected = (parse(readFileSync(path.join(dir, "EXPECTED.yaml"), "utf8")) ?? []) as Expected[];
      const run = await runValidate([dir], options());
      const got = run.findings.map((f) => ({ rule: f.rule, file: f.relFile, line: f.range.line, column: f.range.column }));
      assert.equal(got.length, expected.length, `findings: ${JSON.stringify(got, null, 1)}`);
      for (const e of expected) {
        assert.ok(
          got.some((g) => g.rule === e.rule && g.file === e.file && g.line === e.line && (e.column === undefined || g.column === e.column)),
          `missing ${JSON.stringify(e)} in ${JSON.stringify(got, null, 1)}`,
        );
      }
      // Every broken folder breaks its own rule (edge holds several kinds).
      if (name !== "edge") assert.ok(got.some((g) => g.rule === name.replace(/-cycle$/, "")), `no ${name} finding`);
    });
  }
});

describe("fixture workspace", () => {
  const dir = path.join(FIXTURES, "workspace");

  it(`validates with no findings when the clock is pinned to ${TODAY}`, async () => {
    const run = await runValidate([dir], options());
    assert.deepEqual(run.findings, []);
    assert.equal(run.files.length, 7);
    assert.deepEqual(run.skipped.map((s) => s.file), ["README.md"]);
  });

  it("gives the seed's old review the honest stale-review warning on a later clock, and no error", async () => {
    const run = await runValidate([dir], options({ today: "2026-11-25" }));
    assert.equal(run.findings.filter((f) => f.severity === "error").length, 0);
    const seed = run.findings.filter((f) => f.relFile.endsWith("CTO-CASE-CANDIDATE-BACKEND-ISSUES.md"));
    assert.deepEqual(seed.map((f) => [f.rule, f.range.line, f.range.column]), [["stale-review", 8, 16]]);
  });

  it("applies the workspace's own lexicon (.cto/lexicon.yaml)", async () => {
    const ws = await loadWorkspace((await discoverWorkspaces(dir, nodeFs))[0], nodeFs);
    const rel = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-PRD.md";
    ws.setDoc(rel, ws.docs.get(rel)!.text + "\nFrom now on Case is our blessed backend.\n");
    const found = validateWorkspace(ws, options()).get(rel)!.filter((f) => f.rule === "authority-drift");
    assert.equal(found.length, 1);
    // the workspace's own claim wins: its message and its replacement fix
    assert.match(found[0].message, /^"Blessed" claims default status/);
    assert.ok(found[0].fixes?.some((f) => f.edits[0].newText === "candidate backend"), JSON.stringify(found[0].fixes));
    ws.setLexicon(undefined);
    const builtIn = validateWorkspace(ws, options()).get(rel)!.filter((f) => f.rule === "authority-drift");
    assert.ok(builtIn.every((f) => !/^"Blessed"/.test(f.message)), "without the workspace lexicon its claim is gone");
  });
});
