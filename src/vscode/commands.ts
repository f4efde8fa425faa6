// Commands, as a table: ids in package.json are `cto.<name>`.
import * as vscode from "vscode";
import type { Finding } from "../core";
import { STARTER_WORKBOARD } from "../core/init";
import type { Features } from "./extension";

type Handler = (f: Features, ...args: unknown[]) => unknown;

export interface ValidateSummary {
  workspaces: number;
  docs: number;
  errors: number;
  warnings: number;
  infos: number;
}

const COMMANDS: Record<string, Handler> = {
  /** Re-reads every workspace from disk and buffers, validates all, reports a summary. */
  async validateWorkspace(f): Promise<ValidateSummary> {
    await f.model.scan();
    const all: Finding[] = f.diagnostics.revalidateAll();
    const s: ValidateSummary = {
      workspaces: f.model.workspaces().length,
      docs: f.model.workspaces().reduce((n, ws) => n + ws.planningDocs().length, 0),
      errors: all.filter((x) => x.severity === "error").length,
      warnings: all.filter((x) => x.severity === "warning").length,
      infos: all.filter((x) => x.severity === "info").length,
    };
    const text =
      s.workspaces === 0
        ? "CTO: no WORKBOARD.yaml found in this workspace, so there is nothing to validate."
        : `CTO: ${s.errors} error(s), ${s.warnings} warning(s) in ${s.docs} planning doc(s) across ${s.workspaces} workspace(s).`;
    f.log.info(text);
    if (s.errors + s.warnings > 0) {
      void vscode.window.showInformationMessage(text, "Open Problems").then((pick) => {
        if (pick) void vscode.commands.executeCommand("workbench.actions.view.problems");
      });
    } else void vscode.window.showInformationMessage(text);
    return s;
  },
  showLog(f) {
    f.log.show();
  },
  "issues.showTree": (f) => f.issues.setMode("tree"),
  "issues.showFlat": (f) => f.issues.setMode("flat"),
  "issues.showUnblocks": (f) => f.issues.setMode("unblocks"),
  refresh(f) {
    f.issues.refresh();
    f.gates.refresh();
  },
  /** Selects the issue under the cursor in the Work Issues view; returns its ID. */
  revealInSidebar: (f) => f.issues.reveal(vscode.window.activeTextEditor),
  "issues.toggleCriterion": (f, el) => f.issues.toggleCriterion(el as Parameters<typeof f.issues.toggleCriterion>[0]),
  /** Creates a starter WORKBOARD.yaml in a workspace folder and opens it. */
  async createWorkboard(f) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      void vscode.window.showInformationMessage("CTO: open a folder first; its WORKBOARD.yaml marks a CTO child workspace.");
      return undefined;
    }
    const uri = vscode.Uri.joinPath(folder.uri, "WORKBOARD.yaml");
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(STARTER_WORKBOARD));
    }
    await vscode.window.showTextDocument(uri);
    await f.model.scan();
    return uri;
  },
};

export function registerCommands(f: Features, extra: Record<string, (...args: unknown[]) => unknown> = {}): vscode.Disposable[] {
  const table: Record<string, Handler> = { ...COMMANDS };
  for (const [name, fn] of Object.entries(extra)) table[name] = (_f, ...args) => fn(...args);
  return Object.entries(table).map(([name, handler]) =>
    vscode.commands.registerCommand(`cto.${name}`, async (...args: unknown[]) => {
      try {
        return await handler(f, ...args);
      } catch (e) {
        f.log.error(`command cto.${name} failed`, e);
        void vscode.window.showErrorMessage(`CTO: ${name} failed: ${e instanceof Error ? e.message : String(e)}`, "Open Log").then((p) => p && f.log.show());
        return undefined;
      }
    }),
  );
}
