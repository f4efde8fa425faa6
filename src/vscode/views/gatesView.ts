// The Stage Gates view: the six gates in order, their state (locked, open, passed) and why,
// computed by the core from the records plus the evidence bundles (and comparisons, reviews) it
// is given. A task-set gate (3–5) also shows its tasks passed / needed, the reviews outstanding
// (each with Review Patch…), and, while it is open, "Run What Is Missing" (cto.gates.runMissing).
// Under candidate-default: the comparison it was judged on, engine × task with status and blocker.
import * as path from "node:path";
import * as vscode from "vscode";
import { currentGate, evaluateGates, gateContextValue, gateDescription, taskStatus, type ComparisonTable, type CtoWorkspace, type EvidenceBundle, type GateCondition, type GateInputs, type GateState, type TaskProgress } from "../../core";
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
  | { kind: "review"; ws: CtoWorkspace; gate: GateState; task: string; bundle: string; runId: string }
  | { kind: "comparison"; ws: CtoWorkspace; gate: GateState; table: ComparisonTable }
  | { kind: "engine"; ws: CtoWorkspace; gate: GateState; table: ComparisonTable; engine: string }
  | { kind: "cell"; ws: CtoWorkspace; gate: GateState; table: ComparisonTable; cell: ComparisonTable["cells"][number] };

