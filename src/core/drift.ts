// Authority drift, sentence by sentence: the lexicon's claim frames find who (the candidate,
// this doc) is given which status; the judge (drift/judge.ts) decides whether the doc asserts it.
// How it works and why: docs/DESIGN.md, "Authority drift".
import type { CompiledClaim, Lexicon } from "./lexicon";
import { blockOffset } from "./markdown";
import type { ProseBlock } from "./model";
import { analyze, spanText, type Analysis, type DriftContext } from "./drift/analyze";
import { judge, matchedEntries, type Verdict } from "./drift/judge";
import { runFrame, type FrameMatch, type Program } from "./drift/pattern";
import { splitSentences, type Sentence } from "./drift/sentences";

export { splitSentences, type Sentence } from "./drift/sentences";
export type { DriftContext } from "./drift/analyze";

export interface ClaimHit {
  claim: CompiledClaim;
  frame: string;
  /** Sentence range and claim-phrase range, as indexes in the block text. */
  sentence: Sentence;
  phraseStart: number;
  phraseEnd: number;
  /** Tokens of the claim phrase (for rewrites). */
  phraseTokens: { word: string; start: number; end: number }[];
  /** Who the claim is about, as written ("Case", "it (Case)", "this doc"). */
  subject: string;
  /** The message with subject and phrase filled in. */
  message: string;
  /** Why it is drift, and the lexicon entries that matched (for the hover and `cto lexicon explain`). */
  rule: string;
  entries: string[];
}

/** Every frame that matched a sentence, with the verdict: what `cto lexicon explain` prints. */
export interface Judged {
  claim: CompiledClaim;
  frame: string;
  subject: string;
  phrase: string;
  verdict: Verdict;
  entries: string[];
}

/** Unaccepted claims of a block: at most one per sentence and claim kind. */
export function findClaims(block: ProseBlock, lexicon: Lexicon, ctx: DriftContext = {}): ClaimHit[] {
  const hits: ClaimHit[] = [];
  const pf = lexicon.prefilter;
  // With no candidate named before, a block without a subject or standalone claim word holds
  // nothing: one regex test decides (most prose ends here).
  if (ctx.last === undefined && !pf.quick.test(block.text)) return hits;
  // One scan of the block for the words a claim needs (a subject, a word that claims on its own,
  // a pronoun, another engine); sentences holding none are skipped without being read.
  const scan = prefilterScan(block.text, lexicon);
  // (the scan answers the tests below unless a lexicon word holds more than letters and digits)
  if (!(pf.disjoint ? scan.subjects.length > 0 || scan.standalone.length > 0 : pf.quick.test(block.text))) {
    // Nothing to judge here unless "it" may refer to the candidate named before.
    if (ctx.last === undefined) return hits;
    if (!(ctx.last.kind === "candidate" && (pf.disjoint ? scan.pronouns.length > 0 : pf.pronouns.test(block.text)))) {
      if (ctx.last.kind !== "candidate" || (pf.disjoint ? scan.others.length > 0 : pf.others.test(block.text))) ctx.last = ctx.lastSubject = undefined;
      return hits;
    }
  }
  if (scan.subjects.length === 0 && scan.standalone.length === 0 && !(ctx.last?.kind === "candidate" && scan.pronouns.length > 0)) {
    // Nothing here can be a claim; a block naming nothing we track also ends what "it" refers to.
    ctx.last = undefined;
    ctx.lastSubject = undefined;
    return hits;
  }
  const cache = sentenceCache(lexicon);
  // sentences come in order: each list is walked once for the whole block
  let cs = 0;
  let cc = 0;
  let cp = 0;
  let co = 0;
  const { subjects, standalone, pronouns: prons, others } = scan;
  for (const sentence of splitSentences(block.text)) {
    const { start, end } = sentence;
    while (cp < prons.length && prons[cp] < start) cp++;
    while (cs < subjects.length && subjects[cs] < start) cs++;
    while (cc < standalone.length && standalone[cc] < start) cc++;
    while (co < others.length && others[co] < start) co++;
    const pronouns = cp < prons.length && prons[cp] < end;
    const named = cs < subjects.length && subjects[cs] < end;
    const other = co < others.length && others[co] < end;
    if (!named && !(cc < standalone.length && standalone[cc] < end) && !(ctx.last?.kind === "candidate" && pronouns)) {
      if (other) ctx.last = ctx.lastSubject = undefined; // "Pi is fast. It is the default."
      continue;
    }
    // A sentence whose pronouns (if any) refer inside it reads the same wherever it stands: its
    // verdict is reused (planning docs repeat lines; an edit re-reads every unchanged sentence).
    const text = block.text.slice(start, end);
    // (an entry of a sentence whose pronouns look back is keyed by what they look back at)
    let ctxKey: string | undefined;
    const cached = cache.get(text) ?? cache.get((ctxKey = contextKey(text, ctx)));
    if (cached) {
      for (const h of cached.hits) hits.push(shiftHit(h, start));
      if (cached.last) {
        ctx.last = cached.last;
        ctx.lastSubject = cached.lastSubject;
      }
      continue;
    }
    const found: ClaimHit[] = [];
    let needsContext = false;
    for (const a of analyze(block.text, start, end, lexicon, ctx)) {
      needsContext ||= a.needsContext;
      // One finding per sentence and rule: the first claim that is drift (workspace claims
      // come first, so their message and fix win over the built-in ones).
      const seen = new Set<string>();
      for (const j of judgeSentence(a, lexicon, true)) {
        if (!j.verdict.drift || seen.has(j.claim.rule)) continue;
        seen.add(j.claim.rule);
        j.entries = matchedEntries(a, j.match.start, j.match.end);
        found.push(toHit(a, j, sentence, block));
      }
    }
    for (const h of found) hits.push(h);
    if (cache.size >= SENTENCE_CACHE_MAX) cache.clear();
    const entity = named || other || needsContext;
    cache.set(needsContext ? ctxKey! : text, { hits: found.map((h) => shiftHit(h, -start)), ...(entity && ctx.last ? { last: ctx.last, lastSubject: ctx.lastSubject } : {}) });
  }
  return hits;
}

