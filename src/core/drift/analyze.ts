// What the frames and the judge see of one sentence: tokens, the lexicon classes over them, who
// each name and pronoun refers to, clauses (main, conditional, presupposed), asides and the
// asked part of a question. Everything is computed once per sentence in a few linear passes.
import type { CoreClass, Lexicon } from "../lexicon";
import { spansAt } from "../lexicon";
import type { SentenceView } from "./pattern";
import { tokenize, type Tok } from "./tokens";

export type EntityKind = "candidate" | "incumbent" | "doc";

export interface Entity {
  kind: EntityKind;
  text: string;
}

/** Who "it" and "the backend" may refer to, carried from sentence to sentence and block to block. */
export interface DriftContext {
  /** The entity named last, and the first one (the subject) of the last sentence naming one. */
  last?: Entity;
  lastSubject?: Entity;
}

export type ClauseType = "main" | "cond" | "fact";

export interface Analysis extends SentenceView {
  lex: Lexicon;
  text: string;
  /** Token i refers back to this entity (pronouns, anaphors). */
  refersTo: (Entity | undefined)[];
  clauseOf: Int32Array;
  clauseType: ClauseType[];
  /** First and last+1 token of each clause. */
  clauseRange: [number, number][];
  /** Token inside an aside (paired commas, dashes, parentheses) of its clause. */
  aside: Uint8Array;
  /** Tokens from here on are asked (a question), or tokens.length. */
  askedFrom: number;
  /** spans[i] holds the class: its longest end, or -1. */
  endOf(i: number, cls: number): number;
  /** Token i lies inside a span of `cls` (started at or before i). */
  covered(i: number, cls: number): boolean;
  cls: Record<CoreClass, number>;
  /** Does the sentence hold a class anywhere. */
  present: Uint8Array;
  /** A pronoun came before anything it could refer to in the sentence: the verdict depends on the sentences before. */
  needsContext: boolean;
}

/** Characters that join a word into an identifier: a name next to one is part of it. */
const IDENT_JOIN = new Set(["_"]); // (a dot between word characters is already inside the token)

/** Sentences longer than this are read in windows (keeps hostile one-line docs linear). */
export const MAX_TOKENS = 400;

/** @param full also analyse clauses when no frame can match (for explanations) */
export function analyze(text: string, from: number, to: number, lex: Lexicon, ctx: DriftContext, full = false): Analysis[] {
  const all = tokenize(text, from, to);
  if (all.length <= MAX_TOKENS) {
    const a = analyzeTokens(text, all, lex, ctx, full);
    // "The engine we picked, Case, is the default": read again with the candidate as the subject
    const cut = appositiveSubject(a);
    return cut ? [a, analyzeTokens(text, cut, lex, ctx, full)] : [a];
  }
  const out: Analysis[] = [];
  for (let i = 0; i < all.length; i += MAX_TOKENS) out.push(analyzeTokens(text, all.slice(i, i + MAX_TOKENS), lex, ctx, full));
  return out;
}

/**
 * A subject named by apposition: "The engine (we picked), Case, ...", "The engine the team
 * picked, which is Case, ...", "Our backend — Case — ...". Returns the tokens with the head noun
 * phrase and the apposition's punctuation left out (the candidate, then the rest of the clause),
 * or undefined. Only at the start of a sentence, and only for a head that can refer to an engine.
 */
function appositiveSubject(a: Analysis): Tok[] | undefined {
  const { tokens, cls: C } = a;
  const n = tokens.length;
  let h = 0;
  while (h < n && !tokens[h].punct && a.has(h, C.filler) && !a.has(h, C.anaphor)) h++;
  if (h >= n || a.endOf(h, C.anaphor) < 0 || a.has(h, C.candidate)) return undefined;
  for (let k = a.endOf(h, C.anaphor); k < Math.min(n, h + 14); k++) {
    const open = tokens[k];
    if (!open.punct) {
      if (a.has(k, C.candidate) || a.has(k, C.incumbent) || a.has(k, C.be)) return undefined; // the head has its verb: no apposition
      continue;
    }
    if (open.w !== "," && open.w !== "\u2014" && open.w !== "(") return undefined;
    let c = k + 1;
    // ", which is Case,", ", namely Case,", ", i.e. Case,"
    while (c < n && !tokens[c].punct && !a.has(c, C.candidate) && c < k + 4 && (a.has(c, C.gap_stop) || a.has(c, C.be) || a.has(c, C.filler) || a.has(c, C.aux))) c++;
    const ce = a.endOf(c, C.candidate);
    if (ce < 0 || a.refersTo[c]) return undefined;
    const close = tokens[ce];
    const closes = open.w === "(" ? ")" : open.w;
    if (!close || close.w !== closes || ce + 1 >= n) return undefined;
    return [...tokens.slice(c, ce), ...tokens.slice(ce + 1)];
  }
  return undefined;
}

