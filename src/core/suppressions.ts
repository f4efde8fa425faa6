// Inline suppressions, written where the finding stands and invisible when rendered:
//   <!-- cto-disable-next-line RULE[,RULE] -- reason -->
//   <!-- cto-disable RULE[,RULE] -- reason --> … <!-- cto-enable [RULE[,RULE]] -->
// and, inside the frontmatter (where HTML comments cannot go), the same as YAML comments:
//   # cto-disable-next-line stale-review -- reason
// A suppression needs a reason; one without a reason, or naming an unknown rule, is a
// `suppression` warning and suppresses nothing. One that suppresses nothing is reported as
// `unused-suppression`. Comments inside fenced code or code spans are examples, not directives.
import { UNSUPPRESSIBLE_RULES } from "./config";
import type { PlanningDoc } from "./model";
import { RULE_IDS, type Finding, type Range, type RuleId, type SuppressedFinding, type TextEdit } from "./types";

export type DirectiveKind = "next-line" | "block" | "enable";

export interface Directive {
  kind: DirectiveKind;
  rules: RuleId[];
  reason: string | undefined;
  /** The comment itself. */
  range: Range;
  inFrontmatter: boolean;
  /** Lines it covers, inclusive (next-line and block; set once enables are paired). */
  from: number;
  to: number;
  /** false when it cannot suppress anything (no reason, no known rule). */
  valid: boolean;
}

export interface DirectiveProblem {
  range: Range;
  message: string;
}

const DIRECTIVE_WORDS: Record<string, DirectiveKind> = {
  "cto-disable-next-line": "next-line",
  "cto-disable": "block",
  "cto-enable": "enable",
};
const SYNTAX = "<!-- cto-disable-next-line RULE[,RULE] -- reason -->";

