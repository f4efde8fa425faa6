// The editor's view of the CTO child workspaces: the core's CtoWorkspace per WORKBOARD.yaml
// root, fed from disk and from open editor buffers, and kept current by a file watcher.
import * as path from "node:path";
import * as vscode from "vscode";
import { CONFIG_FILE, CtoWorkspace, decodeText, discoverWorkspaces, LEXICON_FILE, loadWorkspace, readConfigFile, readTextOrWhy, toRel, WORKBOARD_FILE, type TaskFacts } from "../core";
import { SKIP_DIRS } from "../core/load";
import { vscodeFs } from "./fsAdapter";
import type { Log } from "./log";

export interface ModelChange {
  ws: CtoWorkspace;
  /** Workspace-relative docs whose findings may have changed. */
  affected: Set<string>;
  /** Only the task facts changed (the docs' text did not). */
  factsOnly?: boolean;
}

export class PlanningModel implements vscode.Disposable {
  private readonly roots = new Map<string, CtoWorkspace>();
  private readonly changeEmitter = new vscode.EventEmitter<ModelChange>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  private scanning: Promise<void> | undefined;
  readonly onDidChange = this.changeEmitter.event;
  /** Called on each freshly loaded workspace before anyone hears of it (the done records attach here). */
  decorate: ((ws: CtoWorkspace) => void) | undefined;

