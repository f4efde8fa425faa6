// Quick fixes: the core attaches mechanical fixes to findings; this turns them into
// WorkspaceEdits (which may touch another file, e.g. WORKBOARD.yaml), undoable as one step.
// Every finding in a markdown doc also gets "Suppress on this line…", which asks for the reason
// and inserts the suppression comment the core computes.
import * as vscode from "vscode";
import { reasonProblem, suppressionEdits, type Finding } from "../core";
import { DIAGNOSTIC_SOURCE, toRange, toWorkspaceEdit } from "./convert";
import type { DiagnosticsFeature } from "./diagnostics";
import type { PlanningModel } from "./model";

/** Runs after a quick fix's edit is applied (the walkthrough's "apply a quick fix" step listens). */
export const QUICK_FIX_APPLIED = "cto.quickFixApplied";
export const SUPPRESS_COMMAND = "cto.suppressFinding";

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
    const doc = at.ws.docs.get(at.rel);
    const actions: vscode.CodeAction[] = [];
    const suppress: vscode.CodeAction[] = [];
    for (const diag of context.diagnostics) {
      if (diag.source !== DIAGNOSTIC_SOURCE) continue;
      const finding = findings.find((f) => f.rule === diag.code && f.message === diag.message && toRange(f.range).isEqual(diag.range));
      const fixes = finding?.fixes ?? [];
      for (const fix of fixes) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = toWorkspaceEdit(root, fix.edits);
        action.command = { command: QUICK_FIX_APPLIED, title: fix.title };
        action.diagnostics = [diag];
        action.isPreferred = fixes.length === 1;
        actions.push(action);
      }
      // The plan (where the comment would go) decides the title; the reason comes later.
      const plan = finding && doc ? suppressionEdits(doc, finding, "reason")?.plan : undefined;
      if (plan && finding) {
        const action = new vscode.CodeAction(plan.title, vscode.CodeActionKind.QuickFix);
        action.command = { command: SUPPRESS_COMMAND, title: plan.title, arguments: [document.uri, findingKey(finding)] };
        action.diagnostics = [diag];
        suppress.push(action);
      }
    }
    return [...actions, ...suppress]; // real fixes first
  }
}

/** What identifies a finding across a re-validation of the same text. */
export interface FindingKey {
  rule: string;
  message: string;
  line: number;
  column: number;
}

export function findingKey(f: Finding): FindingKey {
  return { rule: f.rule, message: f.message, line: f.range.line, column: f.range.column };
}

/**
 * The "Suppress…" command: asks for the reason (required; `reason` skips the question, for
 * scripts) and inserts the comment as one undoable edit. Resolves true when it inserted it.
 */
export async function suppressFinding(model: PlanningModel, diagnostics: DiagnosticsFeature, uri: vscode.Uri, key: FindingKey, reason?: string): Promise<boolean> {
  const at = model.locate(uri);
  const doc = at?.ws.docs.get(at.rel);
  const finding = diagnostics.findingsFor(uri).find((f) => f.rule === key.rule && f.message === key.message && f.range.line === key.line && f.range.column === key.column);
  if (!at || !doc || !finding) {
    void vscode.window.showWarningMessage("CTO: that finding is gone or has moved; run the quick fix again on the current diagnostic.");
    return false;
  }
  const given =
    reason ??
    (await vscode.window.showInputBox({
      title: `Suppress ${finding.rule}`,
      prompt: `Why is this ${finding.rule} finding wrong here? The reason is kept in the comment and listed in audits (cto validate --format json).`,
      placeHolder: "e.g. quoted from the rejected proposal",
      ignoreFocusOut: true,
      validateInput: (v) => reasonProblem(v),
    }));
  if (given === undefined || reasonProblem(given)) return false;
  const made = suppressionEdits(doc, finding, given);
  if (!made) return false;
  return vscode.workspace.applyEdit(toWorkspaceEdit(vscode.Uri.file(at.ws.root), made.edits));
}
