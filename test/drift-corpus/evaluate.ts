// Scores the drift detector on the labelled corpus (test/drift-corpus/*.yaml): precision,
// recall and F1 per claim kind, and every miss. Used by `npm run eval:drift` and by the unit test
// that keeps F1 from dropping. Each item is validated as a line of a real planning doc, so the
// markdown scanner (fields, list items, table rows, code spans, MDX) is part of what is scored.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { explainSentence, splitSentences } from "../../src/core/drift";
import { getDefaultLexicon, type Lexicon } from "../../src/core/lexicon";
import { parseDoc } from "../../src/core/parse";
import { claimsOf } from "../../src/core/rules/wording";
import { blockRange } from "../../src/core/drift";

export const KINDS = ["default", "core", "self-approval", "readiness"] as const;
export type Kind = (typeof KINDS)[number];
export const GENRES = ["planning", "pr", "adr", "status", "list", "table", "field", "heading", "mdx"];

export interface Item {
  t: string;
  d: 0 | 1;
  k: Kind;
  g: string;
  c?: string;
  why?: string;
  file: string;
}

export interface Scored extends Item {
  predicted: boolean;
  kinds: string[];
  messages: string[];
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function loadCorpus(dir: string, only?: string[]): Item[] {
  const items: Item[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".yaml")) continue;
    const file = name.replace(/\.yaml$/, "");
    if (only && !only.includes(file)) continue;
    const data = parseYaml(readFileSync(path.join(dir, name), "utf8")) as { items: Item[] };
    for (const [i, it] of data.items.entries()) {
      const where = `${name} item ${i + 1}`;
      if (typeof it.t !== "string" || it.t.trim() === "") throw new Error(`${where}: no text`);
      if (it.d !== 0 && it.d !== 1) throw new Error(`${where}: d must be 0 or 1`);
      if (!(KINDS as readonly string[]).includes(it.k)) throw new Error(`${where}: unknown kind '${it.k}'`);
      if (!GENRES.includes(it.g)) throw new Error(`${where}: unknown genre '${it.g}'`);
      for (const k of Object.keys(it)) if (!["t", "d", "k", "g", "c", "why"].includes(k)) throw new Error(`${where}: unknown key '${k}'`);
      items.push({ ...it, file });
    }
  }
  return items;
}

const FRONTMATTER = [
  "---",
  "name: drift-corpus-item",
  "tier: local",
  "status: draft",
  "created: 2026-06-01",
  "last_reviewed: 2026-06-01",
  "lifecycle_classification: planning",
  "core_promotion_status: not-promoted",
  "---",
  "",
  "# Corpus item",
  "",
].join("\n");

/** Validates one item as part of a planning doc; only findings inside the item's text count. */
export function scoreItem(item: Item, lexicon: Lexicon = getDefaultLexicon()): Scored {
  const before = FRONTMATTER + (item.c ? item.c + (item.c.trimStart().startsWith("|") ? "\n" : "\n\n") : "");
  const doc = parseDoc("item.md", before + item.t + "\n");
  const from = before.length;
  const kinds: string[] = [];
  const messages: string[] = [];
  for (const { block, hit } of claimsOf(doc, lexicon)) {
    const [s] = blockRange(block, hit.sentence.start, hit.sentence.end);
    const [p] = blockRange(block, hit.phraseStart, hit.phraseEnd);
    if (s < from && p < from) continue;
    kinds.push(hit.claim.kind);
    messages.push(`${hit.message} [${hit.rule}]`);
  }
  return { ...item, predicted: kinds.length > 0, kinds, messages };
}

export interface Result {
  scored: Scored[];
  byKind: Record<string, Counts>;
  total: Counts;
  byFile: Record<string, Counts>;
  byGenre: Record<string, Counts>;
}

