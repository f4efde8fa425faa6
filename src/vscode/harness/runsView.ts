// The Evidence Runs view: bundles under each workspace's evidence folder, newest first, with
// their status and whether they verify, and their artifacts as children.
import * as path from "node:path";
import * as vscode from "vscode";
import type { CtoWorkspace } from "../../core";
import { describeSignature, type EvidenceEntry } from "../../harness";
import type { PlanningModel } from "../model";
import { artifactUri } from "./report";
import type { HarnessService } from "./service";

export const RUNS_VIEW = "ctoRuns";

export type RunElement = { kind: "run"; ws: CtoWorkspace; entry: EvidenceEntry } | { kind: "artifact"; entry: EvidenceEntry; file: string };

const VERDICT_ICON: Record<EvidenceEntry["verdict"], vscode.ThemeIcon> = {
  verified: new vscode.ThemeIcon("verified-filled", new vscode.ThemeColor("testing.iconPassed")),
  tampered: new vscode.ThemeIcon("warning", new vscode.ThemeColor("errorForeground")),
  stale: new vscode.ThemeIcon("history", new vscode.ThemeColor("editorWarning.foreground")),
  unsigned: new vscode.ThemeIcon("unverified", new vscode.ThemeColor("editorWarning.foreground")),
  untrusted: new vscode.ThemeIcon("unverified", new vscode.ThemeColor("errorForeground")),
  incomplete: new vscode.ThemeIcon("circle-slash", new vscode.ThemeColor("disabledForeground")),
};

export class RunsView implements vscode.TreeDataProvider<RunElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<RunElement>;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly model: PlanningModel,
    private readonly harness: HarnessService,
  ) {
    this.view = vscode.window.createTreeView(RUNS_VIEW, { treeDataProvider: this });
    this.disposables.push(this.view, harness.onDidChangeEvidence(() => this.changed.fire(undefined)));
  }

  getChildren(el?: RunElement): RunElement[] {
    if (!el) return this.model.workspaces().flatMap((ws) => this.harness.evidenceOf(ws).map((entry) => ({ kind: "run", ws, entry }) as RunElement));
    if (el.kind === "run") return el.entry.artifacts.map((file) => ({ kind: "artifact", entry: el.entry, file }));
    return [];
  }

  getTreeItem(el: RunElement): vscode.TreeItem {
    if (el.kind === "artifact") {
      const item = new vscode.TreeItem(el.file, vscode.TreeItemCollapsibleState.None);
      item.resourceUri = vscode.Uri.file(path.join(el.entry.path, el.file));
      // Opened read-only through the safe reader (regular files only, size-capped), never as a file.
      item.command = el.file === "report.md" ? { command: "cto.openReport", title: "Open Report", arguments: [el.entry.path] } : { command: "vscode.open", title: "Open", arguments: [artifactUri(el.entry.path, el.file)] };
      return item;
    }
    const e = el.entry;
    const item = new vscode.TreeItem(`${e.status.toUpperCase()} ${e.fixture ?? e.taskId}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = e.path;
    const sig = e.verdict === "incomplete" ? "" : ` · ${e.signer ? `signed by ${e.signer}` : describeSignature(e.signatureInfo)}`;
    const noIsolation = e.isolation === "none" ? " · no isolation" : "";
    item.description = `${e.engine} · ${e.verdict}${sig}${noIsolation}${e.blockers.length ? ` · ${e.blockers[0]}` : ""} · ${(e.durationMs / 1000).toFixed(1)} s · ${e.runEnd.slice(0, 16).replace("T", " ")}`;
    item.iconPath = VERDICT_ICON[e.verdict];
    const s = e.signatureInfo;
    const who = s.state === "trusted" ? `Signed by **${s.name}** (key \`${s.keyid?.slice(0, 16)}\`), trusted by ${s.sources.join("; ")}` : describeSignature(s);
    const tip = new vscode.MarkdownString(
      `**${e.runId}**\n\n${e.status} (exit ${e.exitCode}) with \`${e.engine}\` on \`${e.taskId}\`\n\n${e.verdict}${e.reason ? `: ${e.reason}` : ""}\n\n${who}\n\nIsolation: ${e.isolation}${e.gated && e.isolation === "none" ? " (a gated engine without isolation: never counts for the gates)" : ""}${e.fixture ? `\n\nmatrix row: ${e.fixture} (${e.matched ? "matches" : "does not match"})` : ""}`,
    );
    tip.supportHtml = false;
    item.tooltip = tip;
    item.contextValue = "bundle";
    item.command = { command: "cto.openReport", title: "Open Report", arguments: [e.path] };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
