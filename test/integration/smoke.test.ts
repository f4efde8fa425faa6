// Proves the pipeline: a real extension host, the workspace copy open, the extension present,
// and a screenshot of the workbench.
import * as assert from "assert";
import * as vscode from "vscode";
import { EXTENSION_ID, getApi, screenshot, workspaceRoot } from "./util";

suite("smoke", () => {
  test("a workspace folder is open (the runner's temp copy)", () => {
    assert.strictEqual(vscode.workspace.workspaceFolders?.length, 1);
    const expected = process.env.CTO_TEST_WORKSPACE;
    if (expected) assert.strictEqual(workspaceRoot().fsPath, expected);
    console.log(`host: VS Code ${vscode.version}, ${vscode.env.appName}, node ${process.version}, `
      + `remote ${vscode.env.remoteName ?? "none"}, trusted ${vscode.workspace.isTrusted}`);
  });

  test("the extension is present and activates", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found`);
    assert.strictEqual(ext.packageJSON.name, "cto-workbench");
    await getApi();
    assert.ok(ext.isActive);
  });

  test("screenshot of the workbench", async () => {
    await vscode.commands.executeCommand("workbench.view.explorer");
    const file = await screenshot("smoke-workbench");
    if (file) console.log(`screenshot saved: ${file}`);
  });
});
