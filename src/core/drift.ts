// Authority-drift detection, sentence by sentence: find claim phrases from the lexicon, then
// accept the ones whose clause makes them negated, candidate, conditional, earned or a mention.
import type { Lexicon, CompiledClaim, Pattern, QualifierKind } from "./lexicon";
import { blockOffset } from "./markdown";
import type { ProseBlock } from "./model";

const ABBREVIATIONS = new Set(["e.g", "i.e", "etc", "vs", "cf", "mr", "mrs", "ms", "dr", "no", "fig", "approx", "incl", "al", "st"]);
const CLAUSE_WORDS = new Set(["but", "however", "whereas", "although", "though", "yet"]);
const NEGATION_WINDOW = 3; // words allowed between a negation and the claim ("not yet the default backend")
const CANDIDATE_WINDOW = 2; // "candidate CTO default backend"

export interface Sentence {
  /** Start and end (exclusive) indexes in the block text, whitespace trimmed. */
  start: number;
  end: number;
}

/** Splits prose into sentences at . ! ? followed by a space or the end, minding abbreviations. */
export function splitSentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  let start = 0;
  const push = (end: number) => {
    let s = start;
    let e = end;
    while (s < e && isSpace(text.charCodeAt(s))) s++;
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
    if (e > s) out.push({ start: s, end: e });
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "." && ch !== "!" && ch !== "?") continue;
    let j = i + 1;
    while (j < text.length && (text[j] === ")" || text[j] === '"' || text[j] === "'" || text[j] === "*" || text[j] === "_")) j++;
    if (j < text.length && !isSpace(text.charCodeAt(j))) continue;
    if (ch === "." && isAbbreviation(text, i)) continue;
    push(j);
    start = j;
  }
  push(text.length);
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 160;
}

function isAbbreviation(text: string, dot: number): boolean {
  let k = dot;
  while (k > 0 && /[A-Za-z.]/.test(text[k - 1])) k--;
  const word = text.slice(k, dot).toLowerCase();
  if (ABBREVIATIONS.has(word)) return true;
  return word.length === 1 && /[A-Z]/.test(text[k]); // an initial: "J. Smith"
}

interface Token {
  word: string;
  start: number;
  end: number;
  clause: number;
  segment: number;
}