/** The cache key of a sentence whose pronouns refer to what came before: the sentence and that context. */
function contextKey(text: string, ctx: DriftContext): string {
  return `${text}\u0000${ctx.last?.kind ?? ""}:${ctx.last?.text.toLowerCase() ?? ""}\u0000${ctx.lastSubject?.kind ?? ""}`;
}

interface Scan {
  subjects: number[];
  standalone: number[];
  pronouns: number[];
  others: number[];
}

/**
 * Positions of the prefilter's words in a block, by kind, from one regex pass (leftmost matches,
 * not overlapping).
 */
function prefilterScan(text: string, lex: Lexicon): Scan {
  const out: Scan = { subjects: [], standalone: [], pronouns: [], others: [] };
  const re = lex.prefilter.all;
  re.lastIndex = 0;
  // numbered groups (a named group builds an object per match): 1 subject, 2 standalone, 3 pronoun
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] !== undefined) out.subjects.push(m.index);
    else if (m[2] !== undefined) out.standalone.push(m.index);
    else if (m[3] !== undefined) out.pronouns.push(m.index);
    else out.others.push(m.index);
  }
  return out;
}

const SENTENCE_CACHE_MAX = 20_000;
const caches = new WeakMap<Lexicon, Map<string, { hits: ClaimHit[]; last?: DriftContext["last"]; lastSubject?: DriftContext["lastSubject"] }>>();
function sentenceCache(lex: Lexicon) {
  let c = caches.get(lex);
  if (!c) caches.set(lex, (c = new Map()));
  return c;
}

/** A hit moved by `d` characters (cached hits are stored relative to their sentence). */
function shiftHit(h: ClaimHit, d: number): ClaimHit {
  return {
    ...h,
    sentence: { start: h.sentence.start + d, end: h.sentence.end + d },
    phraseStart: h.phraseStart + d,
    phraseEnd: h.phraseEnd + d,
    phraseTokens: h.phraseTokens.map((t) => ({ word: t.word, start: t.start + d, end: t.end + d })),
  };
}

