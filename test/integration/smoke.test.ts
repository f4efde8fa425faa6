// Proves the pipeline: a real extension host, the workspace copy open, the extension present and
// loaded from where the runner put it (the development folder, or — in the installed-.vsix run —
// the host's extensions folder), validating, and a screenshot of the workbench.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import * as vscode from "vscode";
import { EXTENSION_ID, getApi, screenshot, waitForDiagnostics, workspaceRoot } from "./util";

suite("smoke", () => {
  test("a workspace folder is open (the runner's temp copy)", () => {
    assert.strictEqual(vscode.workspace.workspaceFolders?.length, 1);
    const expected = process.env.CTO_TEST_WORKSPACE;
    if (expected) assert.strictEqual(workspaceRoot().fsPath, expected);
    console.log(`host: VS Code ${vscode.version}, ${vscode.env.appName}, node ${process.version}, `
      + `remote ${vscode.env.remoteName ?? "none"}, trusted ${vscode.workspace.isTrusted}`);
  });

  test("the extension is present, loaded from where the runner put it, and activates", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} not found`);
    assert.strictEqual(ext.packageJSON.name, "cto-workbench");
    const expectedDir = process.env.CTO_EXPECT_EXTENSION_DIR;
    if (expectedDir) {
      const inside = ext.extensionPath === expectedDir || ext.extensionPath.startsWith(expectedDir + path.sep);
      assert.ok(inside, `loaded from ${ext.extensionPath}, expected below ${expectedDir}`);
    }
    console.log(`extension: ${ext.extensionPath}${ext.extensionKind === vscode.ExtensionKind.Workspace ? " (workspace)" : ""}`);
    await getApi();
    assert.ok(ext.isActive);
  });

  test("it validates: the seed's old review date is a stale-review warning", async () => {
    const seed = vscode.Uri.joinPath(workspaceRoot(), ".sot", "03-PROTOCOLS", "CTO-CASE-CANDIDATE-BACKEND-ISSUES.md");
    const diags = await waitForDiagnostics(seed, (d) => d.some((x) => x.source === "cto" && x.code === "stale-review"));
    assert.strictEqual(diags.find((x) => x.code === "stale-review")!.severity, vscode.DiagnosticSeverity.Warning);
  });

  test("the CLI it ships runs (cto validate --format sarif on the workspace)", () => {
    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "dist", "cli.js");
    const out = execFileSync(process.execPath, [cli, "validate", workspaceRoot().fsPath, "--format", "sarif", "--today", "2026-06-01"], { encoding: "utf8" });
    const log = JSON.parse(out);
    assert.strictEqual(log.version, "2.1.0");
    assert.deepStrictEqual(log.runs[0].results, []);
    assert.ok(log.runs[0].tool.driver.rules.every((r: { helpUri: string }) => /\/docs\/rules\.md#/.test(r.helpUri)));
  });

  test("screenshot of the workbench", async () => {
    await vscode.commands.executeCommand("workbench.view.explorer");
    const file = await screenshot("smoke-workbench");
    if (file) console.log(`screenshot saved: ${file}`);
  });
});
