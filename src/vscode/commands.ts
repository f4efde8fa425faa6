// Commands, as a table: ids in package.json are `cto.<name>`.
import * as vscode from "vscode";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { Finding } from "../core";
import { initWorkspace, STARTER_WORKBOARD } from "../core/init";
import { suppressFinding, type FindingKey } from "./codeActions";
import type { Features } from "./extension";

export const WALKTHROUGH_ID = "cto-workbench.cto-workbench#cto.gettingStarted";
const DRIFT_EXAMPLE = "cto-drift-example.md";

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
  /** Inserts a suppression comment for a finding, asking for the reason (the "Suppress…" quick fix). */
  suppressFinding: (f, uri, key, reason) => suppressFinding(f.model, f.diagnostics, uri as vscode.Uri, key as FindingKey, typeof reason === "string" ? reason : undefined),
  /** Runs after a quick fix is applied: nothing to do but be seen (the walkthrough's step listens). */
  quickFixApplied: () => true,
  openWalkthrough: () => vscode.commands.executeCommand("workbench.action.openWalkthrough", WALKTHROUGH_ID, false),
  /** `cto init` in the first workspace folder: WORKBOARD.yaml and .cto/config.yaml, never overwriting. */
  async initWorkspace(f) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== "file") {
      void vscode.window.showInformationMessage("CTO: open a folder first; CTO: Initialize CTO Workspace writes its WORKBOARD.yaml and .cto/config.yaml.");
      return undefined;
    }
    const r = initWorkspace(folder.uri.fsPath);
    const said = [r.written.length ? `wrote ${r.written.join(", ")}` : "", ...r.skipped.map((s) => `skipped ${s.file} (${s.reason})`)].filter(Boolean).join("; ");
    f.log.info(`initialize: ${said}`);
    void vscode.window.showInformationMessage(`CTO: ${said}.`);
    await f.model.scan();
    await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, "WORKBOARD.yaml"));
    return r;
  },
  /**
   * The walkthrough's drift step: opens the first authority-drift finding; in a workspace with
   * none, writes a small planning doc holding one (never over an existing file) and opens it.
   */
  async "walkthrough.showDrift"(f) {
    await f.model.whenScanned();
    const found = vscode.languages
      .getDiagnostics()
      .flatMap(([uri, ds]) => ds.filter((d) => d.source === "cto" && d.code === "authority-drift").map((d) => ({ uri, d })))[0];
    let target = found;
    if (!target) {
      const ws = f.model.workspaces()[0];
      if (!ws) {
        void vscode.window.showInformationMessage("CTO: open or create a CTO child workspace first (a folder holding WORKBOARD.yaml).");
        return undefined;
      }
      const file = path.join(ws.root, DRIFT_EXAMPLE);
      if (!existsSync(file)) writeFileSync(file, driftExample(), { flag: "wx" });
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(uri);
      // The new file is validated on its own schedule; wait for its diagnostic (or give up quietly).
      const d = await new Promise<vscode.Diagnostic | undefined>((resolve) => {
        const check = () => vscode.languages.getDiagnostics(uri).find((x) => x.code === "authority-drift");
        const sub = vscode.languages.onDidChangeDiagnostics(() => check() && done(check()));
        const timer = setTimeout(() => done(undefined), 10_000);
        const done = (v: vscode.Diagnostic | undefined) => {
          sub.dispose();
          clearTimeout(timer);
          resolve(v);
        };
        if (check()) done(check());
      });
      if (!d) return uri;
      target = { uri, d };
    }
    const editor = await vscode.window.showTextDocument(target.uri);
    editor.selection = new vscode.Selection(target.d.range.start, target.d.range.end);
    editor.revealRange(target.d.range, vscode.TextEditorRevealType.InCenter);
    return target.uri;
  },
  "issues.showTree": (f) => f.issues.setMode("tree"),
  "issues.showFlat": (f) => f.issues.setMode("flat"),
  "issues.showUnblocks": (f) => f.issues.setMode("unblocks"),
  /** Re-reads from disk (the docs' model is live; the evidence is re-read and re-verified), then redraws. */
  async refresh(f) {
    f.issues.refresh();
    f.gates.refresh();
    await f.harness.refreshEvidence();
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

function driftExample(): string {
  const today = new Date().toISOString().slice(0, 10);
  return `---
name: cto-drift-example
tier: local
status: draft
created: ${today}
last_reviewed: ${today}
lifecycle_classification: planning
core_promotion_status: not-promoted
---

# Drift Example

Local planning SOT only. Not a Core Protocol. Not active Core authority.

Written by the CTO Workbench walkthrough: the next sentence claims authority a planning doc
cannot have. Put the cursor on it and open the quick fixes (Ctrl+.).

Case is the default backend.
`;
}
