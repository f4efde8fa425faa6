// WORKBOARD.yaml: free-form YAML. An "entry" is any mapping with `path`, `id` or `name`;
// a mapping whose `id` is a CTO-WORK ID also describes a work item (title, status, blockers).
import type { Document, Node, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { yaml } from "./libs";
import { parseYamlSafely, prescan } from "./safeYaml";
import { parseSimpleYaml, type SimpleMap, type SimpleNode, type SimpleSeq } from "./simpleYaml";
import type { Located } from "./model";
import { LineTable } from "./text";
import { firstLineBreak } from "./parse";
import type { Range } from "./types";

export const WORKBOARD_FILE = "WORKBOARD.yaml";
/** Far above any real workboard; past it the file is an error, not a parse that runs for minutes. */
export const MAX_WORKBOARD_BYTES = 4 * 1024 * 1024;
const ID = /^CTO-WORK-\d{3,}$/;

export interface WorkboardEntry {
  path?: Located;
  id?: Located;
  name?: Located;
  /** Range of the whole mapping. */
  range: Range;
}

export interface WorkItem {
  id: string;
  range: Range;
  title?: string;
  status?: string;
  blockedBy: Located[];
}

export interface Workboard {
  text: string;
  lines: LineTable;
  errors: { message: string; range: Range }[];
  entries: WorkboardEntry[];
  items: Map<string, WorkItem>;
  /** Every CTO-WORK ID written anywhere in the file (for references), and their set. */
  idMentions: Located[];
  ids: Set<string>;
  /** Where a new `docs` entry can be appended: the sequence holding path entries, if any. */
  docsList?: { indent: string; endOffset: number; keyed: boolean };
  eol: "\n" | "\r\n" | "\r";
}

/** @param fast read plain block YAML without `yaml` (tests compare both paths) */
export function parseWorkboard(rawText: string, fast = true): Workboard {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const lines = new LineTable(text);

  const wb: Workboard = {
    text,
    lines,
    errors: [],
    entries: [],
    items: new Map(),
    idMentions: [],
    ids: new Set(),
    eol: firstLineBreak(text),
  };
  if (text.length > MAX_WORKBOARD_BYTES) {
    wb.errors.push({ message: `WORKBOARD.yaml is ${(text.length / 1048576).toFixed(1)} MB, over the ${MAX_WORKBOARD_BYTES / 1048576} MB limit: it was not read`, range: { line: 1, column: 1, endLine: 1, endColumn: 2 } });
    return wb;
  }
  // Plain block YAML (nearly every workboard) is read by simpleYaml.ts; anything else, and every
  // error, goes through `yaml`, with nesting, anchors and parser failures refused up front with a
  // location (safeYaml.ts). Both give the same nodes and offsets to the walk below.
  const simple = !fast || prescan(text) ? undefined : parseSimpleYaml(text);
  if (simple) {
    walkSimple(simple, undefined, visitorFor(wb, simpleNodes));
    return wb;
  }
  const parsed = parseYamlSafely(text);
  for (const e of parsed.problems.slice(0, 50)) {
    const start = e.offset;
    const line = lines.lineAt(start);
    const lineEnd = lines.starts[line - 1] + lines.lineText(line).length;
    wb.errors.push({ message: e.message, range: lines.range(start, Math.max(start + 1, Math.min(e.end, lineEnd))) });
  }
  if (!parsed.doc) return wb;
  const doc = parsed.doc;
  const v = visitorFor(wb, yamlNodes(doc));
  yaml.visit(doc, { Scalar: (_k, node) => v.scalar(node), Map: (_k, map) => v.map(map) });
  return wb;
}

/** What the walk needs to know of a node, from `yaml`'s nodes or from simpleYaml.ts's. */
interface NodeApi<N> {
  /** The scalar's value and range, or undefined when the node is not a scalar. */
  scalar(n: N | null | undefined): { value: unknown; range?: readonly number[] | null } | undefined;
  isSeq(n: N | null | undefined): boolean;
  items(seq: N): N[];
  /** The value of a mapping's key (undefined: no such key). */
  get(map: N, key: string): N | null | undefined;
  range(n: N): readonly number[] | null | undefined;
  /** The sequence holding the mapping as an item, if any. */
  parentSeq(map: N): N | undefined;
}

/** The Scalar and Map visitors that fill a workboard; each is called in document order. */
function visitorFor<N>(wb: Workboard, api: NodeApi<N>): { scalar(n: N): void; map(m: N): void } {
  const { text, lines } = wb;
  const rangeOf = (n: N | null | undefined): Range => {
    const r = n ? api.range(n) : undefined;
    return r ? lines.range(r[0], r[1]) : { line: 1, column: 1, endLine: 1, endColumn: 1 };
  };
  const located = (n: N | null | undefined): Located | undefined => {
    const s = api.scalar(n);
    return s && (typeof s.value === "string" || typeof s.value === "number") ? { value: String(s.value), range: rangeOf(n) } : undefined;
  };
  return {
    scalar(node) {
      const s = api.scalar(node)!;
      if (typeof s.value === "string") {
        const value = s.value;
        const re = /\bCTO-WORK-\d{3,}\b/g;
        for (let m = re.exec(value); m; m = re.exec(value)) {
          // Exact columns only when the scalar is written plainly on one line.
          const src = s.range ? text.slice(s.range[0], s.range[1]) : "";
          const at = src.indexOf(m[0]);
          const start = s.range && at >= 0 ? s.range[0] + at : s.range?.[0] ?? 0;
          wb.idMentions.push({ value: m[0], range: lines.range(start, start + m[0].length) });
          wb.ids.add(m[0]);
        }
      }
    },
    map(map) {
      const get = (k: string) => api.get(map, k);
      const entry: WorkboardEntry = { range: rangeOf(map) };
      const path = located(get("path"));
      const id = located(get("id"));
      const name = located(get("name"));
      if (path) entry.path = path;
      if (id) entry.id = id;
      if (name) entry.name = name;
      if (path || id || name) wb.entries.push(entry);
      if (id && ID.test(id.value)) {
        const blockers = get("blocked_by") ?? get("blockedBy") ?? get("blocked by");
        const blockedBy: Located[] = [];
        if (blockers && api.isSeq(blockers)) for (const b of api.items(blockers)) {
          const l = located(b);
          if (l) blockedBy.push(l);
        } else {
          const l = located(blockers);
          if (l && !/^none$/i.test(l.value)) for (const part of l.value.split(/[,\s]+/)) if (part) blockedBy.push({ value: part, range: l.range });
        }
        const title = located(get("title"))?.value;
        const status = located(get("status"))?.value;
        wb.items.set(id.value, { id: id.value, range: id.range, blockedBy, ...(title ? { title } : {}), ...(status ? { status } : {}) });
      }
      if (path && !wb.docsList) {
        // Remember the list this entry sits in, so a quick fix can append a sibling entry.
        const parent = api.parentSeq(map);
        const pr = parent ? api.range(parent) : undefined;
        if (pr) {
          const firstItemLine = lines.lineAt(api.range(map)?.[0] ?? 0);
          const lineText = lines.lineText(firstItemLine);
          const indent = /^(\s*)/.exec(lineText)?.[1] ?? "";
          const dash = lineText.trimStart().startsWith("- ");
          wb.docsList = { indent: dash ? indent : indent.slice(2), endOffset: pr[1], keyed: true };
        }
      }
    },
  };
}

function yamlNodes(doc: Document.Parsed): NodeApi<Node> {
  return {
    scalar: (n) => (yaml.isScalar(n) ? (n as Scalar) : undefined),
    isSeq: (n) => yaml.isSeq(n),
    items: (seq) => (seq as YAMLSeq<Node>).items,
    get: (map, k) => (map as YAMLMap<unknown, Node>).items.find((p) => yaml.isScalar(p.key) && p.key.value === k)?.value,
    range: (n) => n.range,
    parentSeq: (map) => findParentSeq(doc.contents as Node, map as YAMLMap) as Node | undefined,
  };
}

/** Parents of the simple nodes, for `parentSeq` (set by walkSimple). */
const simpleParent = new WeakMap<SimpleNode, SimpleNode>();
const simpleNodes: NodeApi<SimpleNode> = {
  scalar: (n) => (n?.kind === "scalar" ? n : undefined),
  isSeq: (n) => n?.kind === "seq",
  items: (seq) => (seq as SimpleSeq).items,
  get: (map, k) => (map as SimpleMap).items.find((p) => p.key.value === k)?.value,
  range: (n) => n.range,
  parentSeq: (map) => {
    const p = simpleParent.get(map);
    return p?.kind === "seq" ? p : undefined;
  },
};

/** `yaml.visit`'s order: a mapping before its pairs, each pair's key before its value, items in order. */
function walkSimple(n: SimpleNode, parent: SimpleNode | undefined, v: { scalar(n: SimpleNode): void; map(m: SimpleNode): void }): void {
  if (parent) simpleParent.set(n, parent);
  if (n.kind === "scalar") v.scalar(n);
  else if (n.kind === "map") {
    v.map(n);
    for (const p of n.items) {
      walkSimple(p.key, n, v);
      walkSimple(p.value, n, v);
    }
  } else for (const item of n.items) walkSimple(item, n, v);
}

function findParentSeq(root: Node | null, target: YAMLMap): { range?: [number, number, number] } | undefined {
  let found: { range?: [number, number, number] } | undefined;
  yaml.visit(root as Node, {
    Seq(_k, seq) {
      if (seq.items.includes(target as never)) {
        found = seq as { range?: [number, number, number] };
        return yaml.visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** The entry of a doc: matching `path`, or `id`/`name` equal to the doc's frontmatter name. */
export function findEntry(wb: Workboard, relPath: string, name: string | undefined): WorkboardEntry | undefined {
  let index = entryIndex.get(wb);
  if (!index) {
    index = { byPath: new Map(), byName: new Map() };
    for (const e of wb.entries) {
      if (e.path) index.byPath.set(e.path.value.replace(/^\.\//, ""), e);
      for (const n of [e.id?.value, e.name?.value]) if (n !== undefined && !index.byName.has(n)) index.byName.set(n, e);
    }
    entryIndex.set(wb, index);
  }
  return index.byPath.get(relPath) ?? (name !== undefined ? index.byName.get(name) : undefined);
}

/** Entries by path and by id/name, built once per parsed WORKBOARD.yaml. */
const entryIndex = new WeakMap<Workboard, { byPath: Map<string, WorkboardEntry>; byName: Map<string, WorkboardEntry> }>();

/** The text and offset that append an entry for a doc to WORKBOARD.yaml. */
export function entryInsertion(wb: Workboard, relPath: string, name: string | undefined): { offset: number; text: string } {
  const eol = wb.eol;
  const body = (indent: string) =>
    `${indent}- path: ${relPath}${name ? `${eol}${indent}  name: ${name}` : ""}`;
  if (wb.docsList) {
    // End of the sequence may sit at the start of the next line; insert before it.
    let offset = wb.docsList.endOffset;
    while (offset > 0 && (wb.text[offset - 1] === "\n" || wb.text[offset - 1] === "\r")) offset--;
    return { offset, text: eol + body(wb.docsList.indent) };
  }
  const needsEol = wb.text.length > 0 && !wb.text.endsWith("\n");
  return { offset: wb.text.length, text: `${needsEol ? eol : ""}docs:${eol}${body("  ")}${eol}` };
}

