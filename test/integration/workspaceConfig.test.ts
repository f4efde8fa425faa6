// One configuration for the editor and CI, in the real workbench: on a workspace whose
// .cto/config.yaml uses every key and whose docs hold inline suppressions, the Problems panel,
// `cto validate` and its SARIF report exactly the same findings. Editing the config re-validates
// live; a malformed config is a located diagnostic; "Suppress on this line…" asks for the reason
// in an input box (typed by the browser driver, as a person would) and inserts the comment.
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import { EXTENSION_ID, getApi, screenshot, typeInWorkbench, waitFor, waitForDiagnostics, workspaceRoot } from "./util";

const TODAY = "2026-06-01";
const SUB = "configured"; // copied into the open workspace: a nested CTO workspace of its own

/** The CLI of this very extension, run as CI would run it. */
function ctoCli(args: string[], cwd?: string): { code: number; out: string } {
  const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "dist", "cli.js");
  try {
    return { code: 0, out: execFileSync(process.execPath, [cli, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...(cwd ? { cwd } : {}) }) };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { code: err.status, out: err.stdout };
  }
}

const LEVEL: Record<string, string> = { error: "error", warning: "warning", note: "info" };
const SEV = ["error", "warning", "info", "hint"];

suite("one configuration for the editor and CI", () => {
  let api: CtoApi;
  let dir: string;
  const rel = (p: string) => vscode.Uri.file(path.join(dir, p));

  /** Every cto diagnostic below the configured workspace, as `file:l:c-l:c severity rule message`. */
  const problems = () =>
    vscode.languages
      .getDiagnostics()
      .filter(([u]) => u.fsPath.startsWith(dir + path.sep))
      .flatMap(([u, ds]) =>
        ds
          .filter((d) => d.source === "cto")
          .map((d) => `${path.relative(dir, u.fsPath)}:${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${SEV[d.severity]} ${d.code} ${d.message}`),
      )
      .sort();
  const fromJson = (j: { findings: Record<string, never>[] }) =>
    j.findings.map((f) => `${f.file}:${f.line}:${f.column}-${f.end_line}:${f.end_column} ${f.severity} ${f.rule} ${f.message}`).sort();
  interface SarifResult {
    suppressions?: unknown[];
    locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[];
    level: string;
    ruleId: string;
    message: { text: string };
  }
  const fromSarif = (log: { runs: { results: SarifResult[] }[] }) =>
    log.runs[0].results
      .filter((r) => !r.suppressions)
      .map((r) => {
        const p = r.locations[0].physicalLocation;
        const g = p.region;
        return `${decodeURIComponent(p.artifactLocation.uri)}:${g.startLine}:${g.startColumn}-${g.endLine}:${g.endColumn} ${LEVEL[r.level]} ${r.ruleId} ${r.message.text}`;
      })
      .sort();

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
    dir = path.join(workspaceRoot().fsPath, SUB);
    fs.cpSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "fixtures", SUB), dir, { recursive: true });
    // Pin the clock in the editor as --today pins it in the CLI (a setting: it overrides the config).
    await vscode.workspace.getConfiguration("cto").update("validate.today", TODAY, vscode.ConfigurationTarget.Workspace);
    // The file watcher finds the new workspace; Validate Workspace (a rescan) does not wait for it.
    await vscode.commands.executeCommand("cto.validateWorkspace");
    await waitFor(() => api.features.model.workspaces().some((w) => w.root === dir), 20_000, "the nested workspace to be found");
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    fs.rmSync(dir, { recursive: true, force: true });
    await vscode.workspace.getConfiguration("cto").update("validate.today", undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand("cto.validateWorkspace");
  });

  test("the Problems panel, cto validate and its SARIF report the same findings (every config key in use)", async () => {
    const cli = ctoCli(["validate", dir, "--format", "json", "--today", TODAY]);
    assert.strictEqual(cli.code, 1);
    const json = JSON.parse(cli.out);
    const expected = fromJson(json);
    // The config's keys show in the findings: severities changed (stale-review error, local-disclaimer
    // warning), maxReviewAgeDays 30, the extra candidate 'nova', ignored docs, inline suppressions.
    const rules = expected.map((l: string) => l.split(" ").slice(1, 3).join(" "));
    for (const r of ["error stale-review", "warning local-disclaimer", "error authority-drift", "warning suppression", "warning unused-suppression"]) assert.ok(rules.includes(r), `${r} in ${rules.join(", ")}`);
    assert.ok(!expected.some((l: string) => /archive\/|\.draft\.md|record-structure/.test(l)), expected.join("\n"));
    assert.strictEqual(json.suppressed.length, 3);
    await waitFor(() => problems().join("\n") === expected.join("\n"), 20_000, `Problems = CLI\nProblems:\n${problems().join("\n")}\nCLI:\n${expected.join("\n")}`);
    // SARIF paths are relative to the current folder: run it from the workspace, as CI runs it from the repo.
    const sarif = ctoCli(["validate", ".", "--format", "sarif", "--today", TODAY], dir);
    assert.deepStrictEqual(fromSarif(JSON.parse(sarif.out)), problems());
    // The harness side of the config: the same evidence and fixtures folders as the CLI's.
    const ws = api.features.model.workspaces().find((w) => w.root === dir)!;
    const gates = JSON.parse(ctoCli(["gates", dir, "--json"]).out);
    assert.strictEqual(api.features.harness.evidenceDir(ws), gates.runs);
    assert.strictEqual(api.features.harness.fixturesDir(ws), gates.fixtures);
    assert.strictEqual(gates.runs, path.join(dir, "evidence", "runs"));
  });

  test("editing .cto/config.yaml re-validates live; a malformed config is a located diagnostic", async () => {
    const config = rel(".cto/config.yaml");
    const prd = rel(".sot/NOVA-PRD.md");
    await waitForDiagnostics(prd, (d) => d.some((x) => x.code === "stale-review"));
    const doc = await vscode.workspace.openTextDocument(config);
    const editor = await vscode.window.showTextDocument(doc);
    const original = doc.getText();
    const line = doc.getText().split("\n").findIndex((l) => l.startsWith("  stale-review:"));
    await editor.edit((b) => b.replace(doc.lineAt(line).range, "  stale-review: off"));
    await waitForDiagnostics(prd, (d) => !d.some((x) => x.code === "stale-review")); // unsaved: the buffer counts
    await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount - 1, 0), "colour: blue\n"));
    const [diag] = await waitForDiagnostics(config, (d) => d.some((x) => x.code === "config"));
    assert.strictEqual(diag.severity, vscode.DiagnosticSeverity.Error);
    assert.match(diag.message, /unknown key 'colour'/);
    assert.strictEqual(diag.range.start.line, doc.lineCount - 2);
    await screenshot("config-diagnostic");
    // Typing the original back restores everything, still without saving.
    await editor.edit((b) => b.replace(new vscode.Range(0, 0, doc.lineCount, 0), original));
    await waitForDiagnostics(config, (d) => d.length === 0);
    await waitForDiagnostics(prd, (d) => d.some((x) => x.code === "stale-review"));
    assert.ok(await doc.save());
  });

  test("'Suppress on this line…' asks for the reason and inserts the comment; CLI and editor agree after", async () => {
    const prd = rel(".sot/NOVA-PRD.md");
    const diags = await waitForDiagnostics(prd, (d) => d.some((x) => x.code === "authority-drift"));
    const drift = diags.find((x) => x.code === "authority-drift")!;
    const doc = await vscode.workspace.openTextDocument(prd);
    await vscode.window.showTextDocument(doc);
    // Right after opening, the editor's own code-action requests can cancel ours: ask until answered.
    let titles = "";
    let suppress: vscode.CodeAction | undefined;
    for (const until = Date.now() + 10_000; !suppress && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      try {
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", prd, drift.range, vscode.CodeActionKind.QuickFix.value);
        titles = actions.map((a) => a.title).join(" | ");
        suppress = actions.find((a) => a.title === "Suppress on this line…"); // (diagnostics do not survive the API command)
      } catch (e) {
        titles = `error ${(e as Error).message}`;
      }
    }
    assert.ok(suppress, `no Suppress action; offered: ${titles}`);
    assert.ok(suppress.command);
    const done = vscode.commands.executeCommand<boolean>(suppress.command.command, ...(suppress.command.arguments ?? []));
    await typeInWorkbench({ waitFor: ".quick-input-widget input", text: "the goal was reworded in the June review", press: ["Enter"] });
    assert.strictEqual(await done, true);
    const inserted = doc.lineAt(drift.range.start.line).text;
    assert.strictEqual(inserted, "<!-- cto-disable-next-line authority-drift -- the goal was reworded in the June review -->");
    await waitForDiagnostics(prd, (d) => !d.some((x) => x.code === "authority-drift"));
    await doc.save();
    const json = JSON.parse(ctoCli(["validate", dir, "--format", "json", "--today", TODAY]).out);
    assert.ok(json.suppressed.some((s: { rule: string; reason: string }) => s.rule === "authority-drift" && s.reason === "the goal was reworded in the June review"));
    await waitFor(() => problems().join("\n") === fromJson(json).join("\n"), 20_000, "Problems = CLI after the suppression");
  });
});
