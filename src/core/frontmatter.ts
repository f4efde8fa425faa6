// Frontmatter: gray-matter finds the block, `yaml` parses it with node ranges so every key,
// value and syntax error maps back to an exact file position.
import type { Document } from "yaml";
import { grayMatter, yaml } from "./libs";
import { prescan, toJsSafely } from "./safeYaml";
import type { Frontmatter, FrontmatterKey } from "./model";
import type { LineTable } from "./text";
import { coreScalar, UNSAFE_START } from "./simpleYaml";

const FENCE = /^---[ \t]*$/;
/** `---json`, `---toml`, `---yaml`: a language tag on the opening fence (gray-matter's convention). */
const TAGGED_FENCE = /^---([A-Za-z][\w-]*)[ \t]*$/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*$/;

/** @param fast take the fast path for simple frontmatter (tests compare both paths) */
export function parseFrontmatter(table: LineTable, fast = true): Frontmatter {
  const fm: Frontmatter = { present: false, openLine: 0, closeLine: 0, keys: [], data: undefined, errors: [] };
  const first = table.lineText(1);
  const tag = TAGGED_FENCE.exec(first)?.[1];
  if (!FENCE.test(first) && tag === undefined) return fm;
  fm.present = true;
  fm.openLine = 1;
  for (let l = 2; l <= table.lineCount; l++) {
    if (CLOSE.test(table.lineText(l))) {
      fm.closeLine = l;
      break;
    }
  }
  if (fm.closeLine === 0) {
    fm.errors.push({
      message: "frontmatter is not closed: add a `---` line after the last key",
      range: { line: 1, column: 1, endLine: 1, endColumn: 4 },
    });
    return fm;
  }
  if (tag !== undefined && tag.toLowerCase() !== "yaml") {
    // A planning doc's frontmatter is YAML (CONTRACT §2): a `---json` block is a located error,
    // never a doc that silently has no frontmatter (and so no checks).
    fm.errors.push({ message: `frontmatter must be YAML: start it with \`---\`, not \`---${tag}\``, range: lineRangeOf(table, 1) });
    return fm;
  }
  if (tag === undefined && fast && simpleFrontmatter(table, fm)) return fm;
  // The YAML of the block, checked before any parser sees it (nesting, anchors: safeYaml.ts).
  const blockStart = table.starts[1] ?? table.text.length;
  const blockEnd = table.starts[fm.closeLine - 1] ?? table.text.length;
  const pre = prescan(table.text.slice(blockStart, blockEnd));
  if (pre) {
    fm.errors.push({ message: `frontmatter: ${pre.message}`, range: table.range(blockStart + pre.offset, Math.min(blockStart + pre.end, lineEndOffset(table, blockStart + pre.offset))) });
    return fm;
  }
  // gray-matter delimits the block (and honours a `---yaml` language tag); our engine keeps
  // the `yaml` Document so every key, value and error maps back to a file offset.
  let doc: Document | undefined;
  let source: string;
  // Lone CRs are line breaks to us and to VS Code but not to gray-matter: give it "\n" instead
  // (one character for one, so every offset stays the same).
  const text = table.text.includes("\r") ? table.text.replace(/\r(?!\n)/g, "\n") : table.text;
  try {
    source = grayMatter()(text, {
      excerpt: false,
      // gray-matter cuts at "\n---", leaving a CRLF file's last "\r" on the block; `yaml` would
      // keep it in the last value, so it goes (the start offset is unchanged).
      engines: { yaml: (src: string) => ((doc = yaml.parseDocument(src.replace(/\r$/, ""), { prettyErrors: false, uniqueKeys: true })), {}) },
    } as Parameters<ReturnType<typeof grayMatter>>[1]).matter;
  } catch (e) {
    fm.errors.push({ message: `frontmatter: ${e instanceof Error ? e.message : String(e)}`, range: lineRangeOf(table, 1) });
    return fm;
  }
  const yamlStart = text.indexOf(source, 3);
  fm.closeLine = table.lineAt(yamlStart + source.length + 1);
  if (doc === undefined || yamlStart < 0) {
    // An empty block never reaches the engine.
    fm.data = {};
    return fm;
  }
  for (const e of doc.errors) {
    const [s, en] = e.pos;
    const start = yamlStart + Math.min(s, source.length);
    const end = Math.max(start + 1, yamlStart + Math.min(en, source.length));
    fm.errors.push({ message: `YAML: ${firstLine(e.message)}`, range: table.range(start, Math.min(end, lineEndOffset(table, start))) });
  }
  if (doc.errors.length > 0) return fm;

  const contents = doc.contents;
  if (contents === null || (yaml.isScalar(contents) && (contents.value === null || contents.value === ""))) {
    fm.data = {};
    return fm;
  }
  if (!yaml.isMap(contents)) {
    fm.errors.push({ message: "frontmatter must be a YAML mapping of `key: value` lines", range: lineRangeOf(table, 2) });
    return fm;
  }
  const js = toJsSafely(doc as Document.Parsed);
  if (js.problem) {
    // An alias bomb is a located error on this doc, not a doc that "cannot be read".
    const at = yamlStart + Math.min(js.problem.offset, source.length);
    fm.errors.push({ message: `frontmatter: ${js.problem.message}`, range: table.range(at, Math.min(at + 1, lineEndOffset(table, at))) });
    return fm;
  }
  fm.data = (js.value ?? {}) as Record<string, unknown>;
  for (const pair of contents.items) {
    if (!yaml.isScalar(pair.key) || !pair.key.range) continue;
    const key = String(pair.key.value);
    const kr = pair.key.range;
    const keyRange = table.range(yamlStart + kr[0], trimEnd(table.text, yamlStart + kr[0], yamlStart + kr[1]));
    const v = pair.value as { range?: [number, number, number] } | null;
    const valueRange = v?.range ? table.range(yamlStart + v.range[0], trimEnd(table.text, yamlStart + v.range[0], yamlStart + v.range[1])) : keyRange;
    const k: FrontmatterKey = { key, value: fm.data[key], keyRange, valueRange };
    fm.keys.push(k);
  }
  return fm;
}

