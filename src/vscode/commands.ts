// Commands, as a table: ids in package.json are `cto.<name>`.
import * as vscode from "vscode";
import type { Finding } from "../core";
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
};

export function registerCommands(f: Features): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([name, handler]) =>
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
