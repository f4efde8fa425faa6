// The Stage Gates view: the six gates in order, their state (locked, open, passed) and why,
// computed by the core from the records plus the evidence bundles it is given. A task-set gate
// (3–5) also shows its tasks passed / needed, the reviews outstanding (each with Review Patch…),
// and, while it is open, "Run What Is Missing" (cto.gates.runMissing).
import * as path from "node:path";
import * as vscode from "vscode";
import { currentGate, evaluateGates, type CtoWorkspace, type EvidenceBundle, type GateCondition, type GateInputs, type GateState, type TaskProgress } from "../../core";
import { toRange } from "../convert";
import type { PlanningModel } from "../model";

export const GATES_VIEW = "ctoGates";

type Element =
  | { kind: "workspace"; ws: CtoWorkspace }
  | { kind: "gate"; ws: CtoWorkspace; gate: GateState }
  | { kind: "condition"; ws: CtoWorkspace; gate: GateState; condition: GateCondition; index: number }
  | { kind: "promotion"; ws: CtoWorkspace; gate: GateState }
  // Issue 12: a task-set gate's tasks and the reviews it waits for.
  | { kind: "tasks"; ws: CtoWorkspace; gate: GateState }
  | { kind: "task"; ws: CtoWorkspace; gate: GateState; task: TaskProgress }
  | { kind: "reviews"; ws: CtoWorkspace; gate: GateState }
  | { kind: "review"; ws: CtoWorkspace; gate: GateState; task: string; bundle: string; runId: string };

export type GatesElement = Element;

/** Tasks of an open gate that a run of case would satisfy (their task file and repo are usable). */
export function missingRuns(gate: GateState): TaskProgress[] {
  return gate.state === "open" ? (gate.progress?.tasks ?? []).filter((t) => t.needsRun) : [];
}

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
    /** What the gates read besides bundles (reviews by a person). */
    private readonly inputs: (ws: CtoWorkspace) => GateInputs = () => ({}),
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
    if (!s) this.states.set(ws, (s = evaluateGates(ws, this.evidence(ws), this.inputs(ws))));
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
      const p = el.gate.progress;
      if (p?.record) out.push({ kind: "tasks", ws: el.ws, gate: el.gate });
      if (p?.reviewsOutstanding.length) out.push({ kind: "reviews", ws: el.ws, gate: el.gate });
      return [...out, ...el.gate.conditions.map((condition, index) => ({ kind: "condition", ws: el.ws, gate: el.gate, condition, index }) as Element)];
    }
    if (el.kind === "tasks") return (el.gate.progress?.tasks ?? []).map((task) => ({ kind: "task", ws: el.ws, gate: el.gate, task }));
    if (el.kind === "reviews") return (el.gate.progress?.reviewsOutstanding ?? []).map((r) => ({ kind: "review", ws: el.ws, gate: el.gate, ...r }));
    return [];
  }

  /** For reveal(): a gate's children hang under the gate, gates under their workspace (when there are several). */
  getParent(el: Element): Element | undefined {
    if (el.kind === "workspace") return undefined;
    if (el.kind === "gate") return this.model.workspaces().length > 1 ? { kind: "workspace", ws: el.ws } : undefined;
    if (el.kind === "task") return { kind: "tasks", ws: el.ws, gate: el.gate };
    if (el.kind === "review") return { kind: "reviews", ws: el.ws, gate: el.gate };
    return { kind: "gate", ws: el.ws, gate: el.gate };
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
        // The state is part of the id: a gate that passes folds away and the next open one unfolds.
        item.id = `${el.ws.root}::gate:${g.id}:${g.state}`;
        const p = g.progress;
        const outstanding = p?.reviewsOutstanding.length ?? 0;
        // Without a task-set record there is nothing to count: the conditions say what is missing.
        item.description = [g.state, ...(p?.record ? [`tasks ${p.passed}/${p.needed}`] : []), ...(outstanding ? [`${outstanding} review(s) outstanding`] : [])].join(" · ");
        item.iconPath = vscode.Uri.joinPath(this.media, `gate-${g.state}.svg`);
        item.tooltip = new vscode.MarkdownString(`**${g.id}** — ${g.summary}${g.record?.promotionCondition ? `\n\n*Promotion condition:* ${g.record.promotionCondition}` : ""}`);
        item.contextValue = `gate.${g.state}${missingRuns(g).length ? ".missing" : ""}`;
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
      case "tasks": {
        const p = el.gate.progress!;
        const item = new vscode.TreeItem(`Tasks: ${p.passed}/${p.needed} passed`, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${el.ws.root}::gate:${el.gate.id}:${el.gate.state}:tasks`;
        item.description = p.record;
        item.iconPath = new vscode.ThemeIcon("tasklist");
        item.tooltip = `The tasks of the task-set record ${p.record}: each needs a fresh, verified, signed, isolated pass run of case on its task file and repo as they are now.`;
        if (p.record) item.command = open(vscode.Uri.file(path.join(el.ws.root, p.record)));
        return item;
      }
      case "task": {
        const t = el.task;
        const item = new vscode.TreeItem(t.task, vscode.TreeItemCollapsibleState.None);
        item.id = `${el.ws.root}::gate:${el.gate.id}:${el.gate.state}:task:${t.task}`;
        item.description = t.ok ? "passed" : t.needsRun ? "needs a run" : t.reviewOutstanding ? "review outstanding" : "not counted";
        item.tooltip = t.ok ? `${t.task}: passed (${t.runId})` : (t.reason ?? "");
        item.iconPath = t.ok ? new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed")) : new vscode.ThemeIcon(t.needsRun ? "play-circle" : "circle-slash", new vscode.ThemeColor(el.gate.state === "locked" ? "disabledForeground" : "testing.iconFailed"));
        item.contextValue = t.needsRun && el.gate.state === "open" ? "gateTask.missing" : "gateTask";
        item.command = open(vscode.Uri.file(t.file));
        return item;
      }
      case "reviews": {
        const n = el.gate.progress!.reviewsOutstanding.length;
        const item = new vscode.TreeItem(`Reviews outstanding: ${n}`, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${el.ws.root}::gate:${el.gate.id}:${el.gate.state}:reviews`;
        item.iconPath = new vscode.ThemeIcon("comment-discussion");
        item.tooltip = "Patches that count but wait for a person's review (CTO: Review Patch…, or cto review).";
        return item;
      }
      case "review": {
        const item = new vscode.TreeItem(`${el.task}: review run ${el.runId}`, vscode.TreeItemCollapsibleState.None);
        item.id = `${el.ws.root}::gate:${el.gate.id}:${el.gate.state}:review:${el.runId}`;
        item.description = "Review Patch…";
        item.iconPath = new vscode.ThemeIcon("git-pull-request");
        item.contextValue = "gateReview";
        item.command = { command: "cto.reviewPatch", title: "Review Patch…", arguments: [el.bundle] };
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