const WORD = /[\p{L}\p{N}]+(?:['\u2019][\p{L}]+)?/gu;
/** The same for ASCII-only text, several times faster than Unicode property classes. */
const ASCII_WORD = /[A-Za-z0-9]+(?:'[A-Za-z]+)?/g;
const NON_ASCII = /[^\x00-\x7f]/;

/** Lower-cased words of a sentence with their clause (; : — but) and comma-segment indexes. */
export function tokenize(text: string, from: number, to: number): Token[] {
  const tokens: Token[] = [];
  let clause = 0;
  let segment = 0;
  let last = from;
  const re = NON_ASCII.test(text.slice(from, to)) ? WORD : ASCII_WORD;
  re.lastIndex = from;
  for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
    const gap = text.slice(last, m.index);
    if (/[;:()\u2013\u2014]|\s-\s/.test(gap)) {
      clause++;
      segment++;
    } else if (gap.includes(",")) segment++;
    const word = m[0].toLowerCase().replace(/\u2019/g, "'");
    if (CLAUSE_WORDS.has(word)) {
      clause++;
      segment++;
    }
    tokens.push({ word, start: m.index, end: m.index + m[0].length, clause, segment });
    last = m.index + m[0].length;
  }
  return tokens;
}

/** Length of the match of `pattern` at tokens[i..], or -1. */
function matchAt(tokens: Token[], i: number, pattern: Pattern, p = 0): number {
  if (p === pattern.length) return 0;
  const el = pattern[p];
  const t = tokens[i];
  if (t && (el.words.has(t.word) || el.prefixes.some((x) => t.word.startsWith(x)))) {
    const rest = matchAt(tokens, i + 1, pattern, p + 1);
    if (rest >= 0) return rest + 1;
  }
  return el.optional ? matchAt(tokens, i, pattern, p + 1) : -1;
}

/** Indexes (first, last) of every qualifier occurrence, by kind, in one pass over the words. */
function qualifierOccurrences(tokens: Token[], lexicon: Lexicon): Record<QualifierKind, [number, number][]> {
  const out: Record<QualifierKind, [number, number][]> = { negation: [], candidate: [], conditional: [], earned: [] };
  for (let i = 0; i < tokens.length; i++) {
    const indexed = lexicon.qualifiersByFirstWord.get(tokens[i].word);
    for (const list of indexed ? [indexed, lexicon.qualifiersAnyStart] : [lexicon.qualifiersAnyStart]) {
      for (const { kind, pattern } of list) {
        const n = matchAt(tokens, i, pattern);
        if (n > 0) out[kind].push([i, i + n - 1]);
      }
    }
  }
  return out;
}

export interface ClaimHit {
  claim: CompiledClaim;
  /** Sentence range and claim-phrase range, as indexes in the block text. */
  sentence: Sentence;
  phraseStart: number;
  phraseEnd: number;
  /** Tokens of the phrase (for rewrites). */
  phraseTokens: { word: string; start: number; end: number }[];
}

/** Claims in a block that no qualifier accepts. */
export function findClaims(block: ProseBlock, lexicon: Lexicon): ClaimHit[] {
  const hits: ClaimHit[] = [];
  if (!lexicon.prefilter.test(block.text)) return hits;
  for (const sentence of splitSentences(block.text)) {
    if (block.text[sentence.end - 1] === "?") continue; // a question claims nothing
    const tokens = tokenize(block.text, sentence.start, sentence.end);
    let quals: Record<"negation" | "candidate" | "conditional" | "earned", [number, number][]> | undefined;
    const seen = new Set<string>();
    for (let i = 0; i < tokens.length; i++) {
      const candidates = lexicon.byFirstWord.get(tokens[i].word);
      const tries = candidates ? [...candidates, ...lexicon.anyStart] : lexicon.anyStart;
      for (const { claim, pattern } of tries) {
        if (seen.has(claim.id)) continue;
        const n = matchAt(tokens, i, pattern);
        if (n <= 0) continue;
        const first = i;
        const last = i + n - 1;
        quals ??= qualifierOccurrences(tokens, lexicon);
        if (isAccepted(tokens, first, last, quals, lexicon)) continue;
        seen.add(claim.id);
        hits.push({
          claim,
          sentence,
          phraseStart: tokens[first].start,
          phraseEnd: tokens[last].end,
          phraseTokens: tokens.slice(first, last + 1),
        });
      }
    }
  }
  return hits;
}

function isAccepted(
  tokens: Token[],
  first: number,
  last: number,
  quals: Record<"negation" | "candidate" | "conditional" | "earned", [number, number][]>,
  lexicon: Lexicon,
): boolean {
  const head = tokens[first];
  const next = tokens[last + 1];
  if (next && next.clause === tokens[last].clause && lexicon.mentions.has(next.word)) return true;
  const before = (occ: [number, number][], window: number) =>
    occ.some(([a, b]) => b < first && first - b - 1 <= window && tokens[a].segment === head.segment);
  if (before(quals.negation, NEGATION_WINDOW)) return true;
  if (before(quals.candidate, CANDIDATE_WINDOW)) return true;
  const inClause = (occ: [number, number][]) => occ.some(([a, b]) => tokens[a].clause === head.clause && (b < first || a > last));
  return inClause(quals.conditional) || inClause(quals.earned);
}

/** Maps a block-text index range to file offsets [start, end). */
export function blockRange(block: ProseBlock, start: number, end: number): [number, number] {
  return [blockOffset(block, start), blockOffset(block, end - 1) + 1];
}
