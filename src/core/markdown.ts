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
  segments: { at: number; offset: number }[] = [];
  add(masked: string, fileOffset: number): void {
    if (this.text.length > 0) this.text += " ";
    this.segments.push({ at: this.text.length, offset: fileOffset });
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
  return segs[lo].offset + (index - segs[lo].at);
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
      const m = FENCE_OPEN.exec(raw);
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && raw.trim() === m[1]) fence = undefined;
      continue;
    }
    const fm = FENCE_OPEN.exec(raw);
    if (fm && !inComment) {
      flush();
      fence = fm[1];
      prevKind = "blank";
      continue;
    }

    const masked = maskLine(raw, inComment);
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
        const def = mentions.find((m) => m.range.line === line && m.range.column === titleCol);
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
      if (!TABLE_SEPARATOR.test(raw)) addTableCells(text, lineStart, addBlock);
      prevKind = "text";
      continue;
    }

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
        para = new BlockBuilder();
        para.add(text.slice(valueCol - 1), lineStart + valueCol - 1);
      }
      prevKind = "field";
      continue;
    }

    // Paragraph text (or the continuation of a list item / field value).
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

function addTableCells(text: string, lineStart: number, addBlock: (t: string, offset: number) => void): void {
  let start = text.indexOf("|") + 1;
  while (start > 0 && start <= text.length) {
    let end = text.indexOf("|", start);
    if (end === -1) end = text.length;
    const cell = text.slice(start, end);
    const lead = cell.length - cell.trimStart().length;
    if (cell.trim() !== "") addBlock(cell.slice(lead).trimEnd(), lineStart + start + lead);
    start = end + 1;
  }
}

function parseBlockedBy(issue: Issue, field: Field, mentions: IdMention[]): void {
  const line = field.valueRange.line;
  const base = field.valueRange.column;
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
          const men = mentions.find((x) => x.range.line === line && x.range.column === col);
          if (men) men.kind = "blocker";
        } else if (!NONE_VALUES.has(token.toLowerCase())) issue.blockedByJunk.push(loc);
      }
      col += part.length;
    }
  }
}

function collectMentions(raw: string, line: number, out: IdMention[]): void {
  if (raw.indexOf("CTO-WORK-") === -1) return;
  ISSUE_ID.lastIndex = 0;
  for (let m = ISSUE_ID.exec(raw); m; m = ISSUE_ID.exec(raw)) {
    out.push({ id: m[0], kind: "mention", range: lineRange(line, m.index + 1, m.index + 1 + m[0].length) });
  }
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
      blanks.push([i, close + n]);
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
      blanks.push([i + 1, close]);
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

/** Cheap test for the characters that start something maskLine blanks out. */
function mayNeedMask(raw: string): boolean {
  return raw.includes("`") || raw.includes('"') || raw.includes("<!--") || raw.includes("](") || raw.includes("://") || raw.includes("\u201c");
}

export function isNoneValue(value: string): boolean {
  return NONE_VALUES.has(value.trim().toLowerCase());
}
