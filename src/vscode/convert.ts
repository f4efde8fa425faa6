// The only place where the core's 1-based positions become VS Code's 0-based ones.
import * as vscode from "vscode";
import type { Finding, Range, Severity, TextEdit } from "../core";

export function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.line - 1, r.column - 1, r.endLine - 1, r.endColumn - 1);
}

export function fromPosition(p: vscode.Position): { line: number; column: number } {
  return { line: p.line + 1, column: p.character + 1 };
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export const DIAGNOSTIC_SOURCE = "cto";

export function toDiagnostic(f: Finding): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(f.range), f.message, SEVERITY[f.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = f.rule;
  return d;
}

export function toWorkspaceEdit(root: vscode.Uri, edits: TextEdit[]): vscode.WorkspaceEdit {
  const we = new vscode.WorkspaceEdit();
  for (const e of edits) we.replace(vscode.Uri.joinPath(root, e.file), toRange(e.range), e.newText);
  return we;
}
