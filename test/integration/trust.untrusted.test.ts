// Runs with the workspace opened untrusted (the runner's second host run): nothing executes,
// validation still works.
import * as assert from "assert";
import { existsSync, readdirSync } from "fs";
import * as path from "path";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import { getApi, waitForDiagnostics, workspaceRoot } from "./util";

suite("untrusted workspace", () => {
  let api: CtoApi;

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
  });

  test("the workspace really is untrusted", () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
  });

  test("validation still works", async () => {
    const seed = vscode.Uri.joinPath(workspaceRoot(), ".sot", "03-PROTOCOLS", "CTO-CASE-CANDIDATE-BACKEND-ISSUES.md");
    const diags = await waitForDiagnostics(seed, (d) => d.some((x) => x.source === "cto"));
    assert.ok(diags.every((d) => d.severity !== vscode.DiagnosticSeverity.Error));
  });

  test("runs, fixtures and the Test Explorer execute nothing", async () => {
    const runs = path.join(workspaceRoot().fsPath, ".cto", "runs");
    const count = () => (existsSync(runs) ? readdirSync(runs).length : 0);
    const before = count();
    const taskFile = path.join(api.features.harness.fixturesDir(), "happy-path", "task.yaml");
    assert.strictEqual(await vscode.commands.executeCommand("cto.runEngine", "fake", taskFile), undefined);
    assert.strictEqual(await vscode.commands.executeCommand("cto.runAllFixtures"), undefined);
    assert.strictEqual(await vscode.commands.executeCommand("cto.runFixture", "happy path"), undefined);
    const tests = api.features.tests;
    await tests.discover();
    const items: vscode.TestItem[] = [];
    tests.controller.items.forEach((i) => items.push(i));
    await tests.profile.runHandler(new vscode.TestRunRequest(items.slice(0, 2)), new vscode.CancellationTokenSource().token);
    assert.deepStrictEqual(items.slice(0, 2).map((i) => tests.lastResults.get(i.id)?.state), ["skipped", "skipped"]);
    assert.strictEqual(count(), before, "no bundle was written");
  });

  test("no Validator: line runs and no done record is written (cto done's editor side)", async () => {
    const done = path.join(workspaceRoot().fsPath, ".cto", "done");
    assert.strictEqual(await vscode.commands.executeCommand("cto.recordDone", "CTO-WORK-003"), undefined);
    assert.strictEqual(await vscode.commands.executeCommand("cto.recheckDone", "CTO-WORK-003"), undefined);
    assert.strictEqual(existsSync(done), false, "nothing was recorded");
  });
});
