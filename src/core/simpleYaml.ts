// The plain block YAML that WORKBOARD.yaml and frontmatter almost always are, read without the
// `yaml` package: `key: value` mappings and `- item` lists nested by indentation, one-line flow
// lists of plain words (`[CTO-WORK-001, CTO-WORK-002]`), comments at the top or after a value.
// Every node carries the offsets `yaml` would give it ([start, value end, node end]), and values
// resolve by the YAML 1.2 core schema. Anything else (quotes, anchors, multi-line scalars, tabs,
// comment lines among the content, duplicate keys, odd indentation...) returns undefined and goes
// to `yaml`, which also produces the located errors. A unit test holds both to the same result.

export interface SimpleScalar {
  kind: "scalar";
  value: unknown;
  range: [number, number, number];
}
export interface SimpleMap {
  kind: "map";
  items: { key: SimpleScalar; value: SimpleNode }[];
  range: [number, number, number];
}
export interface SimpleSeq {
  kind: "seq";
  items: SimpleNode[];
  range: [number, number, number];
}
export type SimpleNode = SimpleScalar | SimpleMap | SimpleSeq;

/** A plain scalar cannot start with these (they start quotes, flow, anchors, tags, block scalars...). */
export const UNSAFE_START = /^[-?:,[\]{}#&*!|>'"%@`]/;

/** A plain scalar under the YAML 1.2 core schema. */
export function coreScalar(s: string): unknown {
  if (s === "" || /^(?:~|null|Null|NULL)$/.test(s)) return null;
  if (/^(?:true|True|TRUE)$/.test(s)) return true;
  if (/^(?:false|False|FALSE)$/.test(s)) return false;
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return Number(s);
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}

/** Characters whose handling we leave to `yaml` (line breaks other than LF, tabs, controls, BOM, surrogates). */
const ODD_CHARS = /[\r\t\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]/;
const PAIR = /^([A-Za-z_][A-Za-z0-9_-]*):(?:( +)(\S.*))?$/;
const FLOW_ITEM = /^[A-Za-z0-9_./+~][A-Za-z0-9_./+~-]*(?: [A-Za-z0-9_./+~-]+)*$/;

interface Line {
  /** Column of the content, start offset of the content, end offset (before the LF), next line's offset. */
  indent: number;
  start: number;
  end: number;
  next: number;
}

/** Not in the subset: the caller falls back to `yaml`. */
class Unsupported extends Error {}

/** The document's root node, or undefined when the text is not in the subset (or holds no content). */
export function parseSimpleYaml(text: string): SimpleNode | undefined {
  if (ODD_CHARS.test(text)) return undefined;
  const lines: Line[] = [];
  let started = false;
  for (let s = 0; s <= text.length; ) {
    let e = text.indexOf("\n", s);
    const last = e === -1;
    if (last) e = text.length;
    let i = s;
    while (i < e && text.charCodeAt(i) === 32) i++;
    if (i < e) {
      if (text.charCodeAt(i) === 35 /* # */) {
        // A comment line inside the content changes the ranges `yaml` gives: its business.
        if (started) return undefined;
      } else {
        started = true;
        lines.push({ indent: i - s, start: i, end: e, next: last ? e : e + 1 });
      }
    }
    if (last) break;
    s = e + 1;
  }
  if (lines.length === 0 || lines[0].indent !== 0) return undefined;
  try {
    const p = new Reader(text, lines);
    const root = p.block();
    return p.at === lines.length ? root : undefined;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

class Reader {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly lines: Line[],
  ) {}

  private content(l: Line): string {
    return this.text.slice(l.start, l.end);
  }

  private isItem(l: Line): boolean {
    return this.text.charCodeAt(l.start) === 45 /* - */ && (l.end === l.start + 1 || this.text.charCodeAt(l.start + 1) === 32);
  }

  /** The node starting at the current line, at that line's indentation. */
  block(): SimpleNode {
    const l = this.lines[this.at];
    return this.isItem(l) ? this.seq(l.indent) : this.map(l.indent);
  }

  private map(col: number): SimpleMap {
    const items: SimpleMap["items"] = [];
    const keys = new Set<string>();
    while (this.at < this.lines.length) {
      const l = this.lines[this.at];
      if (l.indent < col) break;
      if (l.indent > col || this.isItem(l)) throw new Unsupported();
      const m = PAIR.exec(this.content(l));
      if (!m) throw new Unsupported();
      const key = m[1];
      if (coreScalar(key) !== key || keys.has(key)) throw new Unsupported();
      keys.add(key);
      const keyNode: SimpleScalar = { kind: "scalar", value: key, range: [l.start, l.start + key.length, l.start + key.length] };
      let value: SimpleNode;
      if (m[3] !== undefined) {
        value = this.inline(m[3], l.start + key.length + 1 + m[2].length, l.next);
        this.at++;
      } else {
        this.at++;
        const n = this.lines[this.at];
        const colon = l.start + key.length + 1;
        if (n && n.indent > col) value = this.block();
        else if (n && n.indent === col && this.isItem(n)) value = this.seq(col); // "key:\n- item"
        else value = { kind: "scalar", value: null, range: [colon, colon, colon] };
      }
      items.push({ key: keyNode, value });
    }
    if (items.length === 0) throw new Unsupported();
    const end = items[items.length - 1].value.range[2];
    return { kind: "map", items, range: [items[0].key.range[0], end, end] };
  }

  private seq(col: number): SimpleSeq {
    const items: SimpleNode[] = [];
    let first = -1;
    while (this.at < this.lines.length) {
      const l = this.lines[this.at];
      if (l.indent < col || (l.indent === col && !this.isItem(l))) break;
      if (l.indent > col) throw new Unsupported();
      if (first < 0) first = l.start;
      let j = l.start + 1;
      while (j < l.end && this.text.charCodeAt(j) === 32) j++;
      if (j === l.end) throw new Unsupported(); // "-" alone: a null item
      const itemCol = l.indent + (j - l.start);
      const rest = this.text.slice(j, l.end);
      if (PAIR.test(rest)) {
        // "- key: value": a mapping whose first line starts after the dash
        this.lines[this.at] = { indent: itemCol, start: j, end: l.end, next: l.next };
        items.push(this.map(itemCol));
      } else {
        items.push(this.inline(rest, j, l.next));
        this.at++;
      }
    }
    if (items.length === 0) throw new Unsupported();
    const end = items[items.length - 1].range[2];
    return { kind: "seq", items, range: [first, end, end] };
  }

  /** A value written on the line of its key or dash: a plain scalar or a one-line flow list. */
  private inline(raw: string, start: number, lineNext: number): SimpleNode {
    // "value  # comment": the comment and the blanks before it are not the value
    let v = raw;
    const hash = v.indexOf(" #");
    if (hash >= 0) v = v.slice(0, hash);
    v = v.replace(/ +$/, "");
    if (v.startsWith("[")) {
      if (!v.endsWith("]")) throw new Unsupported();
      const items: SimpleNode[] = [];
      const inner = v.slice(1, -1);
      if (inner !== "") {
        let at = start + 1;
        for (const part of inner.split(",")) {
          const lead = part.length - part.trimStart().length;
          const word = part.trim();
          if (!FLOW_ITEM.test(word) || UNSAFE_START.test(word)) throw new Unsupported();
          const s = at + lead;
          items.push({ kind: "scalar", value: coreScalar(word), range: [s, s + word.length, s + word.length] });
          at += part.length + 1;
        }
      }
      return { kind: "seq", items, range: [start, start + v.length, lineNext] };
    }
    if (v === "" || UNSAFE_START.test(v) || v.includes(": ") || v.endsWith(":")) throw new Unsupported();
    return { kind: "scalar", value: coreScalar(v), range: [start, start + v.length, lineNext] };
  }
}
