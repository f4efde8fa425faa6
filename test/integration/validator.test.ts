// The validator in a real extension host, on a temp copy of fixtures/workspace: diagnostics
// on activation and while typing, quick fixes, hover, definition, references, outline, the
// validate command.
import * as assert from "assert";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import { getApi, screenshot, sleep, waitFor, waitForDiagnostics, workspaceRoot } from "./util";

const SEED = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-ISSUES.md";
const PRD = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-PRD.md";
const DRIFT_NOTE = ".sot/03-PROTOCOLS/CTO-CASE-DRIFT-NOTE.md";

const uri = (rel: string) => vscode.Uri.joinPath(workspaceRoot(), ...rel.split("/"));
const ctoDiags = (u: vscode.Uri, rule?: string) =>
  vscode.languages.getDiagnostics(u).filter((d) => d.source === "cto" && (rule === undefined || d.code === rule));

/** A planning doc with a drift sentence on line 14, columns 1..29 (1-based). */
const DRIFT_DOC = [
  "---",
  "name: cto-case-drift-note",
  "tier: local",
  "status: draft",
  "created: 2026-05-31",
  "last_reviewed: 2026-05-31",
  "lifecycle_classification: planning",
  "core_promotion_status: not-promoted",
  "---",
  "",
  "# Drift Note",
  "",
  "Local planning SOT only. Not a Core Protocol. Not active Core authority.",
  "Case is the default backend. It was decided in the hallway.",
  "",
].join("\n");

