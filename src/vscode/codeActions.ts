// Quick fixes: the core attaches mechanical fixes to findings; this turns them into
// WorkspaceEdits (which may touch another file, e.g. WORKBOARD.yaml), undoable as one step.
import * as vscode from "vscode";
import { DIAGNOSTIC_SOURCE, toRange, toWorkspaceEdit } from "./convert";
import type { DiagnosticsFeature } from "./diagnostics";
import type { PlanningModel } from "./model";

export class QuickFixProvider implements vscode.CodeActionProvider {
  static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];

  constructor(
    private readonly diagnostics: DiagnosticsFeature,
    private readonly model: PlanningModel,
  ) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const at = this.model.locate(document.uri);
    if (!at) return [];
    const root = vscode.Uri.file(at.ws.root);
    const findings = this.diagnostics.findingsFor(document.uri);
    const actions: vscode.CodeAction[] = [];
    for (const diag of context.diagnostics) {
      if (diag.source !== DIAGNOSTIC_SOURCE) continue;
      const finding = findings.find((f) => f.rule === diag.code && f.message === diag.message && toRange(f.range).isEqual(diag.range));
      const fixes = finding?.fixes ?? [];
      for (const fix of fixes) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = toWorkspaceEdit(root, fix.edits);
        action.diagnostics = [diag];
        action.isPreferred = fixes.length === 1;
        actions.push(action);
      }
    }
    return actions;
  }
}
