// CTO: Check Engines in a real extension host: the same checks as `cto engines`, shown as a
// read-only document, answering for this machine (found or not, version, config source, gating).
import * as assert from "assert";
import { existsSync } from "fs";
import * as path from "path";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import type { EngineCheck } from "../../src/harness/engines/check";
import { getApi } from "./util";

const onPath = (cmd: string) => (process.env.PATH ?? "").split(path.delimiter).some((d) => d && existsSync(path.join(d, cmd)));

suite("engines check in the extension host", () => {
  suiteSetup(async () => {
    await (await getApi<CtoApi>()).ready;
  });

  test("CTO: Check Engines reports every engine truthfully and opens the report", async function () {
    this.timeout(90_000);
    const checks = (await vscode.commands.executeCommand("cto.checkEngines")) as EngineCheck[];
    assert.deepStrictEqual(checks.map((c) => c.id), ["fake", "codex", "pi", "case"]);
    const by = Object.fromEntries(checks.map((c) => [c.id, c]));
    assert.strictEqual(by.fake!.found, true);
    assert.strictEqual(by.fake!.starts, true);
    for (const [id, cmd] of [["codex", "codex"], ["pi", "pi"], ["case", "ca"]] as const) {
      assert.strictEqual(by[id]!.found, onPath(cmd), `${id}: found must say whether '${cmd}' is on PATH`);
      if (!by[id]!.found) assert.match(by[id]!.start_detail, /not found on PATH/);
    }
    assert.strictEqual(by.codex!.config!.variable, "CODEX_HOME");
    assert.strictEqual(by.pi!.config!.variable, "PI_CODING_AGENT_DIR");
    // case is gated: not enabled by default, and not eligible without its records.
    assert.strictEqual(by.case!.gate!.enabled, false);
    assert.strictEqual(by.case!.gate!.eligible, false);
    const doc = vscode.window.activeTextEditor?.document;
    assert.ok(doc && doc.getText().startsWith("# CTO: engines on this machine"), "the report is shown");
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });
});
