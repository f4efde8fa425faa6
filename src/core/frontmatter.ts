// Frontmatter: gray-matter finds the block, `yaml` parses it with node ranges so every key,
// value and syntax error maps back to an exact file position.
import matter from "gray-matter";
import { parseDocument, isMap, isScalar, type Document } from "yaml";
import type { Frontmatter, FrontmatterKey } from "./model";
import type { LineTable } from "./text";

const FENCE = /^---[ \t]*$/;
const CLOSE = /^(?:---|\.\.\.)[ \t]*$/;

export function parseFrontmatter(table: LineTable): Frontmatter {
  const fm: Frontmatter = { present: false, openLine: 0, closeLine: 0, keys: [], data: undefined, errors: [] };
  if (!FENCE.test(table.lineText(1))) return fm;
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
  // gray-matter delimits the block (and honours a `---yaml` language tag); our engine keeps
  // the `yaml` Document so every key, value and error maps back to a file offset.
  let doc: Document | undefined;
  let source: string;
  try {
    source = matter(table.text, {
      excerpt: false,
      engines: { yaml: (src: string) => ((doc = parseDocument(src, { prettyErrors: false, uniqueKeys: true })), {}) },
    } as Parameters<typeof matter>[1]).matter;
  } catch (e) {
    fm.errors.push({ message: `frontmatter: ${e instanceof Error ? e.message : String(e)}`, range: lineRangeOf(table, 1) });
    return fm;
  }
  const yamlStart = table.text.indexOf(source, 3);
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
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ""))) {
    fm.data = {};
    return fm;
  }
  if (!isMap(contents)) {
    fm.errors.push({ message: "frontmatter must be a YAML mapping of `key: value` lines", range: lineRangeOf(table, 2) });
    return fm;
  }
  fm.data = (doc.toJS({ maxAliasCount: 50 }) ?? {}) as Record<string, unknown>;
  for (const pair of contents.items) {
    if (!isScalar(pair.key) || !pair.key.range) continue;
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