interface Found extends Judged {
  match: FrameMatch;
}

/** Runs every claim's frames over one analysed sentence and judges each match. */
function judgeSentence(a: Analysis, lexicon: Lexicon, stopAtDrift: boolean): Found[] {
  const out: Found[] = [];
  const driftKinds = new Set<string>();
  for (const claim of lexicon.claims) {
    if (stopAtDrift && driftKinds.has(claim.rule)) continue;
    claim.programs.forEach((prog, pi) => {
      if (stopAtDrift && driftKinds.has(claim.rule)) return;
      if (!mayMatch(prog, a)) return;
      let from = 0;
      while (from < a.tokens.length) {
        const m = runFrame(prog, a, from);
        if (!m) break;
        widenMark(a, prog, m);
        const verdict = judge(a, m, claim, claim.legacy[pi]);
        out.push({ claim, frame: prog.source, match: m, verdict, ...describe(a, m), entries: [] });
        if (verdict.drift) {
          driftKinds.add(claim.rule);
          if (stopAtDrift) break;
        }
        from = Math.max(m.end, m.start + 1);
      }
    });
  }
  return out;
}

/** The claim phrase as the longest phrase its classes matched ("production-grade", not "production"). */
function widenMark(a: Analysis, prog: Program, m: FrameMatch): void {
  if (m.m0 < 0) return;
  let end = m.m1;
  for (let i = m.m0; i < end && i < a.tokens.length; i++) {
    const sp = a.spans[i];
    for (let j = 0; j < sp.length; j += 2) if (prog.markClasses.has(sp[j]) && sp[j + 1] > end && sp[j + 1] <= a.tokens.length) end = sp[j + 1];
  }
  if (end > m.m1) {
    m.m1 = end;
    if (m.end < end) m.end = end;
  }
}

function mayMatch(prog: Program, a: Analysis): boolean {
  for (const need of prog.needs) if (!need.some((c) => a.present[c] === 1)) return false;
  return true;
}

function describe(a: Analysis, m: FrameMatch): { subject: string; phrase: string } {
  const t = a.tokens;
  const m0 = m.m0 >= 0 ? m.m0 : m.start;
  const m1 = m.m1 >= 0 ? m.m1 : m.end;
  const phrase = a.text.slice(t[m0].s, t[m1 - 1].e);
  let subject: string;
  if (m.subj >= 0) {
    const end = Math.max(a.endOf(m.subj, a.cls.candidate), a.endOf(m.subj, a.cls.doc), m.subj + 1);
    const said = spanText(t, m.subj, end);
    const ref = a.refersTo[m.subj];
    const isDoc = a.has(m.subj, a.cls.doc) && !a.has(m.subj, a.cls.candidate);
    if (ref && ref.text.toLowerCase() !== said.toLowerCase()) subject = `${said} (${ref.text})`;
    else if (isDoc && end === m.subj + 1) subject = "this doc";
    else subject = said;
  } else {
    const c = firstName(a);
    subject = c ?? "this doc";
  }
  return { subject, phrase };
}

function firstName(a: Analysis): string | undefined {
  for (let i = 0; i < a.tokens.length; i++) {
    const e = a.endOf(i, a.cls.candidate);
    if (e > 0) return spanText(a.tokens, i, e);
  }
  return undefined;
}

function toHit(a: Analysis, j: Found, sentence: Sentence, block: ProseBlock): ClaimHit {
  const m = j.match;
  const m0 = m.m0 >= 0 ? m.m0 : m.start;
  const m1 = m.m1 >= 0 ? m.m1 : m.end;
  const t = a.tokens;
  const fill = (tpl: string) => tpl.replace(/\{subject\}/g, j.subject).replace(/\{phrase\}/g, excerpt(j.phrase));
  const message = /\{subject\}|\{phrase\}/.test(j.claim.message) ? fill(j.claim.message) : `${j.claim.message} ('${excerpt(j.phrase)}')`;
  void block;
  return {
    claim: j.claim,
    frame: j.frame,
    sentence,
    phraseStart: t[m0].s,
    phraseEnd: t[m1 - 1].e,
    phraseTokens: t.slice(m0, m1).filter((x) => !x.punct).map((x) => ({ word: x.w, start: x.s, end: x.e })),
    subject: j.subject,
    message,
    rule: j.verdict.rule,
    entries: j.entries,
  };
}

