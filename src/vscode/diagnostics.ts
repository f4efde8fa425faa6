// Live diagnostics: debounced per document while typing; on each model change only the
// affected docs are re-validated, and a generation counter drops results that a newer
// edit has overtaken.
import * as vscode from "vscode";
import { CONFIG_FILE, LEXICON_FILE, validateWorkspace, WORKBOARD_FILE, type Finding } from "../core";
import { debounceMs, validateOptions, validationEnabled } from "./config";
import { toDiagnostic } from "./convert";
import type { Log } from "./log";
import type { ModelChange, PlanningModel } from "./model";

export class DiagnosticsFeature implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection("cto");
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly generation = new Map<string, number>();
  /** Findings behind the published diagnostics, for quick fixes (by URI string). */
  private readonly findings = new Map<string, Finding[]>();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  /** Fires after diagnostics were published (tests and the status bar listen). */
  private readonly publishedEmitter = new vscode.EventEmitter<void>();
  readonly onDidPublish = this.publishedEmitter.event;

  constructor(
    private readonly model: PlanningModel,
    private readonly log: Log,
  ) {
    this.disposables.push(
      this.publishedEmitter,
      model.onDidChange((c) => this.publish(c)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.schedule(e.document);
      }),
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("cto.validate")) this.revalidateAll();
      }),
    );
  }

  errorCount(): number {
    let n = 0;
    for (const list of this.findings.values()) for (const f of list) if (f.severity === "error") n++;
    return n;
  }

  findingsFor(uri: vscode.Uri): Finding[] {
    return this.findings.get(uri.toString()) ?? [];
  }

  /** Re-validates everything (command, settings change). Returns all findings. */
  revalidateAll(): Finding[] {
    const all: Finding[] = [];
    for (const ws of this.model.workspaces()) all.push(...this.publish({ ws, affected: new Set(ws.docs.keys()) }));
    return all;
  }

  private schedule(doc: vscode.TextDocument, delay = debounceMs()): void {
    if (!isPlanningFile(doc.uri)) return;
    const key = doc.uri.toString();
    const gen = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, gen);
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        // A newer keystroke re-armed the timer; this one is stale.
        if (this.generation.get(key) !== gen || doc.isClosed) return;
        this.model.updateFromDocument(doc);
      }, delay),
    );
  }

  private publish(change: ModelChange): Finding[] {
    const { ws, affected } = change;
    if (!validationEnabled()) {
      this.collection.clear();
      this.findings.clear();
      return [];
    }
    const started = performance.now();
    let results: Map<string, Finding[]>;
    try {
      results = validateWorkspace(ws, validateOptions(vscode.Uri.file(ws.root), ws), affected);
    } catch (e) {
      this.log.error("validation failed", e);
      return [];
    }
    for (const rel of [WORKBOARD_FILE, LEXICON_FILE, CONFIG_FILE]) if (!results.has(rel)) results.set(rel, []);
    const all: Finding[] = [];
    for (const [rel, list] of results) {
      const uri = this.model.uriOf(ws, rel);
      this.findings.set(uri.toString(), list);
      this.collection.set(uri, list.map(toDiagnostic));
      all.push(...list);
    }
    const ms = performance.now() - started;
    if (ms > 50) this.log.warn(`validating ${affected.size} doc(s) took ${ms.toFixed(1)} ms`);
    this.publishedEmitter.fire();
    return all;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

function isPlanningFile(uri: vscode.Uri): boolean {
  return uri.scheme === "file" && (uri.path.endsWith(".md") || uri.path.endsWith("/" + WORKBOARD_FILE) || uri.path.endsWith("/" + LEXICON_FILE) || uri.path.endsWith("/" + CONFIG_FILE));
}
