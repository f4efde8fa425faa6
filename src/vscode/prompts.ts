// Modal questions to the person (a gated engine's consent, Record Review). VS Code refuses modal
// dialogs inside extension tests ("DialogService: refused to show dialog in tests"), so the
// integration tests answer them through this one seam — and assert the exact question asked;
// everything else (quick picks, input boxes) they drive in the real page.
import * as vscode from "vscode";

export interface Prompts {
  /** A modal warning with `items` as its buttons; undefined when dismissed. */
  modal(message: string, detail: string | undefined, ...items: string[]): Thenable<string | undefined>;
}

export function defaultPrompts(): Prompts {
  return {
    modal: (message, detail, ...items) => vscode.window.showWarningMessage(message, { modal: true, ...(detail ? { detail } : {}) }, ...items),
  };
}