export function evaluate(items: Item[], lexicon?: Lexicon): Result {
  const scored = items.map((i) => scoreItem(i, lexicon));
  const empty = (): Counts => ({ tp: 0, fp: 0, fn: 0, tn: 0 });
  const byKind: Record<string, Counts> = Object.fromEntries(KINDS.map((k) => [k, empty()]));
  const byFile: Record<string, Counts> = {};
  const byGenre: Record<string, Counts> = {};
  const total = empty();
  for (const s of scored) {
    const cell = s.d === 1 ? (s.predicted ? "tp" : "fn") : s.predicted ? "fp" : "tn";
    for (const c of [byKind[s.k], total, (byFile[s.file] ??= empty()), (byGenre[s.g] ??= empty())]) c[cell]++;
  }
  return { scored, byKind, total, byFile, byGenre };
}

export function prf(c: Counts): { precision: number; recall: number; f1: number } {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

export function report(r: Result, opts: { explain?: boolean; lexicon?: Lexicon } = {}): string {
  const lines: string[] = [];
  const n = r.scored.length;
  const drift = r.scored.filter((s) => s.d === 1).length;
  lines.push(`drift corpus: ${n} items, ${drift} drift, ${n - drift} not drift`);
  const row = (name: string, c: Counts) => {
    const m = prf(c);
    return `${name.padEnd(16)} ${String(c.tp + c.fn).padStart(4)} ${String(c.fp + c.tn).padStart(4)}   ${m.precision.toFixed(3)}    ${m.recall.toFixed(3)}  ${m.f1.toFixed(3)}   tp ${c.tp} fp ${c.fp} fn ${c.fn} tn ${c.tn}`;
  };
  lines.push("", "claim kind       drift  ok   precision recall  F1");
  for (const k of KINDS) lines.push(row(k, r.byKind[k]));
  lines.push(row("all", r.total));
  lines.push("", "by cause (file)  drift  ok   precision recall  F1");
  for (const [f, c] of Object.entries(r.byFile)) lines.push(row(f, c));
  lines.push("", "by genre         drift  ok   precision recall  F1");
  for (const [g, c] of Object.entries(r.byGenre)) lines.push(row(g, c));
  const misses = r.scored.filter((s) => s.predicted !== (s.d === 1));
  lines.push("", `misses: ${misses.length}`);
  for (const s of misses) {
    lines.push(`  ${s.d === 1 ? "MISSED drift " : "FALSE alarm  "} [${s.file}/${s.k}/${s.g}] ${JSON.stringify(s.t)}${s.c ? ` (after ${JSON.stringify(s.c)})` : ""}`);
    for (const m of s.messages) lines.push(`      ${m}`);
    if (opts.explain && s.d === 1) {
      for (const e of explainSentence(s.t.replace(/^[-*] (\[.\] )?|^#+ |^\|/g, ""), opts.lexicon ?? getDefaultLexicon())) {
        for (const j of e.judged) lines.push(`      matched ${j.claim.id}: '${j.phrase}' -> ${j.verdict.rule}`);
      }
    }
  }
  return lines.join("\n");
}

// ------------------------------------------------------------------ prose nobody here wrote

export interface ProseResult {
  files: number;
  sentences: number;
  findings: { file: string; line: number; rule: string; sentence: string; message: string; why: string }[];
}

/**
 * Runs the detector over markdown files written by others (the docs inside node_modules): none
 * of it is a planning doc of ours, so every finding is a false positive to look at.
 */
export function scoreProse(files: { path: string; text: string }[], lexicon: Lexicon = getDefaultLexicon()): ProseResult {
  const out: ProseResult = { files: 0, sentences: 0, findings: [] };
  for (const f of files) {
    const doc = parseDoc(f.path, f.text);
    if (doc.unreadable) continue;
    out.files++;
    for (const b of doc.prose) out.sentences += splitSentences(b.text).length;
    for (const { block, hit } of claimsOf(doc, lexicon)) {
      const [s, e] = blockRange(block, hit.sentence.start, hit.sentence.end);
      out.findings.push({ file: f.path, line: doc.lines.position(s).line, rule: hit.claim.rule, sentence: doc.text.slice(s, e).replace(/\s+/g, " "), message: hit.message, why: hit.rule });
    }
  }
  return out;
}
