// CTO-WORK IDs as symbols: hover, go to definition, find references, and the outline of
// issue sections.
import * as vscode from "vscode";
import { issueStatus, type CtoWorkspace, type IssueStatus } from "../core";
import { toRange } from "./convert";
import type { PlanningModel } from "./model";

const ID_PATTERN = /CTO-WORK-\d{3,}/;

function idAt(document: vscode.TextDocument, position: vscode.Position): { id: string; range: vscode.Range } | undefined {
  const range = document.getWordRangeAtPosition(position, ID_PATTERN);
  return range ? { id: document.getText(range), range } : undefined;
}

export class IdNavigation implements vscode.HoverProvider, vscode.DefinitionProvider, vscode.ReferenceProvider {
  constructor(private readonly model: PlanningModel) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const hit = idAt(document, position);
    const at = this.model.locate(document.uri);
    if (!hit || !at) return undefined;
    const status = issueStatus(at.ws, hit.id);
    const md = new vscode.MarkdownString(undefined, true);
    if (!status) {
      md.appendMarkdown(`**${hit.id}**: not defined in any doc of this workspace nor in WORKBOARD.yaml`);
      return new vscode.Hover(md, hit.range);
    }
    md.appendMarkdown(hoverText(status, at.ws));
    return new vscode.Hover(md, hit.range);
  }

  provideDefinition(document: vscode.TextDocument, position: vscode.Position): vscode.Location[] | undefined {
    const hit = idAt(document, position);
    const at = this.model.locate(document.uri);
    if (!hit || !at) return undefined;
    const defs = at.ws.definitions(hit.id).map((d) => new vscode.Location(this.model.uriOf(at.ws, d.doc), toRange(d.issue.idRange)));
    if (defs.length > 0) return defs;
    const item = at.ws.workboard?.items.get(hit.id);
    return item ? [new vscode.Location(this.model.uriOf(at.ws, "WORKBOARD.yaml"), toRange(item.range))] : undefined;
  }

  provideReferences(document: vscode.TextDocument, position: vscode.Position, context: vscode.ReferenceContext): vscode.Location[] | undefined {
    const hit = idAt(document, position);
    const at = this.model.locate(document.uri);
    if (!hit || !at) return undefined;
    const out: vscode.Location[] = [];
    for (const doc of at.ws.docs.values()) {
      for (const m of doc.mentions) {
        if (m.id !== hit.id || (m.kind === "definition" && !context.includeDeclaration)) continue;
        out.push(new vscode.Location(this.model.uriOf(at.ws, doc.path), toRange(m.range)));
      }
    }
    for (const m of at.ws.workboard?.idMentions ?? []) {
      if (m.value === hit.id) out.push(new vscode.Location(this.model.uriOf(at.ws, "WORKBOARD.yaml"), toRange(m.range)));
    }
    return out;
  }
}

const STATE_LABEL = { done: "$(pass-filled) done", checked: "$(pass) checked, not evidenced", ready: "$(circle-large-outline) ready", blocked: "$(lock) blocked" } as const;

export function hoverText(s: IssueStatus, ws: CtoWorkspace): string {
  const lines = [`**${s.id}** — ${s.title || "(untitled)"}`, ""];
  const facts: string[] = [STATE_LABEL[s.state]];
  if (s.criteriaTotal > 0) facts.push(`criteria ${s.criteriaDone}/${s.criteriaTotal}`);
  if (s.type) facts.push(s.type);
  if (!s.doc) facts.push("known only from WORKBOARD.yaml");
  lines.push(facts.join(" · "), "");
  if (s.blockedBy.length > 0) {
    const list = s.blockedBy.map((b) => `${b}${s.openBlockers.includes(b) ? " (open)" : " (done)"}`);
    lines.push(`Blocked by: ${list.join(", ")}`, "");
  } else lines.push("Blocked by: none", "");
  if (s.unblocks.length > 0) lines.push(`Unblocks: ${s.unblocks.join(", ")}`, "");
  if (s.evidence?.state === "evidenced" && s.evidence.record) lines.push(`Done record: ${s.evidence.file}, commit ${s.evidence.record.commit.slice(0, 12)}, signed by ${s.evidence.record.signer}`, "");
  else if (s.evidence?.reason) lines.push(`Not evidenced: ${s.evidence.reason}`, "");
  if (s.inCycle) lines.push(`$(warning) on a dependency cycle: ${ws.graph().cycleOf.get(s.id)?.join(" → ")}`, "");
  const what = s.issue?.fields.find((f) => f.key.toLowerCase() === "what to build")?.value;
  if (what) lines.push(`*${what}*`);
  return lines.join("\n");
}

/** Outline: each CTO-WORK section with its fields and criteria. */
export class IssueSymbols implements vscode.DocumentSymbolProvider {
  constructor(private readonly model: PlanningModel) {}

  provideDocumentSymbols(document: vscode.TextDocument): vscode.DocumentSymbol[] {
    const at = this.model.locate(document.uri);
    const doc = at?.ws.docs.get(at.rel);
    if (!at || !doc) return [];
    return doc.issues.map((issue) => {
      const status = issueStatus(at.ws, issue.id);
      const lastLine = Math.max(issue.headingRange.line, issue.endLine) - 1;
      const full = new vscode.Range(issue.headingRange.line - 1, 0, lastLine, document.lineAt(Math.min(lastLine, document.lineCount - 1)).text.length);
      const detail = status ? `${status.state} · ${status.criteriaDone}/${status.criteriaTotal}` : "";
      const sym = new vscode.DocumentSymbol(`${issue.id} ${issue.issueTitle}`, detail, vscode.SymbolKind.Class, full, toRange(issue.idRange));
      for (const f of issue.fields) {
        sym.children.push(new vscode.DocumentSymbol(f.key, f.value, vscode.SymbolKind.Field, toRange({ ...f.keyRange, endColumn: Math.max(f.valueRange.endColumn, f.keyRange.endColumn) }), toRange(f.keyRange)));
      }
      for (const c of issue.criteria) {
        sym.children.push(new vscode.DocumentSymbol(`${c.checked ? "☑" : "☐"} ${c.text}`, "", vscode.SymbolKind.Boolean, toRange(c.range), toRange(c.markRange)));
      }
      return sym;
    });
  }
}