function excerpt(s: string, max = 60): string {
  return s.length > max ? s.slice(0, max - 1) + "\u2026" : s;
}

/** Maps a block-text index range to file offsets [start, end). */
export function blockRange(block: ProseBlock, start: number, end: number): [number, number] {
  return [blockOffset(block, start), blockOffset(block, end - 1) + 1];
}

// ------------------------------------------------------------------------------------------ explain

export interface Explanation {
  sentence: string;
  /** Each word with the lexicon classes it (or a phrase starting at it) belongs to. */
  words: { text: string; classes: string[]; refersTo?: string }[];
  clauses: { text: string; type: string; asked: boolean }[];
  judged: Judged[];
  drift: boolean;
}

/** Everything the detector saw in one sentence, for people extending the lexicon. */
export function explainSentence(text: string, lexicon: Lexicon, ctx: DriftContext = {}): Explanation[] {
  const out: Explanation[] = [];
  for (const sentence of splitSentences(text)) {
    for (const a of analyze(text, sentence.start, sentence.end, lexicon, ctx, true)) {
      const judged = judgeSentence(a, lexicon, false).map(({ match, ...rest }) => ({ ...rest, entries: matchedEntries(a, match.start, match.end) }));
      out.push({
        sentence: text.slice(sentence.start, sentence.end),
        words: a.tokens.map((t, i) => {
          const classes: string[] = [];
          const sp = a.spans[i];
          for (let k = 0; k < sp.length; k += 2) {
            const name = a.lex.classNames[sp[k]];
            const len = sp[k + 1] - i;
            const label = len > 1 ? `${name} (${spanText(a.tokens, i, sp[k + 1])})` : name;
            if (!classes.includes(label)) classes.push(label);
          }
          return { text: t.raw, classes, ...(a.refersTo[i] ? { refersTo: a.refersTo[i]!.text } : {}) };
        }),
        clauses: a.clauseRange.map(([s, e], c) => ({ text: spanText(a.tokens, s, e), type: a.clauseType[c], asked: s >= a.askedFrom })),
        judged,
        drift: judged.some((j) => j.verdict.drift),
      });
    }
  }
  return out;
}

/** Plain-text rendering of an explanation (CLI and hover share it). */
export function renderExplanation(ex: Explanation[]): string {
  const lines: string[] = [];
  for (const e of ex) {
    lines.push(`sentence: ${e.sentence}`);
    lines.push(`verdict:  ${e.drift ? "DRIFT" : "no drift"}`);
    if (e.clauses.length > 1 || e.clauses.some((c) => c.asked || c.type !== "main")) {
      lines.push("clauses:");
      for (const c of e.clauses) lines.push(`  [${c.type}${c.asked ? ", asked" : ""}] ${c.text}`);
    }
    lines.push("words:");
    for (const w of e.words) {
      if (w.classes.length === 0 && !w.refersTo) continue;
      lines.push(`  ${w.text.padEnd(14)} ${w.classes.join(", ")}${w.refersTo ? `  -> ${w.refersTo}` : ""}`);
    }
    if (e.judged.length === 0) lines.push("claims:   no claim frame matched");
    else {
      lines.push("claims:");
      for (const j of e.judged) {
        lines.push(`  ${j.verdict.drift ? "DRIFT   " : "accepted"} ${j.claim.id} (${j.claim.rule}): ${j.subject}, '${j.phrase}'`);
        lines.push(`           frame: ${j.frame}`);
        lines.push(`           rule:  ${j.verdict.rule}`);
      }
    }
    lines.push("");
  }
  return lines.join("\n");
}

export type { Analysis };
