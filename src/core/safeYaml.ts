// Every YAML the core reads from a workspace (frontmatter, WORKBOARD.yaml, the lexicon) goes
// through here. `yaml` is a good parser with three soft spots on hostile input, found by fuzzing:
// deep nesting overflows its stack (caught inside it on some inputs, a fatal native out-of-memory
// on others), anchors and aliases cost quadratic time (8,000 aliases: 8 s), and toJS() expands
// alias bombs. A linear pre-scan refuses such input with a located error before `yaml` sees it,
// and whatever still throws becomes an error, never a crash.
import type { Document, DocumentOptions, ParseOptions, SchemaOptions } from "yaml";
import { yaml } from "./libs";

/** Deeper than any planning file needs; far below where `yaml` runs out of stack. */
export const MAX_YAML_DEPTH = 64;
/** Anchors plus aliases; the parser's cost grows with their square. */
export const MAX_YAML_ALIASES = 500;

export interface YamlProblem {
  message: string;
  /** Offset in the text the problem is about. */
  offset: number;
  end: number;
}

export interface SafeParse {
  doc?: Document.Parsed;
  problems: YamlProblem[];
}

/**
 * Parses text as one YAML document, or explains (with an offset) why it will not. Syntax errors
 * of `yaml` come back as problems too; `doc` is set only when there are none.
 */
export function parseYamlSafely(text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): SafeParse {
  const pre = prescan(text);
  if (pre) return { problems: [pre] };
  let doc: Document.Parsed;
  try {
    doc = yaml.parseDocument(text, { prettyErrors: false, ...options });
  } catch (e) {
    return { problems: [{ message: `YAML could not be read: ${e instanceof Error ? e.message : String(e)}`, offset: 0, end: 1 }] };
  }
  const problems: YamlProblem[] = doc.errors.map((e) => ({
    message: `YAML: ${firstLine(e.message)}`,
    offset: Math.min(e.pos[0], text.length),
    end: Math.min(Math.max(e.pos[1], e.pos[0] + 1), text.length),
  }));
  return problems.length > 0 ? { problems } : { doc, problems };
}

/** toJS() that refuses alias bombs and anything else that throws, with a problem instead. */
export function toJsSafely(doc: Document.Parsed, maxAliasCount = 50): { value?: unknown; problem?: YamlProblem } {
  try {
    return { value: doc.toJS({ maxAliasCount }) };
  } catch (e) {
    const at = firstAliasOffset(doc);
    const msg = e instanceof Error ? e.message : String(e);
    return {
      problem: {
        message: /alias/i.test(msg) ? "YAML aliases expand too far (an alias bomb?): write the values out" : `YAML could not be read: ${msg}`,
        offset: at,
        end: at + 1,
      },
    };
  }
}

function firstAliasOffset(doc: Document.Parsed): number {
  let at = 0;
  try {
    yaml.visit(doc, {
      Alias(_k, node) {
        at = node.range?.[0] ?? 0;
        return yaml.visit.BREAK;
      },
    });
  } catch {
    /* offset 0 then */
  }
  return at;
}

/**
 * One linear pass: nesting depth of flow collections and of block indentation, and the number of
 * anchors and aliases. Quoted scalars and comments are skipped roughly (a refusal of odd but valid
 * YAML this deep is fine: planning files are shallow).
 */
export function prescan(text: string, o: { maxItems?: number } = {}): YamlProblem | undefined {
  let flow = 0;
  let aliases = 0;
  // Items: content lines and flow separators, a cheap upper bound of the nodes `yaml` would build
  // (a 1 MiB flow list of one-letter items cost it 571 MB).
  let items = 0;
  const maxItems = o.maxItems ?? Infinity;
  const tooMany = (i: number): YamlProblem => ({ message: `YAML holds more than ${maxItems} items (lines and list entries)`, offset: i, end: i + 1 });
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === 32) {
        indent++;
        continue;
      }
      lineStart = false;
      if (c !== 35 /* # */ && ++items > maxItems) return tooMany(i);
      if (c !== 35 /* # */ && flow === 0) {
        // A list item's dash opens a level of its own: count "- - - x" as several.
        while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
        indents.push(indent);
        let j = i;
        while (text.charCodeAt(j) === 45 /* - */ && (text.charCodeAt(j + 1) === 32 || text.charCodeAt(j + 1) === 10)) {
          indents.push(indent + (j - i) + 1);
          j += 2;
        }
        if (indents.length > MAX_YAML_DEPTH) return { message: `YAML nests more than ${MAX_YAML_DEPTH} levels deep`, offset: i, end: i + 1 };
      }
    }
    if (c === 35 /* # */ && (i === 0 || text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== 10 && text.charCodeAt(i + 1) !== 13) i++;
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      // Only a quote that opens a scalar (after space, [ { , : or at the start) starts a string.
      const p = i === 0 ? 32 : text.charCodeAt(i - 1);
      if (p === 32 || p === 9 || p === 91 || p === 123 || p === 44 || p === 58 || p === 10 || p === 13 || p === 45) {
        const close = findClose(text, i, c);
        if (close > i) {
          i = close;
          continue;
        }
      }
    }
    if (c === 91 || c === 123) {
      flow++;
      if (flow + indents.length > MAX_YAML_DEPTH) return { message: `YAML nests more than ${MAX_YAML_DEPTH} levels deep`, offset: i, end: i + 1 };
    } else if ((c === 93 || c === 125) && flow > 0) flow--;
    else if (c === 44 /* , */ && flow > 0 && ++items > maxItems) return tooMany(i);
    else if (c === 38 /* & */ || c === 42 /* * */) {
      const p = i === 0 ? 32 : text.charCodeAt(i - 1);
      const n = text.charCodeAt(i + 1);
      const startsName = n > 32 && n !== 44 && n !== 91 && n !== 93 && n !== 123 && n !== 125;
      if (startsName && (p === 32 || p === 9 || p === 91 || p === 123 || p === 44 || p === 58 || p === 45 || p === 10 || p === 13)) {
        if (++aliases > MAX_YAML_ALIASES) return { message: `YAML holds more than ${MAX_YAML_ALIASES} anchors and aliases`, offset: i, end: i + 1 };
      }
    }
  }
  return undefined;
}

function findClose(text: string, open: number, quote: number): number {
  for (let j = open + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (quote === 34 && c === 92 /* \ */) {
      j++;
      continue;
    }
    if (c === quote) {
      if (quote === 39 && text.charCodeAt(j + 1) === 39) {
        j++;
        continue;
      }
      return j;
    }
  }
  return -1;
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return (i === -1 ? s : s.slice(0, i)).trim();
}
