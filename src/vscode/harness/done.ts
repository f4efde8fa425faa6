// Done records in the editor: read and verified (harness readDoneRecords: files, signatures,
// history — never a validator) when a workspace loads, when a record or the trusted keys change,
// when the repository's HEAD moves and when the workspace becomes trusted; the core compares
// them with the buffers as typed. Recording one (`CTO: Record Done Evidence…`) is the `done` task:
// the validator command is shown first, and runs only after the person confirms, never in an
// untrusted workspace.
import { watch, type FSWatcher } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { DONE_DIR, isChecked, type CtoWorkspace } from "../../core";
import { findGitTop, readDoneRecords } from "../../harness";
import { readHead } from "../../harness/gitsource";
import type { Log } from "../log";
import type { PlanningModel } from "../model";
import type { HarnessService } from "./service";
import { TASK_TYPE, type CtoTaskDefinition, type CtoTaskProvider } from "./tasks";

export class DoneRecords implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Git dirs watched for HEAD moves, by workspace root. */
  private readonly gitWatchers = new Map<string, vscode.Disposable>();
  /** The HEAD each workspace's records were last read against. */
  private readonly heads = new Map<string, string | undefined>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<CtoWorkspace>();
  /** Fires after a workspace's records were read again. */
  readonly onDidRefresh = this.changed.event;

  constructor(
    private readonly model: PlanningModel,
    private readonly harness: HarnessService,
    private readonly log: Log,
  ) {
    model.decorate = (ws) => this.attach(ws);
    const onFile = (u: vscode.Uri) => {
      for (const ws of this.model.workspaces()) if (u.fsPath === path.join(ws.root, ".cto") || inside(path.join(ws.root, ".cto"), u.fsPath)) this.schedule(ws);
    };
    this.disposables.push(this.changed);
    // The folders too: a record written into a folder that was just made (the first `cto done`)
    // can beat the watch on that folder, so its own event may never come; the folder's does.
    for (const glob of ["**/.cto/done/*.json", "**/.cto/trusted-keys", "**/.cto/done", "**/.cto"]) {
      const w = vscode.workspace.createFileSystemWatcher(glob);
      this.disposables.push(w, w.onDidCreate(onFile), w.onDidChange(onFile), w.onDidDelete(onFile));
    }
    this.disposables.push(
      // The workspace's .cto/trusted-keys count only once it is trusted.
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refreshAll()),
      // A commit made elsewhere while the window was away: compare HEAD when it comes back.
      vscode.window.onDidChangeWindowState((s) => {
        if (s.focused) for (const ws of this.model.workspaces()) this.schedule(ws, true);
      }),
    );
  }

  /** Reads a workspace's records now, without telling anyone (the model tells, once it fires). */
  attach(ws: CtoWorkspace): Set<string> {
    const started = performance.now();
    this.heads.set(ws.root, headOf(ws.root));
    const affected = ws.setDoneRecords(readDoneRecords(ws, { trust: this.harness.trustFor(ws) }));
    this.watchGit(ws);
    const ms = performance.now() - started;
    if (ms > 50) this.log.warn(`reading the done records of ${ws.root} took ${ms.toFixed(1)} ms`);
    return affected;
  }

  /** Reads the records again and re-validates the docs whose done-ness may have moved. */
  refresh(ws: CtoWorkspace): void {
    try {
      const affected = this.attach(ws);
      // Every doc defining a checked issue may change (a HEAD move voids records of several).
      for (const [id, defs] of ws.allDefinitions()) if (isChecked(ws, id)) affected.add(defs[0]!.doc);
      const views = [...(ws.doneRecords?.values() ?? [])];
      this.log.info(`done records of ${ws.root}: ${views.length} read, ${views.filter((v) => v.problems.length === 0).length} verified against HEAD ${this.heads.get(ws.root)?.slice(0, 12) ?? "(none)"}`);
      this.model.notify(ws, affected);
      this.changed.fire(ws);
    } catch (e) {
      this.log.error(`reading the done records of ${ws.root} failed`, e);
    }
  }

  refreshAll(): void {
    for (const ws of this.model.workspaces()) this.refresh(ws);
  }

  /** Re-reads soon; `ifHeadMoved`: only when HEAD differs from the one the records were read against. */
  private schedule(ws: CtoWorkspace, ifHeadMoved = false): void {
    const key = ws.root;
    if (this.timers.has(key) && ifHeadMoved) return; // a full refresh is already due
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        const now = this.model.workspaces().find((w) => w.root === key);
        if (!now || (ifHeadMoved && headOf(key) === this.heads.get(key))) return;
        this.refresh(now);
      }, 250),
    );
  }

  /**
   * HEAD and branch moves decide which records still count. VS Code's file watcher leaves `.git`
   * out (as the git extension knows), so the git dir is watched with Node's fs.watch: the git dir
   * itself (HEAD, packed-refs) and its refs; a HEAD that did not move triggers nothing.
   */
  private watchGit(ws: CtoWorkspace): void {
    const loc = findGitTop(ws.root);
    if (!loc || this.gitWatchers.has(ws.root)) return;
    const again = () => {
      const now = this.model.workspaces().find((x) => x.root === ws.root);
      if (now) this.schedule(now, true);
    };
    const watchers: FSWatcher[] = [];
    const dirs: [string, boolean][] = [[loc.gitDir, false], [path.join(loc.commonDir, "refs"), true]];
    if (loc.commonDir !== loc.gitDir) dirs.push([loc.commonDir, false]);
    for (const [dir, recursive] of dirs) {
      try {
        const w = watch(dir, { recursive, persistent: false }, again);
        w.on("error", () => w.close());
        watchers.push(w);
      } catch {
        // No recursive watching here (or no such folder): the focus check still sees a moved HEAD.
      }
    }
    this.gitWatchers.set(ws.root, { dispose: () => watchers.forEach((w) => w.close()) });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.gitWatchers.values()) d.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The repository HEAD above a folder, read from its files (undefined: none, or unreadable). */
