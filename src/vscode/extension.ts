// Placeholder entry point; replaced by the real activation as the editor layer lands.
import * as vscode from "vscode";

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push();
}

export function deactivate(): void {}
