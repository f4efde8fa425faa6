// Turns one file's text into a PlanningDoc. Never throws on content: problems become data
// (frontmatter errors, `unreadable`) that the rules report with a location.
import { parseFrontmatter } from "./frontmatter";
import { scanBody } from "./markdown";
import type { PlanningDoc } from "./model";
import { LineTable } from "./text";

/** Planning docs are small; past this a file is reported and skipped rather than parsed. */
export const MAX_DOC_BYTES = 2 * 1024 * 1024;

/** Decodes file bytes, refusing binary and oversized files with a reason. */
export function decodeText(bytes: Uint8Array): { text: string } | { unreadable: string } {
  if (bytes.length > MAX_DOC_BYTES) {
    return { unreadable: `file is ${(bytes.length / 1048576).toFixed(1)} MB, over the ${MAX_DOC_BYTES / 1048576} MB limit for planning docs` };
  }
  const probe = Math.min(bytes.length, 8000);
  for (let i = 0; i < probe; i++) if (bytes[i] === 0) return { unreadable: "binary file (contains NUL bytes)" };
  return { text: new TextDecoder("utf-8").decode(bytes) };
}

export function parseDoc(path: string, input: string | Uint8Array): PlanningDoc {
  let text: string;
  let unreadable: string | undefined;
  if (typeof input === "string") {
    text = input.length > MAX_DOC_BYTES ? "" : input;
    if (input.length > MAX_DOC_BYTES) unreadable = `file has ${input.length} characters, over the limit for planning docs`;
  } else {
    const d = decodeText(input);
    text = "text" in d ? d.text : "";
    unreadable = "unreadable" in d ? d.unreadable : undefined;
  }
  const hadBom = text.charCodeAt(0) === 0xfeff;
  if (hadBom) text = text.slice(1);
  const lines = new LineTable(text);
  const nl = text.indexOf("\n");
  const eol = nl > 0 && text.charCodeAt(nl - 1) === 13 ? "\r\n" : "\n";
  const frontmatter = parseFrontmatter(lines);
  const bodyStartLine = frontmatter.closeLine > 0 ? frontmatter.closeLine + 1 : frontmatter.present ? lines.lineCount + 1 : 1;
  const body = scanBody(lines, bodyStartLine);
  return { path, text, hadBom, eol, lines, frontmatter, bodyStartLine, ...body, ...(unreadable ? { unreadable } : {}) };
}

/** Is this doc a planning doc (has frontmatter) rather than a plain markdown file? */
export function isPlanningDoc(doc: PlanningDoc): boolean {
  return doc.frontmatter.present && doc.unreadable === undefined;
}