function headOf(root: string): string | undefined {
  try {
    const loc = findGitTop(root);
    return loc ? readHead(loc) : undefined;
  } catch {
    return undefined;
  }
}

function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** `CTO: Record Done Evidence…`: picks a checked issue (or takes the tree item), runs the `done` task. */
export function doneCommands(model: PlanningModel, harness: HarnessService, tasks: CtoTaskProvider): Record<string, (...args: unknown[]) => unknown> {
  const pickIssue = async (arg: unknown): Promise<string | undefined> => {
    if (typeof arg === "string") return arg;
    if (arg && typeof arg === "object" && "node" in arg) return (arg as { node: { id: string } }).node.id;
    const items = model.workspaces().flatMap((ws) =>
      [...ws.allDefinitions().keys()]
        .filter((id) => isChecked(ws, id))
        .map((id) => {
          const s = ws.definitions(id)[0]!;
          return { label: id, description: s.issue.issueTitle, detail: path.join(vscode.workspace.asRelativePath(ws.root), DONE_DIR, `${id}.json`) };
        }),
    );
    if (items.length === 0) {
      void vscode.window.showInformationMessage("CTO: no issue has all its acceptance criteria checked; check them first (done records hold the criteria as checked).");
      return undefined;
    }
    return (await vscode.window.showQuickPick(items, { placeHolder: "Record done evidence for which issue? (its Validator: line runs in the sandbox)" }))?.label;
  };
  const run = async (def: CtoTaskDefinition): Promise<number | undefined> => {
    const execution = await vscode.tasks.executeTask(tasks.make(def));
    return new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution === execution) {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
  };
  return {
    async recordDone(arg?: unknown) {
      if (!harness.requireTrust("recording done evidence")) return undefined;
      const id = await pickIssue(arg);
      return id ? run({ type: TASK_TYPE, command: "done", issue: id }) : undefined;
    },
    async recheckDone(arg?: unknown) {
      if (!harness.requireTrust("re-checking done evidence")) return undefined;
      const id = await pickIssue(arg);
      return id ? run({ type: TASK_TYPE, command: "done", issue: id, recheck: true }) : undefined;
    },
  };
}
