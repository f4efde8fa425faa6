// Words and punctuation of a sentence, with their positions. One hand-written pass over the
// characters (no regex per word): this runs on every sentence the prefilter lets through.

export interface Tok {
  /** Lower-cased word ("'s", "isn't", "v0.4") or punctuation mark (",", ":", "->"). */
  w: string;
  /** The text as written. */
  raw: string;
  /** Start and end (exclusive) indexes in the block text. */
  s: number;
  e: number;
  punct: boolean;
  /** Inside a code span (`default_engine: case`). */
  code: boolean;
  /** The code span holds a setting (`key: value`, `key=value`): its words may claim. */
  setting?: boolean;
}

const CLITICS = new Set(["s", "ll", "re", "ve", "d", "m"]);
const PUNCT_SINGLE = new Set([",", ";", ":", "(", ")", "[", "]", "?", "!", "=", "\u2014", "\u2013", "\u2192", "|"]);

function isWordChar(c: number, text: string, i: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
  return /[\p{L}\p{N}]/u.test(text[i]);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 160;
}

/**
 * Tokens of text[from, to). Hyphens, underscores, slashes and quotes separate words; "--" and
 * "---" are dashes; ~~struck-through~~ text is deleted wording and yields no tokens.
 */
export function tokenize(text: string, from = 0, to = text.length): Tok[] {
  const out: Tok[] = [];
  let code = false;
  let spanStart = 0;
  let i = from;
  let noStrikeCloseAfter = -1; // "~~" searched from here found no closing pair: do not search again (linear)
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 126 /* ~ */ && !code && text.charCodeAt(i + 1) === 126 && i > noStrikeCloseAfter) {
      let close = -1; // searched within this range only: a sentence never scans the rest of its block
      for (let k = i + 2; k + 1 < to; k++) if (text.charCodeAt(k) === 126 && text.charCodeAt(k + 1) === 126) {
        close = k;
        break;
      }
      if (close > i + 2) {
        i = close + 2;
        continue;
      }
      noStrikeCloseAfter = to;
      i += 2;
      continue;
    }
    if (c === 96 /* ` */) {
      while (i < to && text.charCodeAt(i) === 96) i++;
      if (code) {
        // closing a span: mark its tokens as a setting when it assigns something
        const span = out.slice(spanStart);
        if (span.some((t) => t.punct && (t.w === ":" || t.w === "="))) for (const t of span) t.setting = true;
      }
      code = !code;
      spanStart = out.length;
      continue;
    }
    if (isWordChar(c, text, i)) {
      const s = i;
      i++;
      for (;;) {
        if (i >= to) break;
        const d = text.charCodeAt(i);
        if (isWordChar(d, text, i)) {
          i++;
          continue;
        }
        // "v0.4", "e.g", "isn't", "Case's": a dot or apostrophe between word characters
        if ((d === 46 || d === 39 || d === 0x2019) && i + 1 < to && isWordChar(text.charCodeAt(i + 1), text, i + 1)) {
          i += 2;
          continue;
        }
        break;
      }
      pushWord(out, text, s, i, code);
      continue;
    }
    if (c === 45 /* - */ || c === 61 /* = */) {
      if (text.charCodeAt(i + 1) === 62 /* > */) {
        out.push({ w: c === 45 ? "->" : "=>", raw: text.slice(i, i + 2), s: i, e: i + 2, punct: true, code });
        i += 2;
        continue;
      }
      if (c === 61) {
        out.push({ w: "=", raw: "=", s: i, e: i + 1, punct: true, code });
        i++;
        continue;
      }
      // A dash between spaces ("Default - Case", "Case - the candidate - is ..."); a hyphen inside a word separates.
      const before = i === from || isSpace(text.charCodeAt(i - 1));
      let j = i + 1;
      while (j < to && j < i + 3 && text.charCodeAt(j) === 45) j++;
      const spacedAfter = j >= to || isSpace(text.charCodeAt(j));
      const joined = i > from && j < to && isWordChar(text.charCodeAt(i - 1), text, i - 1) && isWordChar(text.charCodeAt(j), text, j);
      if (j > i + 1 && text.charCodeAt(j) !== 45 && text.charCodeAt(j) !== 62 && (spacedAfter || joined)) {
        // "--" or "---": the ASCII spelling of an em dash, spaced or joining two words
        // ("today -- any objections?", "today--any"); not a flag ("--enable-gated")
        out.push({ w: "\u2014", raw: text.slice(i, j), s: i, e: j, punct: true, code });
        i = j;
        continue;
      }
      const after = i + 1 >= to || isSpace(text.charCodeAt(i + 1));
      if (before && after) out.push({ w: "-", raw: "-", s: i, e: i + 1, punct: true, code });
      i++;
      continue;
    }
    const ch = text[i];
    if (PUNCT_SINGLE.has(ch)) {
      out.push({ w: ch === "\u2013" ? "\u2014" : ch, raw: ch, s: i, e: i + 1, punct: true, code });
      i++;
      continue;
    }
    i++;
  }
  return out;
}

function pushWord(out: Tok[], text: string, s: number, e: number, code: boolean): void {
  const raw = text.slice(s, e);
  let w = raw.toLowerCase();
  if (w.includes("\u2019")) w = w.replace(/\u2019/g, "'");
  const q = w.lastIndexOf("'");
  if (q > 0 && CLITICS.has(w.slice(q + 1))) {
    out.push({ w: w.slice(0, q), raw: raw.slice(0, q), s, e: s + q, punct: false, code });
    out.push({ w: w.slice(q), raw: raw.slice(q), s: s + q, e, punct: false, code });
    return;
  }
  out.push({ w, raw, s, e, punct: false, code });
}

/** Splits one word of lexicon data the way sentences are split ("go-to" -> go, to; "Case's" -> case, 's). */
export function wordsOf(alternative: string): string[] {
  if (/^[a-z0-9]+$/.test(alternative)) return [alternative]; // most lexicon words: nothing to split
  if (alternative.startsWith("'") || alternative.startsWith("\u2019")) return [alternative.replace(/\u2019/g, "'").toLowerCase()];
  if (!/[\p{L}\p{N}]/u.test(alternative)) return [alternative === "\u2013" ? "\u2014" : alternative];
  return tokenize(alternative).map((t) => t.w);
}