suite("validator in the extension host", () => {
  let api: CtoApi;

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
    // A figure for the record, not an assertion (timings are measured by npm run bench).
    console.log(`activate() took ${api.activationMs.toFixed(1)} ms in this host`);
  });

  teardown(async () => {
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  test("publishes diagnostics for every planning doc on activation, without opening them", async () => {
    // The seed's last_reviewed (2026-05-31) is older than 90 days on the real clock.
    const diags = await waitForDiagnostics(uri(SEED), (d) => d.some((x) => x.code === "stale-review"));
    const stale = diags.find((d) => d.code === "stale-review")!;
    assert.strictEqual(stale.source, "cto");
    assert.strictEqual(stale.severity, vscode.DiagnosticSeverity.Warning);
    assert.deepStrictEqual([stale.range.start.line, stale.range.start.character], [7, 15]);
    // The fixture workspace has no errors anywhere.
    const errors = vscode.languages.getDiagnostics().flatMap(([, ds]) => ds.filter((d) => d.source === "cto" && d.severity === vscode.DiagnosticSeverity.Error));
    assert.deepStrictEqual(errors.map((d) => d.message), []);
  });

  test("a drift sentence in a new file gets a diagnostic on exactly that sentence", async () => {
    await vscode.workspace.fs.writeFile(uri(DRIFT_NOTE), Buffer.from(DRIFT_DOC));
    const diags = await waitForDiagnostics(uri(DRIFT_NOTE), (d) => d.some((x) => x.code === "authority-drift"));
    const d = diags.find((x) => x.code === "authority-drift")!;
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(d.range.isEqual(new vscode.Range(13, 0, 13, 28)), `range ${JSON.stringify(d.range)}`);
    assert.match(d.message, /^claims Case has default status: 'default backend'/);
  });

  test("typing a drift sentence into a doc produces a diagnostic before saving", async () => {
    const doc = await vscode.workspace.openTextDocument(uri(PRD));
    const editor = await vscode.window.showTextDocument(doc);
    assert.strictEqual(ctoDiags(doc.uri, "authority-drift").length, 0);
    const line = doc.lineCount - 1;
    const sentence = "This PRD is a Core Protocol.";
    await editor.edit((b) => b.insert(new vscode.Position(line, 0), `${sentence}\n`));
    const diags = await waitForDiagnostics(doc.uri, (d) => d.some((x) => x.code === "authority-drift"));
    const d = diags.find((x) => x.code === "authority-drift")!;
    assert.ok(d.range.isEqual(new vscode.Range(line, 0, line, sentence.length)), `range ${JSON.stringify(d.range)}`);
    assert.ok(doc.isDirty, "nothing was saved");
    // Removing it clears the diagnostic again.
    await editor.edit((b) => b.delete(new vscode.Range(line, 0, line + 1, 0)));
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((x) => x.code === "authority-drift"));
  });

  test("typing sentences of each cause gives the right diagnostic, and none for the accepted wordings", async () => {
    // A doc of its own, removed at the end: the later tests expect the workspace as it was.
    const causes = uri(".sot/03-PROTOCOLS/CTO-CASE-CAUSES.md");
    await vscode.workspace.fs.writeFile(causes, Buffer.from(DRIFT_DOC.replace("cto-case-drift-note", "cto-case-causes").replace("Case is the default backend. It was decided in the hallway.\n", "")));
    const doc = await vscode.workspace.openTextDocument(causes);
    const editor = await vscode.window.showTextDocument(doc);
    const drift: [string, string, RegExp][] = [
      // [text, rule, message] — one per cause of issue 10, in words of our own
      ["Going forward, Case will handle all harness runs as our primary engine.", "authority-drift", /^claims Case takes over runs: 'handle all harness runs'/],
      ["We trialled Case on the fixtures. It is now our go-to agent.", "authority-drift", /^claims It \(Case\) has default status: 'go-to agent'/],
      ["It is not true that Case isn't our standard backend.", "authority-drift", /^claims Case has default status: 'standard backend'/],
      ["Once the release is cut, Case becomes the default backend.", "authority-drift", /^claims Case has default status: 'default backend'/],
      ["As agreed at standup, Case is production-ready.", "readiness-claim", /^claims Case is ready: 'production-ready'/],
      ["Default backend: Case", "authority-drift", /^claims Case has default status: 'Default backend'/],
    ];
    const accepted = [
      "Pi stays our default engine.",
      "Nowhere does this plan say that Case is ready for production.",
      "Case becomes the default backend only after the candidate-default gate passes.",
      "The vendor says Case is GA.",
      "Should Case become the primary engine?",
      "Making Case the default was proposed and turned down.",
    ];
    const start = doc.lineCount - 1;
    const lines = [...drift.map((d) => d[0]), ...accepted];
    await editor.edit((b) => b.insert(new vscode.Position(start, 0), lines.map((l) => `${l}\n\n`).join("")));
    const lineOf = (i: number) => start + 2 * i;
    const diags = await waitForDiagnostics(doc.uri, (ds) => drift.every((_, i) => ds.some((d) => d.range.start.line === lineOf(i) && (d.code === "authority-drift" || d.code === "readiness-claim"))));
    for (const [i, [text, rule, message]] of drift.entries()) {
      const d = diags.filter((x) => x.range.end.line === lineOf(i) && (x.code === "authority-drift" || x.code === "readiness-claim"));
      assert.strictEqual(d.length, 1, `${text}: ${d.map((x) => x.message).join(" | ")}`);
      assert.strictEqual(d[0].code, rule, text);
      assert.match(d[0].message, message);
    }
    for (let i = drift.length; i < lines.length; i++) {
      const d = diags.filter((x) => x.range.start.line === lineOf(i) && (x.code === "authority-drift" || x.code === "readiness-claim"));
      assert.deepStrictEqual(d.map((x) => x.message), [], `accepted: ${lines[i]}`);
    }
    // The hover on a drift diagnostic explains it: the lexicon entries, the frame, the rule.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, new vscode.Position(lineOf(3), 10));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    assert.match(text, /why this is drift/);
    assert.match(text, /lexicon entries: .*status: default/);
    assert.match(text, /rule: asserted; 'Once the release is cut ,' is no evidenced gate/);
    // For the record: the diagnostics and the hover in the real workbench.
    const at = new vscode.Position(lineOf(3), 10);
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    await sleep(300);
    await vscode.commands.executeCommand("editor.action.showHover");
    await sleep(800);
    await screenshot("drift-causes-hover");
    await vscode.commands.executeCommand("editor.action.hideHover");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    await vscode.workspace.fs.delete(causes);
    await waitForDiagnostics(causes, (ds) => !ds.some((x) => x.source === "cto"));
  });

  test("applying the quick fix rewrites the claim and removes the diagnostic", async () => {
    const u = uri(DRIFT_NOTE);
    const doc = await vscode.workspace.openTextDocument(u);
    await vscode.window.showTextDocument(doc);
    const [d] = await waitForDiagnostics(u, (ds) => ds.some((x) => x.code === "authority-drift")).then((ds) => ds.filter((x) => x.code === "authority-drift"));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", u, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => /Rewrite 'default backend' to 'candidate backend'/.test(a.title));
    assert.ok(fix?.edit, `quick fixes offered: ${actions.map((a) => a.title).join(" | ")}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.strictEqual(doc.lineAt(13).text, "Case is the candidate backend. It was decided in the hallway.");
    await waitForDiagnostics(u, (ds) => !ds.some((x) => x.code === "authority-drift"));
    await doc.save();
  });

  test("a WORKBOARD.yaml quick fix edits the other file", async () => {
    // The drift note is a planning doc but neither PRD nor issue artifact: make it an issue artifact.
    const u = uri(".sot/03-PROTOCOLS/CTO-CASE-EXTRA-ISSUES.md");
    const text = DRIFT_DOC.replace("cto-case-drift-note", "cto-case-extra-issues")
      .replace("Case is the default backend. It was decided in the hallway.", "")
      .replace("---\n\n#", `source: ${PRD}\n---\n\n#`)
      + "### CTO-WORK-090 - Extra\n\nType: AFK\n\nBlocked by: CTO-WORK-008\n\nWhat to build: More.\n\n- [ ] Done.\n\nAllowed files: docs.\n\nValidator: `cto validate`\n\nDone evidence: JSON.\n";
    await vscode.workspace.fs.writeFile(u, Buffer.from(text));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(u)); // code actions need a loaded model
    const ds = await waitForDiagnostics(u, (x) => x.some((d) => d.code === "workboard-entry"));
    const d = ds.find((x) => x.code === "workboard-entry")!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", u, d.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => /to WORKBOARD\.yaml/.test(a.title));
    assert.ok(fix?.edit, `quick fixes offered: ${actions.map((a) => a.title).join(" | ")}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const wb = await vscode.workspace.openTextDocument(uri("WORKBOARD.yaml"));
    assert.match(wb.getText(), /- path: \.sot\/03-PROTOCOLS\/CTO-CASE-EXTRA-ISSUES\.md\n\s+name: cto-case-extra-issues/);
    await waitForDiagnostics(u, (x) => !x.some((d2) => d2.code === "workboard-entry"));
    await wb.save();
  });

  test("hover on a CTO-WORK ID shows title, status, criteria and blockers", async () => {
    const doc = await vscode.workspace.openTextDocument(uri(SEED));
    // Line 143 (1-based): "Blocked by: CTO-WORK-004, CTO-WORK-006, CTO-WORK-007"
    const pos = new vscode.Position(142, 16);
    assert.strictEqual(doc.getText(doc.getWordRangeAtPosition(pos, /CTO-WORK-\d+/)), "CTO-WORK-004");
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, pos);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    assert.match(text, /\*\*CTO-WORK-004\*\* — Harness Evidence Interface Contract/);
    assert.match(text, /criteria 0\/5/);
    assert.match(text, /blocked/);
    assert.match(text, /Blocked by: CTO-WORK-003 \(open\)/);
    assert.match(text, /Unblocks: CTO-WORK-006, CTO-WORK-007, CTO-WORK-008/);
  });

  test("go to definition jumps to the heading, or to WORKBOARD.yaml for IDs known only there", async () => {
    const doc = await vscode.workspace.openTextDocument(uri(SEED));
    const toHeading = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>("vscode.executeDefinitionProvider", doc.uri, new vscode.Position(142, 16));
    const loc = toHeading[0] as vscode.Location;
    assert.strictEqual(loc.uri.toString(), doc.uri.toString());
    assert.deepStrictEqual([loc.range.start.line, loc.range.start.character], [44, 4]); // "### CTO-WORK-004" on line 45
    // Line 24: "Blocked by: CTO-WORK-002" — 002 lives only in WORKBOARD.yaml.
    const toBoard = await vscode.commands.executeCommand<vscode.Location[]>("vscode.executeDefinitionProvider", doc.uri, new vscode.Position(23, 15));
    assert.ok(toBoard[0].uri.path.endsWith("/WORKBOARD.yaml"), toBoard[0].uri.path);
    const board = await vscode.workspace.openTextDocument(toBoard[0].uri);
    assert.strictEqual(board.getText(toBoard[0].range), "CTO-WORK-002");
  });

  test("find references lists Blocked by lines and WORKBOARD.yaml", async () => {
    const doc = await vscode.workspace.openTextDocument(uri(SEED));
    const refs = await vscode.commands.executeCommand<vscode.Location[]>("vscode.executeReferenceProvider", doc.uri, new vscode.Position(44, 6));
    // The built-in markdown extension may also report the heading; count each line once.
    const inSeed = [...new Set(refs.filter((r) => r.uri.toString() === doc.uri.toString()).map((r) => r.range.start.line + 1))].sort((a, b) => a - b);
    assert.deepStrictEqual(inSeed, [45, 96, 120, 143]); // definition + the Blocked by lines of 006, 007, 008
    assert.ok(refs.some((r) => r.uri.path.endsWith("/WORKBOARD.yaml")), "WORKBOARD.yaml mentions CTO-WORK-004");
  });

  test("the outline lists the issue sections with their fields and criteria", async () => {
    const doc = await vscode.workspace.openTextDocument(uri(SEED));
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>("vscode.executeDocumentSymbolProvider", doc.uri);
    const issues = symbols.filter((s) => s.name.startsWith("CTO-WORK-"));
    assert.deepStrictEqual(issues.map((s) => s.name.slice(0, 12)), ["CTO-WORK-003", "CTO-WORK-004", "CTO-WORK-005", "CTO-WORK-006", "CTO-WORK-007", "CTO-WORK-008"]);
    const first = issues[0];
    assert.ok(first.children.some((c) => c.name === "Blocked by" && c.detail === "CTO-WORK-002"));
    assert.strictEqual(first.children.filter((c) => c.kind === vscode.SymbolKind.Boolean).length, 6);
  });

  test("the CTO: Validate Workspace command validates everything and reports a summary", async () => {
    const s = await vscode.commands.executeCommand<{ workspaces: number; docs: number; errors: number }>("cto.validateWorkspace");
    assert.strictEqual(s.workspaces, 1);
    assert.ok(s.docs >= 7, `docs ${s.docs}`);
    const errs = vscode.languages.getDiagnostics().flatMap(([u, ds]) => ds.filter((d) => d.source === "cto" && d.severity === vscode.DiagnosticSeverity.Error).map((d) => `${vscode.workspace.asRelativePath(u)}:${d.range.start.line + 1}: ${d.code} ${d.message}`));
    assert.strictEqual(s.errors, 0, errs.join("\n"));
  });

  test("screenshot: Problems panel with a drift diagnostic and a hover", async () => {
    const u = uri(DRIFT_NOTE);
    await vscode.workspace.fs.writeFile(u, Buffer.from(DRIFT_DOC.replace("hallway.", "hallway. Blocked on CTO-WORK-004.")));
    await waitForDiagnostics(u, (ds) => ds.some((x) => x.code === "authority-drift"));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(u));
    await vscode.commands.executeCommand("workbench.actions.view.problems");
    await vscode.window.showTextDocument(editor.document);
    const col = editor.document.lineAt(13).text.indexOf("CTO-WORK-004") + 3;
    editor.selection = new vscode.Selection(13, col, 13, col);
    await sleep(500);
    await vscode.commands.executeCommand("editor.action.showHover");
    await waitFor(async () => ((await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", u, editor.selection.active)) ?? []).length > 0, 5000, "hover");
    await sleep(800);
    await screenshot("validator-problems-hover");
  });
});
