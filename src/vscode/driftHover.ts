// Hover on an authority-drift or readiness-claim diagnostic: which lexicon entries matched, the
// frame, and the rule that made it drift (the finding's `detail`, written by the core), with a
// pointer to `cto lexicon explain` for trying other wordings.
import * as vscode from "vscode";
import { toRange } from "./convert";
import type { DiagnosticsFeature } from "./diagnostics";

const RULES = new Set(["authority-drift", "readiness-claim"]);

export class DriftHover implements vscode.HoverProvider {
  constructor(private readonly diagnostics: DiagnosticsFeature) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const hits = this.diagnostics.findingsFor(document.uri).filter((f) => RULES.has(f.rule) && f.detail && toRange(f.range).contains(position));
    if (hits.length === 0) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    for (const f of hits) {
      md.appendMarkdown(`**cto(${f.rule})** — why this is drift\n\n`);
      for (const line of f.detail!.split("\n")) md.appendMarkdown(`- ${line}\n`);
      md.appendMarkdown("\n");
    }
    md.appendMarkdown("Try other wording with `cto lexicon explain \"SENTENCE\"`; extend the words in `.cto/lexicon.yaml`.");
    return new vscode.Hover(md, toRange(hits[0].range));
  }
}
