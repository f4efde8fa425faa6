// Turns one file's text into a PlanningDoc. Never throws on content: problems become data
// (frontmatter errors, `unreadable`) that the rules report with a location.
import { parseFrontmatter } from "./frontmatter";
import { scanBody } from "./markdown";
import type { PlanningDoc } from "./model";
import { LineTable } from "./text";

/** Planning docs are small; past this a file is not parsed (and is an error if it looks like one). */
export const MAX_DOC_BYTES = 2 * 1024 * 1024;

/** Why a file could not be read as text, where, and whether it looks like a planning doc. */
export interface Unreadable {
  unreadable: string;
  at?: { line: number; column: number };
  /** It starts with a frontmatter fence: a planning doc we must not silently skip. */
  looksPlanning: boolean;
}

/** Does the text (or the first bytes of a file) open with a frontmatter fence (`---`, `---yaml`)? */
export function opensWithFence(head: string | Uint8Array): boolean {
  const s = typeof head === "string" ? head.slice(0, 64) : new TextDecoder("utf-8").decode(head.subarray(0, 64));
  return /^\ufeff?---[A-Za-z\w-]*[ \t]*(?:\r\n|\n|\r|$)/.test(s);
}

/**
 * Decodes file bytes as UTF-8, refusing oversized, binary (a NUL byte anywhere) and undecodable
 * files with a reason and, where there is one, the position of the first bad byte.
 */
export function decodeText(bytes: Uint8Array): { text: string } | Unreadable {
  if (bytes.length > MAX_DOC_BYTES) {
    return { unreadable: `file is ${(bytes.length / 1048576).toFixed(1)} MB, over the ${MAX_DOC_BYTES / 1048576} MB limit for planning docs`, looksPlanning: opensWithFence(bytes) };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { unreadable: "binary file (a NUL byte)", at: positionOfByte(bytes, nul), looksPlanning: opensWithFence(bytes) };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    return { unreadable: "not valid UTF-8", at: positionOfByte(bytes, bad), looksPlanning: opensWithFence(bytes) };
  }
}

/** Line and column (UTF-16, as everywhere) of the byte at `offset`. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  const before = new TextDecoder("utf-8").decode(bytes.subarray(0, offset));
  const t = new LineTable(before.charCodeAt(0) === 0xfeff ? before.slice(1) : before);
  return { line: t.lineCount, column: t.lineText(t.lineCount).length + 1 };
}

/** Offset of the first byte that does not continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}

export function parseDoc(path: string, input: string | Uint8Array): PlanningDoc {
  let text: string;
  let bad: Unreadable | undefined;
  if (typeof input === "string") {
    // An editor buffer: already text, but it can still be too large or binary.
    const nul = input.length <= MAX_DOC_BYTES ? input.indexOf("\0") : -1;
    if (input.length > MAX_DOC_BYTES) bad = { unreadable: `file has ${input.length} characters, over the limit for planning docs`, looksPlanning: opensWithFence(input) };
    else if (nul >= 0) {
      const t = new LineTable(input.slice(0, nul));
      bad = { unreadable: "binary file (a NUL character)", at: { line: t.lineCount, column: t.lineText(t.lineCount).length + 1 }, looksPlanning: opensWithFence(input) };
    }
    text = bad ? "" : input;
  } else {
    const d = decodeText(input);
    text = "text" in d ? d.text : "";
    if (!("text" in d)) bad = d;
  }
  const unreadable = bad?.unreadable;
  const hadBom = text.charCodeAt(0) === 0xfeff;
  if (hadBom) text = text.slice(1);
  const lines = new LineTable(text);
  const eol = firstLineBreak(text);
  const frontmatter = parseFrontmatter(lines);
  const bodyStartLine = frontmatter.closeLine > 0 ? frontmatter.closeLine + 1 : frontmatter.present ? lines.lineCount + 1 : 1;
  const body = scanBody(lines, bodyStartLine);
  return {
    path,
    text,
    hadBom,
    eol,
    lines,
    frontmatter,
    bodyStartLine,
    ...body,
    ...(unreadable ? { unreadable, unreadableLooksPlanning: bad!.looksPlanning, ...(bad!.at ? { unreadableAt: bad!.at } : {}) } : {}),
  };
}

/** Is this doc a planning doc (has frontmatter) rather than a plain markdown file? */
export function isPlanningDoc(doc: PlanningDoc): boolean {
  return doc.frontmatter.present && doc.unreadable === undefined;
}

/** The first line break of a text: "\r\n", "\n" or a lone "\r" (default "\n"). */
export function firstLineBreak(text: string): "\n" | "\r\n" | "\r" {
  const m = /\r\n|\n|\r/.exec(text);
  return m ? (m[0] as "\n" | "\r\n" | "\r") : "\n";
}
