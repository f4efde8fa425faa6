// A line scanner for the markdown our planning docs use: headings, `Key: value` fields,
// task-list criteria, list items, tables, fenced code, HTML comments. It is not a CommonMark
// parser on purpose: one pass over the lines keeps exact positions for what the rules need,
// without building a syntax tree (see docs/DESIGN.md).
import type { Criterion, Field, IdMention, Issue, Located, ProseBlock, Section } from "./model";
import { lineRange, type LineTable } from "./text";

export const ISSUE_ID = /\bCTO-WORK-\d{3,}\b/g;
const ISSUE_ID_EXACT = /^CTO-WORK-\d{3,}$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$/;
const ISSUE_TITLE = /^(CTO-WORK-\d{3,})(?:\s*[-\u2013\u2014:]\s*|\s+|$)(.*)$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
/** Inside a JSX component a fence may be indented any amount (MDX). */
const FENCE_ANY_INDENT = /^[ \t]*(`{3,}|~{3,})/;
/** MDX module lines: `import x from "y"`, `export const meta = ...`. */
const MDX_ESM = /^(?:import\s+(?:[\w*{$]|['"])|export\s+(?:const|let|var|function|default|async|class|\{|\*))/;
/** A line that starts with an HTML or JSX tag (not a comment, not an autolink). */
const TAG_START = /^[ \t]*<\/?[A-Za-z][\w.:-]*(?=[\s/>]|$)/;
const CRITERION = /^([ \t]*)[-*+][ \t]+\[([ xX])\](?:[ \t]+|$)(.*)$/;
const LIST_ITEM = /^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const FIELD = /^([A-Z][A-Za-z0-9][A-Za-z0-9 ./()'&-]{0,58}?):(?:[ \t]+(.*?))?[ \t]*$/;
const TABLE_SEPARATOR = /^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$/;
const NONE_VALUES = new Set(["none", "none.", "n/a", "-", "\u2014", "nothing", "(none)"]);

export interface BodyScan {
  sections: Section[];
  issues: Issue[];
  prose: ProseBlock[];
  mentions: IdMention[];
}

class BlockBuilder {
  text = "";
  segments: { at: number; offset: number; len?: number }[] = [];
  add(masked: string, fileOffset: number, sep = " ", len?: number): void {
    if (this.text.length > 0) this.text += sep;
    this.segments.push({ at: this.text.length, offset: fileOffset, ...(len !== undefined ? { len } : {}) });
    this.text += masked;
  }
  build(): ProseBlock | undefined {
    return this.text.trim().length > 0 ? { text: this.text, segments: this.segments } : undefined;
  }
}

/** Maps an index in a prose block's text back to a file offset. */
export function blockOffset(block: ProseBlock, index: number): number {
  const segs = block.segments;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segs[mid].at <= index) lo = mid;
    else hi = mid - 1;
  }
  const d = index - segs[lo].at;
  const len = segs[lo].len;
  return segs[lo].offset + (len !== undefined ? Math.max(0, Math.min(d, len - 1)) : d);
}

export function scanBody(table: LineTable, firstLine: number): BodyScan {
  const sections: Section[] = [];
  const issues: Issue[] = [];
  const prose: ProseBlock[] = [];
  const mentions: IdMention[] = [];
  const open: Section[] = []; // heading stack, innermost last

  let fence: string | undefined;
  let inComment = false;
  let para: BlockBuilder | undefined;
  let paraIsItem = false;
  let lastField: Field | undefined;
  let prevKind: "blank" | "heading" | "field" | "text" = "blank";
  let jsxDepth = 0; // open JSX components (MDX): fences inside may be indented
  let inTag = false; // inside a tag that spans lines (<Engine\n  name="case"\n/>)
  let inJsxComment = false; // {/* ... */} over several lines
  let inList = false; // indented lines continue a list item rather than start indented code
  let inIndentedCode = false;
  let tableHeader: string[] | undefined;
  let lastRowCells: string[] | undefined;

  const flush = () => {
    const b = para?.build();
    if (b) prose.push(b);
    para = undefined;
    paraIsItem = false;
  };
  const addBlock = (masked: string, offset: number) => {
    const b = new BlockBuilder();
    b.add(masked, offset);
    const built = b.build();
    if (built) prose.push(built);
  };
  const current = (): Section | undefined => open[open.length - 1];

  for (let line = firstLine; line <= table.lineCount; line++) {
    const raw = table.lineText(line);
    const lineStart = table.starts[line - 1];

    if (fence !== undefined) {
      const m = (jsxDepth > 0 ? FENCE_ANY_INDENT : FENCE_OPEN).exec(raw);
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && raw.trim() === m[1]) fence = undefined;
      continue;
    }
    const fm = (jsxDepth > 0 ? FENCE_ANY_INDENT : FENCE_OPEN).exec(raw);
    if (fm && !inComment) {
      flush();
      fence = fm[1];
      prevKind = "blank";
      continue;
    }
    // MDX and HTML: module lines, {/* comments */}, and tags are markup, not prose.
    if (inTag || inJsxComment) {
      if (inTag && raw.includes(">")) {
        inTag = false;
        if (!/\/>/.test(raw)) jsxDepth++;
      }
      if (inJsxComment && raw.includes("*/}")) inJsxComment = false;
      continue;
    }
    // (first-character checks first: most lines need none of these regexes)
    const ch0 = raw.charCodeAt(0);
    const first = firstNonBlank(raw);
    const chLead = first >= 0 ? raw.charCodeAt(first) : -1;
    if (!inComment && (((ch0 === 105 || ch0 === 101) && MDX_ESM.test(raw)) || chLead === 123 /* { */)) {
      flush();
      if (/^[ \t]*\{\/\*/.test(raw) && !raw.includes("*/}")) inJsxComment = true;
      prevKind = "blank";
      continue;
    }
    // Indented code (4 spaces after a blank line, outside a list) is code, not prose.
    const indented = first >= 0 && (ch0 === 9 || (ch0 === 32 && raw.startsWith("    ")));
    if (indented && (inIndentedCode || (prevKind === "blank" && !inList && jsxDepth === 0))) {
      inIndentedCode = true;
      continue;
    }
    if (first >= 0) inIndentedCode = false;
    let tagText: string | undefined;
    if (!inComment && chLead === 60 /* < */ && TAG_START.test(raw)) {
      const stripped = stripTags(raw);
      jsxDepth = Math.max(0, jsxDepth + stripped.depth);
      inTag = stripped.open;
      tagText = stripped.text;
      if (tagText.trim() === "") {
        flush();
        prevKind = "blank";
        continue;
      }
    }

    const masked = maskLine(tagText ?? raw, inComment);
    inComment = masked.inComment;
    const text = masked.text;
    collectMentions(raw, line, mentions);

    const lead = firstNonBlank(text);
    if (lead === -1) {
      flush();
      lastField = undefined;
      prevKind = "blank";
      continue;
    }

    // Dispatch on the first character: most lines need one regex, not five.
    const c0 = raw.charCodeAt(lead);
    const h = c0 === 35 /* # */ ? HEADING.exec(raw) : null;
    if (h) {
      flush();
      lastField = undefined;
      const level = h[1].length;
      const title = h[2];
      const hashEnd = raw.indexOf("#") + level;
      const titleCol = (title === "" ? hashEnd : raw.indexOf(title, hashEnd)) + 1;
      while (open.length > 0 && open[open.length - 1].level >= level) open.pop()!.endLine = line - 1;
      const base: Section = {
        level,
        title,
        headingRange: lineRange(line, 1, raw.trimEnd().length + 1),
        titleRange: lineRange(line, titleCol, titleCol + title.length),
        endLine: table.lineCount,
        fields: [],
        criteria: [],
      };
      const im = ISSUE_TITLE.exec(title);
      if (im) {
        const issue: Issue = {
          ...base,
          id: im[1],
          idRange: lineRange(line, titleCol, titleCol + im[1].length),
          issueTitle: im[2].trim(),
          blockedBy: [],
          blockedByJunk: [],
        };
        issues.push(issue);
        sections.push(issue);
        open.push(issue);
        const def = mentionAt(mentions, line, titleCol);
        if (def) def.kind = "definition";
      } else {
        sections.push(base);
        open.push(base);
      }
      addBlock(text.slice(titleCol - 1, titleCol - 1 + title.length), lineStart + titleCol - 1);
      prevKind = "heading";
      continue;
    }

    if (c0 === 124 /* | */) {
      flush();
      if (TABLE_SEPARATOR.test(raw)) tableHeader = lastRowCells;
      else {
        lastRowCells = addTableRow(text, lineStart, tableHeader, prose);
      }
      prevKind = "text";
      continue;
    }
    tableHeader = undefined;
    lastRowCells = undefined;

    const listy = c0 === 45 || c0 === 42 || c0 === 43 || (c0 >= 48 && c0 <= 57); // - * + digit
    const c = listy ? CRITERION.exec(raw) : null;
    if (c) {
      flush();
      const indent = c[1].length;
      const markCol = raw.indexOf("[", indent) + 2;
      const crit: Criterion = {
        checked: c[2] !== " ",
        text: c[3],
        range: lineRange(line, indent + 1, raw.trimEnd().length + 1),
        markRange: lineRange(line, markCol, markCol + 1),
      };
      current()?.criteria.push(crit);
      inList = true;
      para = new BlockBuilder();
      paraIsItem = true;
      para.add(text.slice(raw.length - c[3].length), lineStart + raw.length - c[3].length);
      prevKind = "text";
      continue;
    }

    const li = listy ? LIST_ITEM.exec(raw) : null;
    if (li) {
      flush();
      const itemCol = raw.length - li[2].length + 1;
      if (lastField && lastField.value === "") {
        lastField.items.push({ value: li[2].trimEnd(), range: lineRange(line, itemCol, itemCol + li[2].trimEnd().length) });
      }
      inList = true;
      para = new BlockBuilder();
      paraIsItem = true;
      para.add(text.slice(itemCol - 1), lineStart + itemCol - 1);
      prevKind = "text";
      continue;
    }

    const f = lead === 0 && c0 >= 65 && c0 <= 90 && (prevKind !== "text" || lastField !== undefined) ? FIELD.exec(raw) : null;
    if (f && (para === undefined || paraIsItem === false)) {
      flush();
      const key = f[1];
      const value = f[2] ?? "";
      const valueCol = value === "" ? key.length + 2 : raw.indexOf(value, key.length + 1) + 1;
      const field: Field = {
        key,
        value,
        keyRange: lineRange(line, 1, key.length + 1),
        valueRange: lineRange(line, valueCol, valueCol + value.length),
        items: [],
      };
      const sec = current();
      sec?.fields.push(field);
      if (sec && "id" in sec && key.toLowerCase() === "blocked by") parseBlockedBy(sec as Issue, field, mentions);
      lastField = field;
      if (value !== "") {
        // The whole line: "Default backend: Case" claims through its key.
        para = new BlockBuilder();
        para.add(text, lineStart);
      }
      inList = false;
      prevKind = "field";
      continue;
    }

    // Paragraph text (or the continuation of a list item / field value).
    if (lead === 0 && !paraIsItem) inList = false;
    if (para === undefined) para = new BlockBuilder();
    para.add(lead === 0 ? text : text.slice(lead), lineStart + lead);
    prevKind = "text";
  }
  flush();
  while (open.length > 0) open.pop()!.endLine = table.lineCount;
  return { sections, issues, prose, mentions };
}

/** Index of the first non-blank character, or -1 for a blank line. */
function firstNonBlank(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 160) return i;
  }
  return -1;
}

const TRUE_CELLS = new Set(["yes", "y", "true", "x", "\u2713", "\u2714", "\u2705", "on", "\u2611"]);
const FALSE_CELLS = new Set(["no", "n", "false", "\u2717", "\u2718", "\u274c", "off", "\u2610"]);

/**
 * A table row as one sentence, "first cell: the other cells": "| Case | primary engine |" reads
 * "Case: primary engine", which is how a reader takes it. A yes/no cell stands for its column's
 * header ("| Case | yes |" under "| Engine | Default |" reads "Case: Default"). Returns the cells.
 */
function addTableRow(text: string, lineStart: number, header: string[] | undefined, prose: ProseBlock[]): string[] {
  const cells: { text: string; at: number }[] = [];
  let start = text.indexOf("|") + 1;
  while (start > 0 && start <= text.length) {
    let end = text.indexOf("|", start);
    while (end > 0 && text[end - 1] === "\\") end = text.indexOf("|", end + 1); // an escaped pipe stays in its cell
    if (end === -1) end = text.length;
    const cell = text.slice(start, end);
    const lead = cell.length - cell.trimStart().length;
    cells.push({ text: cell.slice(lead).trimEnd(), at: lineStart + start + lead });
    start = end + 1;
  }
  if (cells.length > 0 && cells[cells.length - 1].text === "" && text.trimEnd().endsWith("|")) cells.pop();
  const b = new BlockBuilder();
  let first = true;
  cells.forEach((c, i) => {
    if (c.text === "") return;
    const word = c.text.toLowerCase();
    const head = header?.[i]?.trim();
    const sep = first ? "" : b.segments.length === 1 ? ": " : ", ";
    if (head && i > 0 && TRUE_CELLS.has(word)) b.add(head, c.at, sep, c.text.length);
    else if (head && i > 0 && FALSE_CELLS.has(word)) b.add(`not ${head}`, c.at, sep, c.text.length);
    else b.add(c.text, c.at, sep);
    first = false;
  });
  const built = b.build();
  if (built) prose.push(built);
  return cells.map((c) => c.text);
}

function parseBlockedBy(issue: Issue, field: Field, mentions: IdMention[]): void {
  const line = field.valueRange.line;
  const base = field.valueRange.column;
  // This line's mentions by column, looked up once each (a line may hold thousands of IDs).
  const onLine = new Map<number, IdMention>();
  for (let i = mentions.length - 1; i >= 0 && mentions[i].range.line === line; i--) onLine.set(mentions[i].range.column, mentions[i]);
  const re = /[^,;\s]+(?:\s+[^,;\s]+)*/g;
  for (let m = re.exec(field.value); m; m = re.exec(field.value)) {
    // "CTO-WORK-004 and CTO-WORK-005" splits on "and" too.
    let col = base + m.index;
    for (const part of m[0].split(/(\s+and\s+|\s+)/)) {
      if (part.trim() !== "" && !/^\s*and\s*$/.test(part)) {
        const token = part.replace(/[.]$/, "");
        const loc: Located = { value: token, range: lineRange(line, col, col + token.length) };
        if (ISSUE_ID_EXACT.test(token)) {
          issue.blockedBy.push(loc);
          const men = onLine.get(col);
          if (men) men.kind = "blocker";
        } else if (!NONE_VALUES.has(token.toLowerCase())) issue.blockedByJunk.push(loc);
      }
      col += part.length;
    }
  }
}

/**
 * The mention at a position on the line just scanned. Mentions are collected line by line, so
 * that line's are the last ones: searching from the end stays linear (searching from the start
 * was quadratic: 2,000 issues blocked by the 50 before each took 47 s).
 */
function mentionAt(mentions: IdMention[], line: number, column: number): IdMention | undefined {
  for (let i = mentions.length - 1; i >= 0 && mentions[i].range.line === line; i--) if (mentions[i].range.column === column) return mentions[i];
  return undefined;
}

function collectMentions(raw: string, line: number, out: IdMention[]): void {
  if (raw.indexOf("CTO-WORK-") === -1) return;
  ISSUE_ID.lastIndex = 0;
  for (let m = ISSUE_ID.exec(raw); m; m = ISSUE_ID.exec(raw)) {
    out.push({ id: m[0], kind: "mention", range: lineRange(line, m.index + 1, m.index + 1 + m[0].length) });
  }
}

/**
 * Blanks the tags of an HTML/JSX line, keeping the text between them ("<Note>Case is the
 * default.</Note>" keeps its sentence; "<Engine id={case} />" keeps nothing). `depth`: JSX
 * components opened minus closed; `open`: the line ends inside a tag.
 */
function stripTags(raw: string): { text: string; depth: number; open: boolean } {
  let out = "";
  let depth = 0;
  let i = 0;
  while (i < raw.length) {
    const lt = raw.indexOf("<", i);
    if (lt === -1 || !/[A-Za-z/]/.test(raw[lt + 1] ?? "")) {
      if (lt === -1) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, lt + 1);
      i = lt + 1;
      continue;
    }
    out += raw.slice(i, lt);
    // the tag runs to the first ">" outside quotes and braces
    let j = lt + 1;
    let quote = "";
    let braces = 0;
    for (; j < raw.length; j++) {
      const ch = raw[j];
      if (quote) {
        if (ch === quote) quote = "";
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === "{") braces++;
      else if (ch === "}") braces = Math.max(0, braces - 1);
      else if (ch === ">" && braces === 0) break;
    }
    const tag = raw.slice(lt, Math.min(j + 1, raw.length));
    const component = /^<\/?[A-Z]/.test(tag);
    if (component) depth += tag.startsWith("</") ? -1 : tag.endsWith("/>") || j >= raw.length ? 0 : 1;
    out += " ".repeat(tag.length);
    if (j >= raw.length) return { text: out, depth, open: component || /^<[a-z]/.test(tag) };
    i = j + 1;
  }
  return { text: out, depth, open: false };
}

/**
 * Blanks out what is quoted rather than said, keeping every other character at its column:
 * inline code, double-quoted text, link targets, bare URLs and HTML comments.
 */
export function maskLine(raw: string, inComment: boolean): { text: string; inComment: boolean } {
  // Most lines quote nothing: keep them as they are, without allocating.
  if (!inComment && !mayNeedMask(raw)) return { text: raw, inComment: false };
  const blanks: [number, number][] = [];
  let i = 0;
  let still = false;
  if (inComment) {
    const end = raw.indexOf("-->");
    if (end === -1) return { text: " ".repeat(raw.length), inComment: true };
    blanks.push([0, end + 3]);
    i = end + 3;
  }
  scan: while (i < raw.length) {
    const ch = raw[i];
    if (ch === "`") {
      let n = 1;
      while (raw[i + n] === "`") n++;
      const close = raw.indexOf("`".repeat(n), i + n);
      if (close === -1) {
        i += n;
        continue;
      }
      // A name or a setting in code (`case`, `default_engine: case`) is read, backticks and all;
      // any other code is blanked.
      if (!READ_CODE.test(raw.slice(i + n, close).trim())) blanks.push([i, close + n]);
      i = close + n;
    } else if (ch === "<" && raw.startsWith("<!--", i)) {
      const end = raw.indexOf("-->", i + 4);
      if (end === -1) {
        blanks.push([i, raw.length]);
        still = true;
        break scan;
      }
      blanks.push([i, end + 3]);
      i = end + 3;
    } else if (ch === '"' || ch === "\u201c") {
      const close = raw.indexOf(ch === '"' ? '"' : "\u201d", i + 1);
      if (close === -1) {
        i++;
        continue;
      }
      // Scare quotes around one word ("primary" engine) say the word; longer quotes mention.
      if (!/^[\p{L}\p{N}][\p{L}\p{N}'\u2019-]*$/u.test(raw.slice(i + 1, close))) blanks.push([i + 1, close]);
      i = close + 1;
    } else if (ch === "]" && raw[i + 1] === "(") {
      const close = raw.indexOf(")", i + 2);
      if (close === -1) {
        i++;
        continue;
      }
      blanks.push([i + 1, close + 1]);
      i = close + 1;
    } else if ((ch === "h" || ch === "H") && /^https?:\/\//i.test(raw.slice(i, i + 8))) {
      let end = i;
      while (end < raw.length && !/\s/.test(raw[end])) end++;
      blanks.push([i, end]);
      i = end;
    } else i++;
  }
  let out = "";
  let at = 0;
  for (const [from, to] of blanks) {
    out += raw.slice(at, from) + " ".repeat(Math.max(0, Math.min(to, raw.length) - from));
    at = Math.min(to, raw.length);
  }
  return { text: out + raw.slice(at), inComment: still };
}

/** Code spans that are read as prose: one identifier, or a setting (`key: value`, `key=value`, `--key value`). */
const READ_CODE = /^(?:[A-Za-z][\w.-]*|[A-Za-z][\w.-]*\s*[:=]\s*[\w./-]+|--[\w-]+(?:[= ][\w./-]+)?)$/;

/** Cheap test for the characters that start something maskLine blanks out. */
function mayNeedMask(raw: string): boolean {
  return raw.includes("`") || raw.includes('"') || raw.includes("<!--") || raw.includes("](") || raw.includes("://") || raw.includes("\u201c");
}

export function isNoneValue(value: string): boolean {
  return NONE_VALUES.has(value.trim().toLowerCase());
}
