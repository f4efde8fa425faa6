// Sentences of a prose block: split at . ! ? followed by a space or the end, minding
// abbreviations, initials and version numbers.

const ABBREVIATIONS = new Set(["e.g", "i.e", "etc", "vs", "cf", "mr", "mrs", "ms", "dr", "no", "fig", "approx", "incl", "al", "st", "eg", "ie", "resp", "esp", "ca", "viz"]);

export interface Sentence {
  /** Start and end (exclusive) indexes in the block text, whitespace trimmed. */
  start: number;
  end: number;
}

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
    const c = text.charCodeAt(i);
    if (c !== 46 && c !== 33 && c !== 63) continue; // . ! ?
    let j = i + 1;
    while (j < text.length && (text[j] === ")" || text[j] === '"' || text[j] === "'" || text[j] === "*" || text[j] === "_" || text[j] === "\u201d" || text[j] === "\u2019")) j++;
    if (j < text.length && !isSpace(text.charCodeAt(j))) continue;
    if (c === 46 && isAbbreviation(text, i)) continue;
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
