// The Work Issues view: the CTO-WORK dependency tree of every workspace, with criteria as
// checkboxes that edit the doc, allowed files and validator as children, error markers from
// the validator, a badge counting ready issues, and reveal-from-editor.
import * as vscode from "vscode";
import { buildIssueTree, stateLabel, type CtoWorkspace, type IssueNode, type IssueTree, type TreeMode } from "../../core";
import { toRange } from "../convert";
import type { DiagnosticsFeature } from "../diagnostics";
import type { PlanningModel } from "../model";

export const ISSUES_VIEW = "ctoIssues";
const MODE_KEY = "cto.issues.mode";

type Element =
  | { kind: "workspace"; ws: CtoWorkspace; tree: IssueTree }
  | { kind: "issue"; ws: CtoWorkspace; node: IssueNode; parentEl?: Element }
  | { kind: "cycles"; ws: CtoWorkspace; cycles: string[][] }
  | { kind: "detail"; ws: CtoWorkspace; id: string; label: string; description?: string; icon: string; criterion?: number; parentEl: Element; docLine?: number };

const STATE_ICON = {
  done: new vscode.ThemeIcon("pass-filled", new vscode.ThemeColor("testing.iconPassed")),
  // Every box ticked, no done record that holds: a claim, not yet evidence.
  checked: new vscode.ThemeIcon("pass", new vscode.ThemeColor("editorWarning.foreground")),
  ready: new vscode.ThemeIcon("circle-large-outline", new vscode.ThemeColor("charts.blue")),
  blocked: new vscode.ThemeIcon("lock", new vscode.ThemeColor("disabledForeground")),
};