  constructor(private readonly log: Log) {
    const watcher = vscode.workspace.createFileSystemWatcher("**/{*.md,WORKBOARD.yaml,lexicon.yaml,config.yaml}");
    this.disposables.push(
      watcher,
      watcher.onDidCreate((u) => this.onDiskChange(u, "create")),
      watcher.onDidChange((u) => this.onDiskChange(u, "change")),
      watcher.onDidDelete((u) => this.onDiskChange(u, "delete")),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scan()),
      // A closed buffer's unsaved text is gone: fall back to what is on disk.
      vscode.workspace.onDidCloseTextDocument((d) => void this.reloadFromDisk(d.uri)),
    );
  }

  /** All workspaces, deepest roots last. */
  workspaces(): CtoWorkspace[] {
    return [...this.roots.values()];
  }

  /** Discovers and loads every workspace under the open folders (once; later calls wait for it). */
  scan(): Promise<void> {
    this.scanning = (async () => {
      const started = Date.now();
      const found = (await Promise.all((vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => discoverWorkspaces(f.uri.fsPath, vscodeFs)))).flat();
      const fresh = new Map<string, CtoWorkspace>();
      for (const f of found) {
        if (fresh.has(f.root)) continue;
        const ws = await loadWorkspace(f, vscodeFs);
        // Unsaved edits win over disk.
        for (const doc of vscode.workspace.textDocuments) {
          const rel = this.relIn(ws.root, doc.uri);
          if (rel !== undefined && rel.endsWith(".md") && doc.isDirty) ws.setDoc(rel, doc.getText(), true);
        }
        try {
          this.decorate?.(ws);
        } catch (e) {
          this.log.error(`preparing ${ws.root} failed`, e);
        }
        fresh.set(f.root, ws);
      }
      const gone = [...this.roots.keys()].filter((r) => !fresh.has(r));
      this.roots.clear();
      for (const [r, ws] of fresh) this.roots.set(r, ws);
      this.log.info(`found ${fresh.size} CTO workspace(s) in ${Date.now() - started} ms${gone.length ? `; ${gone.length} gone` : ""}`);
      for (const ws of fresh.values()) this.changeEmitter.fire({ ws, affected: new Set(ws.docs.keys()) });
    })().catch((e) => this.log.error("scanning workspaces failed", e));
    return this.scanning;
  }

  whenScanned(): Promise<void> {
    return this.scanning ?? this.scan();
  }

  /** The workspace holding a file (deepest root wins) and the file's path in it. */
  locate(uri: vscode.Uri): { ws: CtoWorkspace; rel: string } | undefined {
    let best: { ws: CtoWorkspace; rel: string } | undefined;
    for (const ws of this.roots.values()) {
      const rel = this.relIn(ws.root, uri);
      if (rel !== undefined && (!best || ws.root.length > best.ws.root.length)) best = { ws, rel };
    }
    return best;
  }

  uriOf(ws: CtoWorkspace, rel: string): vscode.Uri {
    return vscode.Uri.file(path.join(ws.root, rel));
  }

  /** Takes an editor buffer's current text. */
  updateFromDocument(doc: vscode.TextDocument): void {
    const at = this.locate(doc.uri);
    if (!at) return;
    const text = doc.getText();
    // Opening a file, or typing back what was there, changes nothing: skip the re-parse.
    if (at.ws.docs.get(at.rel)?.text === text) return;
    this.apply(at.ws, at.rel, text);
  }

  /** Sets what the harness read about the task sets' files (task facts); their docs are re-validated. */
  setTaskFacts(ws: CtoWorkspace, facts: Map<string, TaskFacts>, factsOnly = true): void {
    const affected = ws.setTaskFacts(facts);
    if (affected.size && this.roots.get(ws.root) === ws) this.changeEmitter.fire({ ws, affected, factsOnly });
  }

  /** Tells listeners that something besides a file changed these docs' findings (done records read anew). */
  notify(ws: CtoWorkspace, affected: Set<string>): void {
    if (this.roots.get(ws.root) === ws) this.changeEmitter.fire({ ws, affected });
  }

  private apply(ws: CtoWorkspace, rel: string, text: string | undefined | { unreadable: string }): void {
    let affected: Set<string>;
    if (rel === CONFIG_FILE) affected = ws.setConfig(text);
    else if (rel === WORKBOARD_FILE) affected = ws.setWorkboard(text);
    else if (rel === LEXICON_FILE) affected = ws.setLexicon(text);
    else if (typeof text !== "string") affected = ws.deleteDoc(rel);
    else affected = ws.setDoc(rel, text);
    this.changeEmitter.fire({ ws, affected });
  }

  private async reloadFromDisk(uri: vscode.Uri): Promise<void> {
    const at = this.locate(uri);
    if (!at) return;
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      const d = decodeText(bytes);
      if (at.rel.endsWith(".md")) {
        this.changeEmitter.fire({ ws: at.ws, affected: at.ws.setDoc(at.rel, bytes) });
      } else if (at.rel === CONFIG_FILE) this.apply(at.ws, at.rel, await readConfigFile(vscodeFs, at.ws.root));
      else this.apply(at.ws, at.rel, "text" in d ? d.text : { unreadable: d.unreadable }); // present but unreadable: an error, not "missing"
    } catch {
      this.apply(at.ws, at.rel, undefined);
    }
  }

  private async onDiskChange(uri: vscode.Uri, kind: "create" | "change" | "delete"): Promise<void> {
    if (uri.scheme !== "file") return;
    const base = path.basename(uri.fsPath);
    if (base === WORKBOARD_FILE && kind !== "change") {
      await this.scan(); // a workspace appeared or went away
      return;
    }
    const at = this.locate(uri);
    if (!at) return;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) return; // the buffer is the truth until it is saved or closed
    if (kind === "delete") {
      at.ws.files.delete(at.rel);
      this.apply(at.ws, at.rel, undefined);
      return;
    }
    at.ws.files.add(at.rel);
    if (at.rel.endsWith(".md")) await this.reloadFromDisk(uri);
    else if (at.rel === CONFIG_FILE) this.apply(at.ws, at.rel, await readConfigFile(vscodeFs, at.ws.root));
    else this.apply(at.ws, at.rel, await readTextOrWhy(vscodeFs, uri.fsPath));
  }

  private relIn(root: string, uri: vscode.Uri): string | undefined {
    if (uri.scheme !== "file") return undefined;
    const rel = toRel(root, uri.fsPath);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
    if (rel !== LEXICON_FILE && rel !== CONFIG_FILE && rel.split("/").some((seg) => SKIP_DIRS.has(seg))) return undefined;
    return rel;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