/** `yaml` node ranges of plain scalars can include a CRLF's CR or trailing blanks. */
function trimEnd(text: string, start: number, end: number): number {
  while (end > start && (text[end - 1] === "\r" || text[end - 1] === " " || text[end - 1] === "\t" || text[end - 1] === "\n")) end--;
  return end;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return (i === -1 ? s : s.slice(0, i)).trim();
}

function lineEndOffset(table: LineTable, offset: number): number {
  const line = table.lineAt(offset);
  return table.starts[line - 1] + table.lineText(line).length;
}

function lineRangeOf(table: LineTable, line: number) {
  return { line, column: 1, endLine: line, endColumn: table.lineText(line).length + 1 };
}

const SIMPLE_LINE = /^([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]+(.*?))?[ \t]*$/;

/**
 * The fast path for the frontmatter planning docs actually have: one `key: plain value` per
 * line, no nesting, quoting, comments after values or duplicate keys. Values resolve by the
 * YAML 1.2 core schema, exactly as `yaml` would. Anything else returns false and goes through
 * gray-matter and `yaml` (which also produce the located errors). Parsing 1,000 docs this way
 * takes a tenth of the time (docs/benchmarks.md).
 */
function simpleFrontmatter(table: LineTable, fm: Frontmatter): boolean {
  const keys: FrontmatterKey[] = [];
  const data: Record<string, unknown> = {};
  for (let line = 2; line < fm.closeLine; line++) {
    const text = table.lineText(line);
    if (text.trim() === "" || text.startsWith("#")) continue;
    const m = SIMPLE_LINE.exec(text);
    if (!m) return false;
    const [, key, raw = ""] = m;
    if (key in data || raw.includes(": ") || raw.includes(" #") || raw.includes("\t#") || UNSAFE_START.test(raw)) return false;
    const keyRange = { line, column: 1, endLine: line, endColumn: key.length + 1 };
    const col = raw === "" ? 0 : text.indexOf(raw, key.length + 1) + 1;
    const valueRange = raw === "" ? keyRange : { line, column: col, endLine: line, endColumn: col + raw.length };
    const value = coreScalar(raw);
    data[key] = value;
    keys.push({ key, value, keyRange, valueRange });
  }
  fm.keys = keys;
  fm.data = data;
  return true;
}