/** Can any claim frame match a sentence holding these classes (each of its needs present)? */
export function anyFramePossible(lex: Lexicon, present: Uint8Array): boolean {
  for (const c of lex.claims) {
    next: for (const p of c.programs) {
      for (const need of p.needs) {
        let ok = false;
        for (const x of need) if (present[x] === 1) {
          ok = true;
          break;
        }
        if (!ok) continue next;
      }
      return true;
    }
  }
  return false;
}

/** Sentences analysed (for tests and the bench's per-sentence figure). */
export const analyzeStats = { sentences: 0, tokens: 0 };

export function analyzeTokens(text: string, tokens: Tok[], lex: Lexicon, ctx: DriftContext, full = false): Analysis {
  analyzeStats.sentences++;
  analyzeStats.tokens += tokens.length;
  const C = lex.C;
  const n = tokens.length;
  const raw: number[][] = [];
  for (let i = 0; i < n; i++) {
    const out: number[] = [];
    spansAt(lex, tokens, i, out);
    raw.push(out);
  }
  const hasRaw = (i: number, cls: number) => {
    const sp = raw[i];
    if (!sp) return false;
    for (let j = 0; j < sp.length; j += 2) if (sp[j] === cls) return true;
    return false;
  };
  const addSpan = (i: number, cls: number, end: number) => raw[i].push(cls, end);
  const dropSpan = (i: number, cls: number) => {
    const sp = raw[i];
    const kept: number[] = [];
    for (let j = 0; j < sp.length; j += 2) if (sp[j] !== cls) kept.push(sp[j], sp[j + 1]);
    raw[i] = kept;
  };

  // Names that are also English words ("use case", "in this case"), names only in code (`ca`),
  // and "'s" that is a possessive rather than "is".
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (hasRaw(i, C.ambiguous_name) && hasRaw(i, C.candidate) && !t.code && isCommonNoun(i)) dropSpan(i, C.candidate);
    // A piece of an identifier (`CURL_CA_BUNDLE`, `case_id`, ca_bundle) names nothing.
    const piece = IDENT_JOIN.has(text[t.s - 1]) || IDENT_JOIN.has(text[t.e]);
    if (piece && hasRaw(i, C.candidate)) dropSpan(i, C.candidate);
    // `ca` in code, or written "ca" (not "CA", not "ca." for circa), is the CLI's name
    if (!piece && hasRaw(i, C.code_only_name) && (t.code || (t.raw === t.w && text[t.e] !== "."))) addSpan(i, C.candidate, i + 1);
    if (t.w === "'s" && i > 0 && !tokens[i - 1].punct) {
      const next = tokens[i + 1];
      // after "it", "that", "there" it is "is"/"has" whatever follows ("It's production-ready")
      const copula = hasRaw(i - 1, C.copula_s) || next !== undefined && (hasRaw(i + 1, C.filler) || hasRaw(i + 1, C.negator) || hasRaw(i + 1, C.aux) || hasRaw(i + 1, C.hedge) || /ly$/.test(next.w));
      if (!copula) {
        dropSpan(i, C.be);
        dropSpan(i, C.aux);
      }
    }
  }
  function isCommonNoun(i: number): boolean {
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    if (next && !next.punct && hasRaw(i + 1, C.name_noun_after)) return true;
    // Capitalised inside a sentence it is the name ("that Case is ready"), whatever stands before.
    const capital = /^\p{Lu}/u.test(tokens[i].raw) && tokens[i].raw !== tokens[i].raw.toUpperCase();
    if (capital && i > 0 && !prev.punct) return false;
    if (prev && !prev.punct && hasRaw(i - 1, C.name_noun_before)) {
      // "the Case backend", "the case adapter": still the name
      if (next && (raw[i + 1] ?? []).some((_, j, a) => j % 2 === 0 && a[j] === lex.classId.get("engine"))) return false;
      return true;
    }
    return false;
  }

  // Entities and what pronouns refer to.
  const refersTo: (Entity | undefined)[] = new Array(n);
  let firstEntity: Entity | undefined;
  let needsContext = false;
  const longest = (i: number, cls: number) => {
    const sp = raw[i];
    let e = -1;
    for (let j = 0; j < sp.length; j += 2) if (sp[j] === cls && sp[j + 1] > e) e = sp[j + 1];
    return e;
  };
  for (let i = 0; i < n; i++) {
    const t = tokens[i];
    if (t.punct) continue;
    const cEnd = longest(i, C.candidate);
    const iEnd = longest(i, C.incumbent);
    const dEnd = longest(i, C.doc);
    if (cEnd > 0 || iEnd > 0) {
      const kind: EntityKind = cEnd >= iEnd ? "candidate" : "incumbent";
      const end = Math.max(cEnd, iEnd);
      const e: Entity = { kind, text: spanText(tokens, i, end) };
      // "not Pi", "rather than Case": a name negated away is not who the sentence is about
      if (!(i > 0 && hasRaw(i - 1, C.negator))) {
        ctx.last = e;
        firstEntity ??= e;
      }
      if (kind === "candidate" && iEnd > 0 && iEnd <= cEnd) dropSpan(i, C.incumbent);
      i = end - 1;
      continue;
    }
    if (dEnd > i + 1) {
      const e: Entity = { kind: "doc", text: spanText(tokens, i, dEnd) };
      ctx.last = e;
      firstEntity ??= e;
      i = dEnd - 1;
      continue;
    }
    const aEnd = longest(i, C.anaphor);
    const isPron = hasRaw(i, C.pronoun);
    if (!isPron && aEnd < 0) continue;
    const end = aEnd > 0 ? aEnd : i + 1;
    if (t.w === "it" && isExpletive(i)) continue;
    const reflexive = t.w === "itself" || t.w === "themselves" || (t.w === "its" && tokens[i + 1]?.w === "own");
    const subjectPosition = i === 0 || tokens[i - 1].punct || hasRaw(i - 1, C.gap_stop);
    let ref: Entity | undefined;
    // A reflexive or a subject refers to the subject of its sentence, else of the sentence
    // before; anything else to the entity named last.
    if (!firstEntity) needsContext = true;
    if (reflexive || subjectPosition) ref = firstEntity ?? ctx.lastSubject ?? ctx.last;
    else ref = ctx.last;
    if (ref) {
      refersTo[i] = ref;
      addSpan(i, ref.kind === "candidate" ? C.candidate : ref.kind === "doc" ? C.doc : C.incumbent, end);
      if (ref.kind !== "candidate") dropSpan(i, C.candidate);
    } else if (t.w === "it" || t.w === "its") {
      // "It is a Core Protocol." with nothing named before: the doc speaking of itself
      addSpan(i, C.doc, i + 1);
    }
    firstEntity ??= ref;
    i = end - 1;
  }
  if (firstEntity) ctx.lastSubject = firstEntity;
  function isExpletive(i: number): boolean {
    const a = tokens[i + 1];
    if (!a) return false;
    if (["seems", "appears", "turns", "turned", "follows", "means", "matters", "pays", "helps", "remains"].includes(a.w)) return true;
    if (!hasRaw(i + 1, C.be)) return false;
    let j = i + 2;
    while (j < n && hasRaw(j, C.negator)) j++;
    return j < n && hasRaw(j, C.expletive_after);
  }

  // Spans as compact arrays, class presence.
  const spans = raw;
  const present = new Uint8Array(lex.classNames.length);
  // The classes the analysis asks about most (ids below 64: the core classes) as two bit masks
  // per token, so `has` is one test instead of a scan.
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  const multiWord = new Uint8Array(lex.classNames.length); // a class has a span of 2+ words here
  for (let i = 0; i < n; i++) {
    const sp = spans[i];
    for (let j = 0; j < sp.length; j += 2) {
      const c = sp[j];
      present[c] = 1;
      if (sp[j + 1] > i + 1) multiWord[c] = 1;
      if (c < 32) lo[i] |= 1 << c;
      else if (c < 64) hi[i] |= 1 << (c - 32);
    }
  }
  const has = (i: number, cls: number) => {
    if (i < 0 || i >= n) return false;
    if (cls < 32) return (lo[i] & (1 << cls)) !== 0;
    if (cls < 64) return (hi[i] & (1 << (cls - 32))) !== 0;
    const sp = spans[i];
    for (let j = 0; j < sp.length; j += 2) if (sp[j] === cls) return true;
    return false;
  };
  const endOf = (i: number, cls: number) => {
    const sp = spans[i];
    let e = -1;
    if (sp) for (let j = 0; j < sp.length; j += 2) if (sp[j] === cls && sp[j + 1] > e) e = sp[j + 1];
    return e;
  };
  const coverCache = new Map<number, Uint8Array>();
  const covered = (i: number, cls: number) => {
    if (multiWord[cls] === 0) return has(i, cls); // one-word spans cover only themselves
    let c = coverCache.get(cls);
    if (!c) {
      c = new Uint8Array(n);
      for (let k = 0; k < n; k++) {
        const e = endOf(k, cls);
        for (let m = k; m < e; m++) c[m] = 1;
      }
      coverCache.set(cls, c);
    }
    return c[i] === 1;
  };

  // Most sentences that name the candidate claim nothing (no frame has all it needs): they
  // only update what "it" refers to, and their clauses are never looked at.
  const possible = full || anyFramePossible(lex, present);

  // Clauses.
  const clauseOf = new Int32Array(n);
  const clauseType: ClauseType[] = ["main"];
  const clauseRange: [number, number][] = [];
  const clauseStart = new Uint8Array(n + 1);
  let clause = 0;
  let clauseBegin = 0;
  let openSub: ClauseType | undefined; // a fronted subordinate clause, closed by the next comma
  const newClause = (at: number, type: ClauseType) => {
    if (at <= clauseBegin) {
      clauseType[clause] = type;
      return;
    }
    clauseRange.push([clauseBegin, at]);
    clause++;
    clauseType.push(type);
    clauseBegin = at;
    clauseStart[at] = at > 0 && tokens[at - 1].punct ? 1 : 2;
  };
  clauseStart[0] = 1;
  const subjectish = (i: number) => has(i, C.candidate) || has(i, C.incumbent) || has(i, C.doc) || has(i, C.pronoun) || has(i, C.anaphor) || has(i, C.self);
  const verbish = (i: number) => has(i, C.be) || has(i, C.aux) || has(i, C.hedge) || has(i, C.negator);
  for (let i = 0; possible && i < n; i++) {
    const t = tokens[i];
    if (t.punct) {
      const w = t.w;
      if ((w === ";" || w === "?" || w === "!" || (w === ":" && !t.code) || w === "\u2014" || w === "-") && i + 1 < n) {
        if ((w === "\u2014" || w === "-") && pairedDash(i)) {
          clauseOf[i] = clause;
          continue;
        }
        clauseOf[i] = clause;
        newClause(i + 1, "main");
        openSub = undefined;
        continue;
      }
      if (w === "," && i + 1 < n) {
        clauseOf[i] = clause;
        const nx = tokens[i + 1];
        if (openSub) {
          newClause(i + 1, "main");
          openSub = undefined;
        } else if (["and", "but", "so", "yet", "or", "then", "nor", "however", "thus", "hence", "therefore"].includes(nx.w)) {
          newClause(i + 1, "main");
        } else if (subjectish(i + 1) && i + 2 < n && verbish(endOrNext(i + 1))) {
          newClause(i + 1, "main"); // a comma splice: "Case is not a candidate, it is the default"
        }
        continue;
      }
    } else {
      const ce = endOf(i, C.cond_start);
      const fe = ce < 0 ? endOf(i, C.fact_start) : -1;
      const prevOnly = i > 0 && (tokens[i - 1].w === "only" || tokens[i - 1].w === "even" || tokens[i - 1].w === "not");
      if (openSub && i >= clauseBegin + 3 && ce < 0 && fe < 0 && opensMainClause(i)) {
        newClause(i, "main"); // "When the release is cut we switch to Case": the comma left out
        openSub = undefined;
      } else if ((ce > 0 || fe > 0) && !prevOnly && !(i > 0 && has(i - 1, C.discuss))) {
        const type: ClauseType = ce > 0 ? "cond" : "fact";
        const atStart = i === clauseBegin;
        newClause(i, type);
        if (atStart || i === 0) openSub = type;
      } else if (["but", "however", "whereas", "although", "though", "yet"].includes(t.w) && i > clauseBegin) {
        newClause(i, "main");
      } else if ((t.w === "and" || t.w === "or") && i > clauseBegin && i + 1 < n && subjectish(i + 1) && verbish(endOrNext(i + 1))) {
        newClause(i, "main");
      }
    }
    clauseOf[i] = clause;
  }
  clauseRange.push([clauseBegin, n]);
  function endOrNext(i: number): number {
    let e = i + 1;
    for (const c of [C.candidate, C.incumbent, C.doc, C.anaphor]) e = Math.max(e, endOf(i, c));
    return e < n ? e : n - 1;
  }
  /** A new subject after a verb of the fronted clause (we, they, Case), not an object of it. */
  function opensMainClause(i: number): boolean {
    if (i + 1 >= n || tokens[i + 1].punct) return false;
    const prev = tokens[i - 1];
    if (prev.punct || has(i - 1, C.obj_lead) || has(i - 1, C.filler)) return false;
    const named = has(i, C.candidate) && !has(i, C.pronoun);
    if (!named && !has(i, C.subject_start)) return false;
    for (let k = clauseBegin + 1; k < i; k++) if (!tokens[k].punct && !has(k, C.filler) && !has(k, C.obj_lead)) return true;
    return false;
  }
  function pairedDash(i: number): boolean {
    for (let j = i + 1; j < Math.min(n, i + 16); j++) if (tokens[j].punct && tokens[j].w === tokens[i].w) return true;
    return false;
  }

  // Asides inside each clause: between paired commas, dashes or parentheses.
  const aside = new Uint8Array(n);
  for (const [a, b] of clauseRange) {
    let open = -1;
    let depth = 0;
    for (let i = a; i < b; i++) {
      const w = tokens[i].punct ? tokens[i].w : "";
      if (w === "(") depth++;
      else if (w === ")" && depth > 0) depth--;
      else if (depth > 0) aside[i] = 1;
      if (depth > 0 || w === "(" || w === ")") continue;
      if (w === "," || w === "\u2014" || w === "-") {
        if (open >= 0 && tokens[open].w === w) {
          for (let k = open + 1; k < i; k++) aside[k] = 1;
          open = -1;
        } else open = i;
      }
    }
  }

  // "Case isn't, and shouldn't be, the default": a coordination set off by commas, without a
  // subject of its own, is an aside of the clause around it.
  for (let i = 0; i + 2 < n; i++) {
    if (tokens[i].w !== "," || !["and", "or", "but"].includes(tokens[i + 1].w) || subjectish(i + 2)) continue;
    for (let j = i + 2; j < Math.min(n, i + 9); j++) {
      if (tokens[j].punct && tokens[j].w !== ",") break;
      if (tokens[j].w === ",") {
        for (let k = i + 1; k < j; k++) aside[k] = 1;
        break;
      }
    }
  }

  // Questions: a trailing "?" asks its own comma segment, or the whole sentence when it starts
  // with a question word or ends in a tag ("..., right?").
  let askedFrom = n;
  const lastTok = tokens[n - 1];
  if (lastTok && lastTok.w === "?") {
    let seg = n - 1;
    while (seg > 0 && !(tokens[seg - 1].punct && [",", ";", ":", "\u2014", "-"].includes(tokens[seg - 1].w))) seg--;
    const tagEnd = endOf(seg, C.question_tag);
    const first = tokens.findIndex((t) => !t.punct);
    askedFrom = first >= 0 && (has(first, C.question_start) || tagEnd === n - 1) ? 0 : seg;
  }

  const gapFillerCls = [C.filler, C.negator, C.hedge, C.aux, C.cand_qual, C.permission];
  const view: Analysis = {
    lex,
    text,
    tokens,
    spans,
    has,
    clauseStart,
    gapFiller: (i) => {
      const t = tokens[i];
      if (/ly$/.test(t.w) && t.w.length > 3) return true;
      if (tokens[i + 1]?.w === "'s" && !t.punct && !has(i, C.candidate) && !has(i, C.incumbent)) return true; // "the team's go-to agent"
      for (const c of gapFillerCls) if (has(i, c) || covered(i, c)) return true;
      return false;
    },
    gapStop: (i) => has(i, C.gap_stop) || has(i, C.candidate) || has(i, C.incumbent) || covered(i, C.candidate) || covered(i, C.incumbent),
    // A noun phrase ends before a verb we know (is, will, not, might, if ...) or an np_end word.
    npEnd: (i) => has(i, C.np_end) || has(i, C.be) || has(i, C.aux) || has(i, C.negator) || has(i, C.hedge) || has(i, C.cond_start) || has(i, C.fact_start) || has(i, C.gap_stop) || has(i, C.talked_pp) || has(i, C.reject_pp) || has(i, C.report_verb),
    refersTo,
    clauseOf,
    clauseType,
    clauseRange,
    aside,
    askedFrom,
    endOf,
    covered,
    cls: C,
    present,
    needsContext,
  };
  return view;
}

export function spanText(tokens: Tok[], i: number, end: number): string {
  return tokens
    .slice(i, end)
    .map((t) => t.raw)
    .join(" ")
    .replace(/ '/g, "'");
}