export class IssuesView implements vscode.TreeDataProvider<Element>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Element | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly trees = new Map<CtoWorkspace, IssueTree>();
  private readonly wsElements = new Map<CtoWorkspace, Element>();
  private readonly issueElements = new Map<IssueNode, Element>();
  private mode: TreeMode;
  private refreshTimer: NodeJS.Timeout | undefined;
  readonly view: vscode.TreeView<Element>;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly model: PlanningModel,
    private readonly diagnostics: DiagnosticsFeature,
    private readonly state: vscode.Memento,
  ) {
    this.mode = state.get<TreeMode>(MODE_KEY) ?? "tree";
    this.view = vscode.window.createTreeView(ISSUES_VIEW, { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.view.onDidChangeCheckboxState((e) => void this.toggleCriteria(e.items)),
      model.onDidChange(() => this.scheduleRefresh()),
      diagnostics.onDidPublish(() => this.scheduleRefresh()),
    );
    void vscode.commands.executeCommand("setContext", MODE_KEY, this.mode);
  }

  /** The tree of a workspace as last built (tests and the CLI-equivalent checks read it). */
  treeOf(ws: CtoWorkspace): IssueTree {
    let t = this.trees.get(ws);
    if (!t) this.trees.set(ws, (t = buildIssueTree(ws, this.mode)));
    return t;
  }

  setMode(mode: TreeMode): void {
    this.mode = mode;
    void this.state.update(MODE_KEY, mode);
    void vscode.commands.executeCommand("setContext", MODE_KEY, mode);
    this.refresh();
  }

  get currentMode(): TreeMode {
    return this.mode;
  }

  refresh(): void {
    this.trees.clear();
    this.wsElements.clear();
    this.issueElements.clear();
    const ready = this.model.workspaces().reduce((n, ws) => n + this.treeOf(ws).ready.length, 0);
    this.view.badge = ready > 0 ? { value: ready, tooltip: `${ready} CTO-WORK issue(s) ready to start` } : undefined;
    void vscode.commands.executeCommand("setContext", "cto.hasWorkspace", this.model.workspaces().length > 0);
    this.changed.fire(undefined);
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 150);
  }

  getChildren(el?: Element): Element[] {
    if (!el) {
      const wss = this.model.workspaces();
      if (wss.length === 1) return this.rootsOf(wss[0]);
      return wss.map((ws) => this.wsElement(ws));
    }
    switch (el.kind) {
      case "workspace":
        return this.rootsOf(el.ws);
      case "cycles":
        return [];
      case "detail":
        return [];
      case "issue":
        return [...this.details(el), ...el.node.children.map((c) => this.issueElement(el.ws, c, el))];
    }
  }

  getParent(el: Element): Element | undefined {
    if (el.kind === "issue" || el.kind === "detail") return el.parentEl;
    return undefined;
  }

  getTreeItem(el: Element): vscode.TreeItem {
    switch (el.kind) {
      case "workspace": {
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(el.ws.root), vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon("root-folder");
        item.description = `${el.tree.ready.length} ready`;
        return item;
      }
      case "cycles": {
        const item = new vscode.TreeItem(`${el.cycles.length} dependency cycle(s)`, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon("error", new vscode.ThemeColor("errorForeground"));
        item.description = el.cycles.map((c) => c.join(" → ")).join("; ");
        item.tooltip = "Each cycle is shown once and not expanded; the validator reports it on the Blocked by lines.";
        return item;
      }
      case "detail": {
        const item = new vscode.TreeItem(el.label, vscode.TreeItemCollapsibleState.None);
        item.description = el.description;
        if (el.criterion !== undefined) {
          const issue = this.issueOf(el.ws, el.id);
          const c = issue?.criteria[el.criterion];
          item.checkboxState = c?.checked ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked;
          item.contextValue = "criterion";
        } else item.iconPath = new vscode.ThemeIcon(el.icon);
        const doc = this.docOf(el.ws, el.id);
        if (doc && el.docLine) item.command = openCommand(this.model.uriOf(el.ws, doc), new vscode.Range(el.docLine - 1, 0, el.docLine - 1, 0));
        return item;
      }
      case "issue":
        return this.issueItem(el);
    }
  }

  private issueItem(el: Extract<Element, { kind: "issue" }>): vscode.TreeItem {
    const { node, ws } = el;
    const s = node.status;
    const hasChildren = !node.repeat && !node.cycle && (node.children.length > 0 || s.issue !== undefined);
    const item = new vscode.TreeItem(`${node.id} ${s.title}`, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = elementId(el);
    const errors = this.errorsIn(ws, node.id);
    const parts: string[] = [];
    if (node.cycle) parts.push("↻ cycle");
    else if (node.repeat) parts.push("↑ repeat");
    parts.push(s.state === "blocked" && s.openBlockers.length ? `blocked by ${s.openBlockers.map(short).join(", ")}` : stateLabel(s.state));
    if (s.criteriaTotal) parts.push(`${s.criteriaDone}/${s.criteriaTotal}`);
    if (s.type) parts.push(s.type);
    if (!s.doc) parts.push("WORKBOARD.yaml only");
    if (node.impact !== undefined) parts.push(`unblocks ${node.impact}`);
    if (errors.length) parts.push(`${errors.length} error(s)`);
    item.description = parts.join(" · ");
    item.iconPath = errors.length ? new vscode.ThemeIcon("error", new vscode.ThemeColor("errorForeground")) : node.cycle ? new vscode.ThemeIcon("sync", new vscode.ThemeColor("errorForeground")) : STATE_ICON[s.state];
    item.contextValue = `issue.${s.state}`;
    const what = s.issue?.fields.find((f) => f.key.toLowerCase() === "what to build")?.value;
    const tip = new vscode.MarkdownString(`**${node.id}** — ${s.title}\n\n${what ?? (s.doc ? "" : "Known only from WORKBOARD.yaml.")}`);
    if (errors.length) tip.appendMarkdown(`\n\n**Validator:** ${errors.map((e) => e.message).join("; ")}`);
    const ev = s.evidence;
    if (ev?.state === "evidenced" && ev.record) tip.appendMarkdown(`\n\n**Done:** evidenced by ${ev.file} (commit \`${ev.record.commit.slice(0, 12)}\`, signed by ${ev.record.signer}${ev.record.recheck ? `, re-checked ${ev.record.recheck.at.slice(0, 10)}` : ""})`);
    else if (ev?.reason) tip.appendMarkdown(`\n\n**Checked, not evidenced:** ${ev.reason}`);
    item.tooltip = tip;
    const target = s.doc && s.issue ? { uri: this.model.uriOf(ws, s.doc), range: toRange(s.issue.headingRange) } : this.workboardLocation(ws, node.id);
    if (target) item.command = openCommand(target.uri, target.range);
    return item;
  }

  /** Criteria, allowed files and the validator command, under an issue (first occurrence only). */
  private details(el: Extract<Element, { kind: "issue" }>): Element[] {
    const issue = el.node.status.issue;
    if (!issue || el.node.repeat || el.node.cycle) return [];
    const out: Element[] = issue.criteria.map((c, i) => ({ kind: "detail", ws: el.ws, id: el.node.id, label: c.text, icon: "checklist", criterion: i, parentEl: el, docLine: c.range.line }) as Element);
    const field = (k: string) => issue.fields.find((f) => f.key.toLowerCase() === k);
    const allowed = field("allowed files");
    if (allowed) out.push({ kind: "detail", ws: el.ws, id: el.node.id, label: "Allowed files", description: allowed.value, icon: "files", parentEl: el, docLine: allowed.keyRange.line });
    const validator = field("validator");
    if (validator) out.push({ kind: "detail", ws: el.ws, id: el.node.id, label: "Validator", description: validator.value.replace(/`/g, ""), icon: "terminal", parentEl: el, docLine: validator.keyRange.line });
    const ev = el.node.status.evidence;
    if (ev) {
      const line = field("done evidence")?.keyRange.line ?? issue.headingRange.line;
      const description = ev.state === "evidenced" && ev.record ? `${ev.file} · commit ${ev.record.commit.slice(0, 12)} · signed by ${ev.record.signer}` : `not evidenced: ${ev.reason ?? ""}`;
      out.push({ kind: "detail", ws: el.ws, id: el.node.id, label: "Done record", description, icon: ev.state === "evidenced" ? "verified-filled" : "unverified", parentEl: el, docLine: line });
    }
    return out;
  }

  /** Selects the issue under the editor's cursor (the section holding it, or the ID under it). */
  async reveal(editor: vscode.TextEditor | undefined): Promise<string | undefined> {
    if (!editor) return undefined;
    const at = this.model.locate(editor.document.uri);
    const doc = at && at.ws.docs.get(at.rel);
    if (!at || !doc) return undefined;
    const line = editor.selection.active.line + 1;
    const word = editor.document.getWordRangeAtPosition(editor.selection.active, /CTO-WORK-\d{3,}/);
    const id = word ? editor.document.getText(word) : doc.issues.find((i) => i.headingRange.line <= line && line <= i.endLine)?.id;
    if (!id) return undefined;
    const node = this.treeOf(at.ws).firstOf.get(id);
    if (!node) return undefined;
    await this.view.reveal(this.elementFor(at.ws, node), { select: true, focus: true, expand: true });
    return id;
  }

  /** Flips one criterion (context menu and keyboard; the checkbox goes through the same edit). */
  async toggleCriterion(el: Element): Promise<boolean> {
    if (el.kind !== "detail" || el.criterion === undefined) return false;
    const c = this.issueOf(el.ws, el.id)?.criteria[el.criterion];
    if (!c) return false;
    await this.toggleCriteria([[el, c.checked ? vscode.TreeItemCheckboxState.Unchecked : vscode.TreeItemCheckboxState.Checked]]);
    return true;
  }

  private async toggleCriteria(items: readonly (readonly [Element, vscode.TreeItemCheckboxState])[]): Promise<void> {
    const edit = new vscode.WorkspaceEdit();
    for (const [el, state] of items) {
      if (el.kind !== "detail" || el.criterion === undefined) continue;
      const issue = this.issueOf(el.ws, el.id);
      const doc = this.docOf(el.ws, el.id);
      const c = issue?.criteria[el.criterion];
      if (!c || !doc) continue;
      edit.replace(this.model.uriOf(el.ws, doc), toRange(c.markRange), state === vscode.TreeItemCheckboxState.Checked ? "x" : " ");
    }
    // One WorkspaceEdit: a single undo step; replacing the mark keeps the file's line endings.
    if (edit.size > 0) await vscode.workspace.applyEdit(edit);
  }

  private rootsOf(ws: CtoWorkspace): Element[] {
    const tree = this.treeOf(ws);
    const parent = this.model.workspaces().length > 1 ? this.wsElement(ws) : undefined;
    const out: Element[] = tree.roots.map((n) => this.issueElement(ws, n, parent));
    if (tree.cycles.length > 0) out.push({ kind: "cycles", ws, cycles: tree.cycles });
    return out;
  }

  private wsElement(ws: CtoWorkspace): Element {
    let el = this.wsElements.get(ws);
    if (!el) this.wsElements.set(ws, (el = { kind: "workspace", ws, tree: this.treeOf(ws) }));
    return el;
  }

  private issueElement(ws: CtoWorkspace, node: IssueNode, parentEl: Element | undefined): Element {
    let el = this.issueElements.get(node);
    if (!el) this.issueElements.set(node, (el = { kind: "issue", ws, node, ...(parentEl ? { parentEl } : {}) }));
    return el;
  }

  /** The element of a node, creating its ancestors' elements on the way (for reveal). */
  private elementFor(ws: CtoWorkspace, node: IssueNode): Element {
    const parent = node.parent ? this.elementFor(ws, node.parent) : this.model.workspaces().length > 1 ? this.wsElement(ws) : undefined;
    return this.issueElement(ws, node, parent);
  }

  private issueOf(ws: CtoWorkspace, id: string) {
    return ws.definitions(id)[0]?.issue;
  }

  private docOf(ws: CtoWorkspace, id: string) {
    return ws.definitions(id)[0]?.doc;
  }

  private errorsIn(ws: CtoWorkspace, id: string) {
    const def = ws.definitions(id)[0];
    if (!def) return [];
    return this.diagnostics
      .findingsFor(this.model.uriOf(ws, def.doc))
      .filter((f) => f.severity === "error" && f.range.line >= def.issue.headingRange.line && f.range.line <= def.issue.endLine);
  }

  private workboardLocation(ws: CtoWorkspace, id: string) {
    const item = ws.workboard?.items.get(id);
    return item ? { uri: this.model.uriOf(ws, "WORKBOARD.yaml"), range: toRange(item.range) } : undefined;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }
}

function elementId(el: Extract<Element, { kind: "issue" }>): string {
  return `${el.ws.root}::${el.node.key}${el.node.repeat ? "#repeat" : ""}${el.node.cycle ? "#cycle" : ""}`;
}

function short(id: string): string {
  return id.replace(/^CTO-WORK-/, "");
}

function openCommand(uri: vscode.Uri, range: vscode.Range): vscode.Command {
  return { command: "vscode.open", title: "Open", arguments: [uri, { selection: range, preserveFocus: false }] };
}
