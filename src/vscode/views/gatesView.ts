// The Stage Gates view: the six gates in order, their state (locked, open, passed) and why,
// computed by the core from the records plus the evidence bundles it is given.
import * as path from "node:path";
import * as vscode from "vscode";
import { currentGate, evaluateGates, type CtoWorkspace, type EvidenceBundle, type GateCondition, type GateState } from "../../core";
import { toRange } from "../convert";
import type { PlanningModel } from "../model";

export const GATES_VIEW = "ctoGates";

type Element =
  | { kind: "workspace"; ws: CtoWorkspace }
  | { kind: "gate"; ws: CtoWorkspace; gate: GateState }
  | { kind: "condition"; ws: CtoWorkspace; gate: GateState; condition: GateCondition; index: number }
  | { kind: "promotion"; ws: CtoWorkspace; gate: GateState };

export class GatesView implements vscode.TreeDataProvider<Element>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Element | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly states = new Map<CtoWorkspace, GateState[]>();
  private timer: NodeJS.Timeout | undefined;
  readonly view: vscode.TreeView<Element>;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly model: PlanningModel,
    private readonly media: vscode.Uri,
    /** Evidence bundles known to the editor; empty until the harness provides them. */
    private readonly evidence: (ws: CtoWorkspace) => EvidenceBundle[] = () => [],
  ) {
    this.view = vscode.window.createTreeView(GATES_VIEW, { treeDataProvider: this });
    this.disposables.push(
      this.view,
      model.onDidChange(() => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.refresh(), 150);
      }),
    );
  }

  statesOf(ws: CtoWorkspace): GateState[] {
    let s = this.states.get(ws);
    if (!s) this.states.set(ws, (s = evaluateGates(ws, this.evidence(ws))));
    return s;
  }

  /** The gate being worked on in the first workspace (for the status bar). */
  current(): GateState | undefined {
    const ws = this.model.workspaces()[0];
    return ws ? currentGate(this.statesOf(ws)) : undefined;
  }

  refresh(): void {
    this.states.clear();
    this.changed.fire(undefined);
  }

  getChildren(el?: Element): Element[] {
    if (!el) {
      const wss = this.model.workspaces();
      return wss.length === 1 ? this.gatesOf(wss[0]) : wss.map((ws) => ({ kind: "workspace", ws }));
    }
    if (el.kind === "workspace") return this.gatesOf(el.ws);
    if (el.kind === "gate") {
      const out: Element[] = el.gate.record?.promotionCondition ? [{ kind: "promotion", ws: el.ws, gate: el.gate }] : [];
      return [...out, ...el.gate.conditions.map((condition, index) => ({ kind: "condition", ws: el.ws, gate: el.gate, condition, index }) as Element)];
    }
    return [];
  }

  getTreeItem(el: Element): vscode.TreeItem {
    switch (el.kind) {
      case "workspace": {
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(el.ws.root), vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon("root-folder");
        return item;
      }
      case "gate": {
        const g = el.gate;
        const item = new vscode.TreeItem(g.id, g.state === "open" ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${el.ws.root}::gate:${g.id}`;
        item.description = g.state;
        item.iconPath = vscode.Uri.joinPath(this.media, `gate-${g.state}.svg`);
        item.tooltip = new vscode.MarkdownString(`**${g.id}** — ${g.summary}${g.record?.promotionCondition ? `\n\n*Promotion condition:* ${g.record.promotionCondition}` : ""}`);
        item.contextValue = `gate.${g.state}`;
        if (g.record) item.command = open(vscode.Uri.file(path.join(el.ws.root, g.record.file)), toRange(g.record.range));
        return item;
      }
      case "promotion": {
        const item = new vscode.TreeItem("Promotion condition", vscode.TreeItemCollapsibleState.None);
        item.description = el.gate.record?.promotionCondition;
        item.tooltip = el.gate.record?.promotionCondition;
        item.iconPath = new vscode.ThemeIcon("milestone");
        return item;
      }
      case "condition": {
        const c = el.condition;
        const item = new vscode.TreeItem(c.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = c.ok ? new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed")) : new vscode.ThemeIcon("circle-slash", new vscode.ThemeColor(el.gate.state === "locked" ? "disabledForeground" : "testing.iconFailed"));
        item.tooltip = c.text;
        const link = c.link;
        if (link && "file" in link) item.command = open(vscode.Uri.file(path.join(el.ws.root, link.file)), link.range ? toRange(link.range) : undefined);
        else if (link && "bundle" in link) item.command = { command: "revealInExplorer", title: "Reveal bundle", arguments: [vscode.Uri.file(link.bundle)] };
        return item;
      }
    }
  }

  private gatesOf(ws: CtoWorkspace): Element[] {
    return this.statesOf(ws).map((gate) => ({ kind: "gate", ws, gate }));
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

function open(uri: vscode.Uri, range?: vscode.Range): vscode.Command {
  return { command: "vscode.open", title: "Open", arguments: range ? [uri, { selection: range }] : [uri] };
}
