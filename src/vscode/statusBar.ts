// Status bar: the gate being worked on and the validator's error count; click opens the views.
import * as vscode from "vscode";
import type { DiagnosticsFeature } from "./diagnostics";
import type { GatesView } from "./views/gatesView";

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("cto.status", vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(
    private readonly diagnostics: DiagnosticsFeature,
    private readonly gates: GatesView,
  ) {
    this.item.name = "CTO Workbench";
    this.item.command = "ctoIssues.focus";
    this.disposables.push(diagnostics.onDidPublish(() => this.update()), gates.onDidChangeTreeData(() => this.update()));
    this.update();
  }

  update(): void {
    const errors = this.diagnostics.errorCount();
    const gate = this.gates.current();
    const gateText = gate ? gate.id : "all gates passed";
    this.item.text = `$(milestone) ${gateText}  $(error) ${errors}`;
    this.item.tooltip = new vscode.MarkdownString(`**CTO Workbench**\n\nCurrent gate: ${gate ? `${gate.id} (${gate.state})` : "none — every gate passed"}\n\nValidator errors: ${errors}\n\nClick to open the Work Issues view.`);
    this.item.backgroundColor = errors > 0 ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