export type GatesElement = Element;

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
      const table: Element[] = el.gate.comparison ? [{ kind: "comparison", ws: el.ws, gate: el.gate, table: el.gate.comparison }] : [];
      return [...out, ...el.gate.conditions.map((condition, index) => ({ kind: "condition", ws: el.ws, gate: el.gate, condition, index }) as Element), ...table];
    }
    if (el.kind === "comparison") return el.table.engines.map((engine) => ({ kind: "engine", ws: el.ws, gate: el.gate, table: el.table, engine }));
    if (el.kind === "engine") {
      // In the comparison's task order; a task without a cell shows as missing.
      return el.table.tasks.flatMap((t) => {
        const cells = el.table.cells.filter((c) => c.engine === el.engine && c.taskPath === t.path);
        const shown = cells.length ? cells : [{ engine: el.engine, taskId: t.id, taskPath: t.path, status: "missing", blocker: null, counts: false, why: "the comparison has no cell for it" }];
        return shown.map((cell) => ({ kind: "cell", ws: el.ws, gate: el.gate, table: el.table, cell }) as Element);
      });
    }
    if (el.kind === "tasks") return (el.gate.progress?.tasks ?? []).map((task) => ({ kind: "task", ws: el.ws, gate: el.gate, task }));
    if (el.kind === "reviews") return (el.gate.progress?.reviewsOutstanding ?? []).map((r) => ({ kind: "review", ws: el.ws, gate: el.gate, ...r }));
    return [];
  }

  /** For reveal(): each element's parent, rebuilt from what it carries (items are matched by id). */
  getParent(el: Element): Element | undefined {
    switch (el.kind) {
      case "workspace":
        return undefined;
      case "gate":
        return this.model.workspaces().length === 1 ? undefined : { kind: "workspace", ws: el.ws };
      case "condition":
      case "promotion":
      case "comparison":
      case "tasks":
      case "reviews":
        return { kind: "gate", ws: el.ws, gate: el.gate };
      case "task":
        return { kind: "tasks", ws: el.ws, gate: el.gate };
      case "review":
        return { kind: "reviews", ws: el.ws, gate: el.gate };
      case "engine":
        return { kind: "comparison", ws: el.ws, gate: el.gate, table: el.table };
      case "cell":
        return { kind: "engine", ws: el.ws, gate: el.gate, table: el.table, engine: el.cell.engine };
    }
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
        // Rows (gates 1–2), tasks (3–5), reviews outstanding, the comparison's totals (6): src/core/gateView.ts.
        item.description = gateDescription(g);
        item.iconPath = vscode.Uri.joinPath(this.media, `gate-${g.state}.svg`);
        item.tooltip = new vscode.MarkdownString(`**${g.id}** — ${g.summary}${g.record?.promotionCondition ? `\n\n*Promotion condition:* ${g.record.promotionCondition}` : ""}`);
        item.contextValue = gateContextValue(g);
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
        item.description = taskStatus(t);
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
      case "comparison": {
        const t = el.table;
        const item = new vscode.TreeItem("Comparison", vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${el.ws.root}::comparison:${t.path}`;
        item.description = `${t.tasks.length} task(s) × ${t.engines.length} engines · ${t.generatedAt.slice(0, 16).replace("T", " ")} · signed by ${t.signer}`;
        item.tooltip = comparisonMarkdown(t);
        item.iconPath = new vscode.ThemeIcon("table");
        item.contextValue = "comparison";
        item.command = { command: "markdown.showPreview", title: "Open comparison", arguments: [vscode.Uri.file(path.join(el.ws.root, t.path, "comparison.md"))] };
        return item;
      }
      case "engine": {
        const total = el.table.engineTotals.find((x) => x.engine === el.engine);
        const item = new vscode.TreeItem(el.engine, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `${el.ws.root}::comparison:${el.table.path}:${el.engine}`;
        item.description = total ? `${total.passed}/${total.tasks} passed${total.blockerKinds.length ? ` · ${total.blockerKinds.join(", ")}` : ""}` : "";
        item.iconPath = new vscode.ThemeIcon(el.engine === "case" ? "beaker" : "server-process");
        return item;
      }
      case "cell": {
        const c = el.cell;
        const item = new vscode.TreeItem(c.taskId, vscode.TreeItemCollapsibleState.None);
        item.id = `${el.ws.root}::comparison:${el.table.path}:${c.engine}:${c.taskPath}:${c.bundle ?? c.status}`;
        item.description = `${c.status}${c.blocker ? ` · ${c.blocker}` : ""}${c.counts ? "" : " · does not count"}`;
        item.tooltip = `${c.engine} × ${c.taskId}: ${c.status}${c.blocker ? ` (${c.blocker})` : ""}${c.why ? `\n${c.why}` : ""}${c.bundle ? `\n${c.bundle}` : ""}`;
        item.iconPath = !c.counts
          ? new vscode.ThemeIcon("warning", new vscode.ThemeColor("problemsWarningIcon.foreground"))
          : c.status === "pass"
            ? new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed"))
            : new vscode.ThemeIcon("error", new vscode.ThemeColor("testing.iconFailed"));
        item.contextValue = "comparisonCell";
        if (c.bundle) item.command = { command: "cto.openReport", title: "Open report", arguments: [c.bundle] };
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

/** The comparison as a markdown table (engine × task: status and first blocker), for the tooltip. */
export function comparisonMarkdown(t: ComparisonTable): vscode.MarkdownString {
  const esc = (s: string) => s.replace(/[|\\`*_]/g, (c) => `\\${c}`);
  const rows = t.tasks.map((task) => {
    const cells = t.engines.map((e) => {
      const c = t.cells.filter((x) => x.engine === e && x.taskPath === task.path);
      return c.length ? c.map((x) => `${x.status}${x.blocker ? ` ${esc(x.blocker)}` : ""}${x.counts ? "" : " ⚠"}`).join(" / ") : "missing";
    });
    return `| ${esc(task.id)} | ${cells.join(" | ")} |`;
  });
  const totals = t.engines.map((e) => {
    const x = t.engineTotals.find((y) => y.engine === e);
    return x ? `${x.passed}/${x.tasks}` : "—";
  });
  const md = new vscode.MarkdownString([`**Comparison** ${esc(t.path)} — ${t.generatedAt}, signed by ${esc(t.signer)}`, "", `| task | ${t.engines.join(" | ")} |`, `| --- | ${t.engines.map(() => "---").join(" | ")} |`, ...rows, `| **passed** | ${totals.join(" | ")} |`, "", "⚠ = the bundle does not count now (see the cell)."].join("\n"));
  return md;
}

function open(uri: vscode.Uri, range?: vscode.Range): vscode.Command {
  return { command: "vscode.open", title: "Open", arguments: range ? [uri, { selection: range }] : [uri] };
}