/** Every suppression directive of a doc, paired and checked, and the problems found on the way. */
export function parseDirectives(doc: PlanningDoc): { directives: Directive[]; problems: DirectiveProblem[] } {
  const directives: Directive[] = [];
  const problems: DirectiveProblem[] = [];
  if (!doc.text.includes("cto-")) return { directives, problems }; // nearly every doc: no work at all
  const { lines } = doc;
  const fmEnd = doc.frontmatter.present ? (doc.frontmatter.closeLine > 0 ? doc.frontmatter.closeLine - 1 : lines.lineCount) : 0;
  const raw: { content: string; range: Range; inFrontmatter: boolean }[] = [];
  // Frontmatter: whole-line YAML comments.
  for (let l = 2; l <= fmEnd; l++) {
    const t = lines.lineText(l);
    const m = /^(\s*)#(.*)$/.exec(t);
    if (m && /^\s*cto-/.test(m[2])) raw.push({ content: m[2], range: { line: l, column: m[1].length + 1, endLine: l, endColumn: t.length + 1 }, inFrontmatter: true });
  }
  // Body: HTML comments outside fenced code and code spans.
  const fenced = fencedLines(doc);
  const bodyStart = lines.starts[doc.bodyStartLine - 1] ?? doc.text.length;
  for (let at = doc.text.indexOf("<!--", bodyStart); at !== -1; ) {
    const close = doc.text.indexOf("-->", at + 4);
    const end = close === -1 ? doc.text.length : close + 3;
    const pos = lines.position(at);
    const lineStart = lines.starts[pos.line - 1];
    const inCodeSpan = (doc.text.slice(lineStart, at).match(/`/g)?.length ?? 0) % 2 === 1;
    if (!fenced.has(pos.line) && !inCodeSpan) {
      const content = doc.text.slice(at + 4, close === -1 ? end : close);
      if (/^\s*cto-/.test(content)) raw.push({ content, range: lines.range(at, end), inFrontmatter: false });
    }
    at = close === -1 ? -1 : doc.text.indexOf("<!--", end);
  }

  for (const r of raw) {
    const m = /^\s*(cto-[a-z-]*)(.*)$/s.exec(r.content)!;
    const word = m[1];
    const kind = DIRECTIVE_WORDS[word];
    if (!kind) {
      if (/^cto-(disable|enable)/.test(word)) problems.push({ range: r.range, message: `unknown directive '${word}': use cto-disable-next-line, cto-disable or cto-enable (${SYNTAX})` });
      continue; // some other cto- comment: not ours to judge
    }
    const rest = m[2].replace(/\s+/g, " ");
    const dash = rest.search(/(^| )--( |$)/);
    const rulesPart = (dash === -1 ? rest : rest.slice(0, dash)).trim();
    const reason = dash === -1 ? undefined : rest.slice(dash).replace(/^ ?-- ?/, "").trim() || undefined;
    const rules: RuleId[] = [];
    for (const name of rulesPart.split(",").map((s) => s.trim()).filter(Boolean)) {
      if (/\s/.test(name)) problems.push({ range: r.range, message: `'${name}': separate rule ids with commas` });
      else if (!(RULE_IDS as readonly string[]).includes(name)) problems.push({ range: r.range, message: `unknown rule '${name}' in ${word}` });
      else if (UNSUPPRESSIBLE_RULES.includes(name as RuleId)) problems.push({ range: r.range, message: `'${name}' cannot be suppressed inline` });
      else if (!rules.includes(name as RuleId)) rules.push(name as RuleId);
    }
    let valid = rules.length > 0;
    if (kind !== "enable") {
      if (rulesPart === "") problems.push({ range: r.range, message: `${word} names no rule: name the rules it silences (${SYNTAX})` });
      if (!reason) {
        problems.push({ range: r.range, message: `${word} needs a reason after ' -- ' (${SYNTAX}); without one it suppresses nothing` });
        valid = false;
      }
    } else valid = true; // `cto-enable` alone re-enables every rule
    const from = kind === "next-line" ? r.range.endLine + 1 : r.inFrontmatter ? 1 : r.range.line;
    directives.push({ kind, rules, reason, range: r.range, inFrontmatter: r.inFrontmatter, from, to: kind === "next-line" ? from : lines.lineCount, valid });
  }

  // Pair every block with the first later `cto-enable` naming its rule (or naming none).
  for (const en of directives.filter((d) => d.kind === "enable")) {
    const open = directives.filter((d) => d.kind === "block" && d.valid && d.range.line < en.range.line && d.to >= en.range.line);
    const closes = open.filter((d) => en.rules.length === 0 || d.rules.some((r) => en.rules.includes(r)));
    if (closes.length === 0) problems.push({ range: en.range, message: `cto-enable${en.rules.length ? ` ${en.rules.join(",")}` : ""}: nothing is disabled here` });
    for (const d of closes) {
      if (en.rules.length === 0 || d.rules.every((r) => en.rules.includes(r))) d.to = en.range.line - 1;
      else {
        // Partly re-enabled: the re-enabled rules end here, the others go on in a copy.
        const rest = d.rules.filter((r) => !en.rules.includes(r));
        directives.push({ ...d, rules: rest, from: en.range.line });
        d.rules = d.rules.filter((r) => en.rules.includes(r));
        d.to = en.range.line - 1;
      }
    }
  }
  return { directives: directives.filter((d) => d.kind !== "enable"), problems };
}

/** Lines inside fenced code blocks (``` or ~~~), fences included. */
function fencedLines(doc: PlanningDoc): Set<number> {
  const out = new Set<number>();
  let fence: { ch: string; len: number } | undefined;
  for (let l = doc.bodyStartLine; l <= doc.lines.lineCount; l++) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(doc.lines.lineText(l));
    if (fence) {
      out.add(l);
      if (m && m[1][0] === fence.ch && m[1].length >= fence.len && m[2].trim() === "") fence = undefined;
    } else if (m && !(m[1][0] === "`" && m[2].includes("`"))) {
      fence = { ch: m[1][0], len: m[1].length };
      out.add(l);
    }
  }
  return out;
}

export interface SuppressionOutcome {
  kept: Finding[];
  suppressed: SuppressedFinding[];
  /** `suppression` and `unused-suppression` findings (without severity: the caller assigns it). */
  meta: { rule: "suppression" | "unused-suppression"; range: Range; message: string }[];
}

/**
 * Applies a doc's directives to its findings. `isOff(rule)` tells which rules are disabled by
 * configuration: a suppression of a rule that is off is not reported as unused.
 */
export function applySuppressions(doc: PlanningDoc, findings: Finding[], isOff: (rule: RuleId) => boolean): SuppressionOutcome {
  const { directives, problems } = parseDirectives(doc);
  const out: SuppressionOutcome = { kept: [], suppressed: [], meta: problems.map((p) => ({ rule: "suppression", ...p })) };
  if (directives.length === 0) {
    out.kept = findings;
    return out;
  }
  const used = new Map<Directive, Set<RuleId>>();
  for (const f of findings) {
    // The directive nearest above the finding wins; a finding starting on a covered line is silenced.
    let by: Directive | undefined;
    if (!UNSUPPRESSIBLE_RULES.includes(f.rule)) {
      for (const d of directives) {
        if (d.valid && d.rules.includes(f.rule) && f.range.line >= d.from && f.range.line <= d.to && (!by || d.range.line > by.range.line)) by = d;
      }
    }
    if (!by) {
      out.kept.push(f);
      continue;
    }
    (used.get(by) ?? used.set(by, new Set()).get(by)!).add(f.rule);
    out.suppressed.push({ ...f, reason: by.reason!, suppression: { kind: by.kind as "next-line" | "block", line: by.range.line, column: by.range.column } });
  }
  for (const d of directives) {
    if (!d.valid) continue;
    for (const r of d.rules) {
      if (used.get(d)?.has(r) || isOff(r)) continue;
      const where = d.kind === "next-line" ? `on line ${d.from}` : d.from === d.to ? `on line ${d.from}` : `on lines ${d.from}–${d.to}`;
      out.meta.push({ rule: "unused-suppression", range: d.range, message: `this suppression of ${r} suppresses nothing: no ${r} finding ${where}` });
    }
  }
  return out;
}

/** How "Suppress…" would silence a finding: where the comment goes and what it covers. */
export interface SuppressionPlan {
  title: string;
  scope: "line" | "block" | "doc";
}

/**
 * The edits that suppress `finding` in `doc` with `reason`. Comments go where they change
 * nothing that renders: directly above the finding's line when that line starts a markdown
 * block; around the whole block otherwise (a comment line inside a paragraph, list or table
 * would split it); in the frontmatter as YAML comments; for a finding on the doc's first line,
 * a block from the top of the frontmatter.
 */
export function suppressionEdits(doc: PlanningDoc, finding: Finding, reason: string): { plan: SuppressionPlan; edits: TextEdit[] } | undefined {
  if (UNSUPPRESSIBLE_RULES.includes(finding.rule) || !doc.path.toLowerCase().endsWith(".md")) return undefined;
  const { lines, eol } = doc;
  const clean = cleanReason(reason);
  const rule = finding.rule;
  const n = finding.range.line;
  const insertAt = (line: number, text: string): TextEdit => {
    const at = line > lines.lineCount ? { line: lines.lineCount, column: lines.lineText(lines.lineCount).length + 1 } : { line, column: 1 };
    const t = line > lines.lineCount ? eol + text : text + eol;
    return { file: doc.path, range: { line: at.line, column: at.column, endLine: at.line, endColumn: at.column }, newText: t };
  };
  const indent = (line: number) => /^\s*/.exec(lines.lineText(line))![0];
  const fm = doc.frontmatter;
  const fmClose = fm.present ? (fm.closeLine > 0 ? fm.closeLine : lines.lineCount + 1) : 0;
  if (fm.present && n === 1) {
    return { plan: { title: "Suppress in this doc…", scope: "doc" }, edits: [insertAt(2, `# cto-disable ${rule} -- ${clean}`)] };
  }
  if (fm.present && n <= fmClose) {
    // A top-level key (or the closing ---): the comment right above it. A continuation line:
    // around the key that owns it.
    let key = n;
    while (key > 2 && /^\s/.test(lines.lineText(key)) && key !== fmClose) key--;
    if (key === n) return { plan: { title: "Suppress on this line…", scope: "line" }, edits: [insertAt(n, `# cto-disable-next-line ${rule} -- ${clean}`)] };
    let last = n;
    while (last + 1 < fmClose && /^\s/.test(lines.lineText(last + 1))) last++;
    return {
      plan: { title: "Suppress in this block…", scope: "block" },
      edits: [insertAt(key, `# cto-disable ${rule} -- ${clean}`), insertAt(last + 1, `# cto-enable ${rule}`)],
    };
  }
  if (!fm.present && n === 1) {
    return { plan: { title: "Suppress in this doc…", scope: "doc" }, edits: [insertAt(1, `<!-- cto-disable ${rule} -- ${clean} -->`)] };
  }
  const blank = (l: number) => lines.lineText(l).trim() === "";
  const heading = (l: number) => /^ {0,3}#{1,6}(\s|$)/.test(lines.lineText(l));
  const fence = (l: number) => /^ {0,3}(`{3,}|~{3,})/.test(lines.lineText(l));
  const boundary = (l: number) => l < doc.bodyStartLine || blank(l) || heading(l) || fence(l) || /-->\s*$/.test(lines.lineText(l));
  if (boundary(n - 1) || heading(n)) {
    return { plan: { title: "Suppress on this line…", scope: "line" }, edits: [insertAt(n, `${indent(n)}<!-- cto-disable-next-line ${rule} -- ${clean} -->`)] };
  }
  let first = n;
  while (!boundary(first - 1)) first--;
  let last = Math.max(n, finding.range.endLine);
  while (last < lines.lineCount && !blank(last + 1) && !heading(last + 1) && !fence(last + 1)) last++;
  return {
    plan: { title: "Suppress in this block…", scope: "block" },
    edits: [insertAt(first, `${indent(first)}<!-- cto-disable ${rule} -- ${clean} -->`), insertAt(last + 1, `${indent(first)}<!-- cto-enable ${rule} -->`)],
  };
}

/** A reason fit for a comment: one line, no comment terminator. Empty means "no reason". */
export function cleanReason(reason: string): string {
  return reason.replace(/\s+/g, " ").replace(/--+>?/g, "–").trim();
}

/** Why a reason typed by a person cannot be used, or undefined when it can. */
export function reasonProblem(reason: string): string | undefined {
  if (cleanReason(reason) === "") return "A suppression needs a reason (it is kept in the doc and listed in audits).";
  if (/-->|[\r\n]/.test(reason)) return "A reason cannot hold '-->' or line breaks.";
  return undefined;
}
