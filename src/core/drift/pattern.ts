// Lexicon phrases and claim frames, compiled once, matched in time linear in the sentence.
//
// A phrase ("take|takes over from?") is matched by advancing the set of reachable positions one
// element at a time: optional words never multiply the work (the old recursive matcher took
// exponential time on 24 optional words). A frame ("@{candidate} ... {be} ... %{status}") is a
// small program run by a Pike-style VM: every thread state is visited at most once per token.
import type { Tok } from "./tokens";
import { wordsOf } from "./tokens";

/** One word of a phrase: any of `any`, a word starting with one of `prefixes`, or exactly `exact` (case kept). */
export interface Word {
  any: Set<string>;
  prefixes: string[];
  exact: Set<string>;
  optional: boolean;
}
export type Phrase = Word[];

export class PatternError extends Error {}

/** Compiles a phrase of lexicon data. A word that splits into several (go-to) becomes several. */
export function compilePhrase(phrase: string): Phrase {
  const out: Phrase = [];
  for (const tok of phrase.trim().split(/\s+/)) {
    if (tok === "") continue;
    const optional = tok.length > 1 && tok.endsWith("?");
    const body = optional ? tok.slice(0, -1) : tok;
    const alts = body.split("|").filter((a) => a !== "");
    if (alts.length === 0) throw new PatternError(`empty word in '${phrase}'`);
    // "=Core" keeps its case; "=>" and "=" are punctuation
    const exactCase = (a: string) => a.startsWith("=") && /^=[\p{L}\p{N}]/u.test(a);
    const multi = alts.map((a) => (exactCase(a) || (a.endsWith("*") && a.length > 1) ? [a] : wordsOf(a)));
    if (multi.length === 1 && multi[0].length > 1) {
      // "go-to" as a whole word: each part in turn (optional as a group is approximated per part)
      for (const w of multi[0]) out.push({ any: new Set([w]), prefixes: [], exact: new Set(), optional });
      continue;
    }
    const word: Word = { any: new Set(), prefixes: [], exact: new Set(), optional };
    for (const [i, parts] of multi.entries()) {
      const a = alts[i];
      if (exactCase(a)) word.exact.add(a.slice(1));
      else if (a.endsWith("*") && a.length > 1) word.prefixes.push(a.slice(0, -1).toLowerCase());
      else if (parts.length === 1) word.any.add(parts[0]);
      else throw new PatternError(`'${a}' in '${phrase}' is several words: write it as its own phrase`);
    }
    out.push(word);
  }
  if (out.length === 0) throw new PatternError(`empty phrase`);
  if (out.every((w) => w.optional)) throw new PatternError(`'${phrase}' has only optional words: it would match everywhere`);
  return out;
}

export function wordMatches(w: Word, t: Tok): boolean {
  if (w.any.has(t.w)) return true;
  if (w.exact.size > 0 && w.exact.has(t.raw)) return true;
  for (const p of w.prefixes) if (t.w.startsWith(p)) return true;
  return false;
}

/**
 * End positions (exclusive) of the phrase matched at tokens[i]. Linear: the set of reachable
 * positions grows by at most one per word, whatever is optional.
 */
export function phraseEnds(phrase: Phrase, tokens: Tok[], i: number): number[] {
  let at = [i];
  for (const w of phrase) {
    const next: number[] = w.optional ? [...at] : [];
    for (const p of at) if (p < tokens.length && wordMatches(w, tokens[p]) && !next.includes(p + 1)) next.push(p + 1);
    if (next.length === 0) return [];
    at = next;
  }
  return at.filter((p) => p > i);
}

// ------------------------------------------------------------------------------------------ frames

export const enum Op {
  Tok,
  Cls,
  Split,
  Jmp,
  Gap,
  Start,
  NpEnd,
  End,
  Match,
}

export type GapKind = "filler" | "wide" | "clause";

export interface Instr {
  op: Op;
  /** Tok: the word; Cls: class ids and literal words. */
  word?: Word;
  classes?: number[];
  lits?: Set<string>;
  /** The element binds the subject / belongs to the claim phrase. */
  subj?: boolean;
  mark?: boolean;
  /** Split: preferred and other branch; Jmp: target. */
  x?: number;
  y?: number;
  gap?: GapKind;
  max?: number;
}

export interface Program {
  source: string;
  code: Instr[];
  /** Each inner list: at least one of these classes must occur in the sentence for a match. */
  needs: number[][];
  /** The same for the claim-phrase (%) elements only. */
  markNeeds: number[][];
  /** Classes of the claim-phrase elements (to show the longest phrase they matched). */
  markClasses: Set<number>;
  /** What a match can start with: a thread is only started on such a token (undefined: any). */
  first?: { words: Set<string>; prefixes: string[]; exact: Set<string>; classes: Set<number> };
}

/** Resolves class names for the frame compiler; undefined for an unknown name. */
export type ClassLookup = (name: string) => number | undefined;

const GAP_FILLER_MAX = 6;

/** Compiles a frame. Throws PatternError naming the problem (unknown class, bad gap). */
export function compileFrame(source: string, lookup: ClassLookup): Program {
  const code: Instr[] = [];
  const needs: number[][] = [];
  const markNeeds: number[][] = [];
  const markClasses = new Set<number>();
  const parts = source.trim().split(/\s+/).filter((p) => p !== "");
  if (parts.length === 0) throw new PatternError("empty frame");
  let consumers = 0;
  for (const part of parts) {
    if (part === "^") {
      code.push({ op: Op.Start });
      continue;
    }
    if (part === "$") {
      code.push({ op: Op.NpEnd });
      continue;
    }
    if (part === "$$") {
      code.push({ op: Op.End });
      continue;
    }
    if (part === "...") {
      code.push({ op: Op.Gap, gap: "filler", max: GAP_FILLER_MAX });
      continue;
    }
    const gm = /^(~~?)(\d+)$/.exec(part);
    if (gm) {
      const max = Number(gm[2]);
      if (max < 1 || max > 12) throw new PatternError(`gap '${part}' must be 1 to 12 words`);
      code.push({ op: Op.Gap, gap: gm[1] === "~" ? "wide" : "clause", max });
      continue;
    }
    let p = part;
    let subj = false;
    let mark = false;
    for (;;) {
      if (p.startsWith("@") && p.length > 1) {
        subj = true;
        p = p.slice(1);
      } else if (p.startsWith("%") && p.length > 1) {
        mark = true;
        p = p.slice(1);
      } else break;
    }
    const optional = p.length > 1 && p.endsWith("?");
    if (optional) p = p.slice(0, -1);
    let instr: Instr;
    if (p.startsWith("{") && p.endsWith("}")) {
      const classes: number[] = [];
      const lits = new Set<string>();
      for (const name of p.slice(1, -1).split("|")) {
        const id = lookup(name);
        if (id !== undefined) classes.push(id);
        else if (/^[a-z_][a-z0-9_]*$/.test(name)) throw new PatternError(`unknown class '{${name}}' in frame '${source}'`);
        else if (name !== "") lits.add(name);
      }
      if (classes.length === 0 && lits.size === 0) throw new PatternError(`empty class reference in '${source}'`);
      instr = { op: Op.Cls, classes, lits, subj, mark };
      if (!optional && lits.size === 0) needs.push(classes);
      if (!optional && lits.size === 0 && mark) markNeeds.push(classes);
      if (mark) for (const c of classes) markClasses.add(c);
    } else {
      const [word] = compilePhrase(p);
      instr = { op: Op.Tok, word: { ...word, optional: false }, subj, mark };
    }
    consumers++;
    if (optional) {
      const split: Instr = { op: Op.Split, x: code.length + 1, y: code.length + 2 };
      code.push(split, instr);
    } else code.push(instr);
  }
  if (consumers === 0) throw new PatternError(`frame '${source}' matches no words`);
  code.push({ op: Op.Match });
  return { source, code, needs, markNeeds, markClasses, first: firstConsumers(code) };
}

/** The words and classes the first consumed token of a match can have (undefined: anything). */
export function firstConsumers(code: Instr[]): Program["first"] {
  const out = { words: new Set<string>(), prefixes: [] as string[], exact: new Set<string>(), classes: new Set<number>() };
  const seen = new Set<number>();
  const stack = [0];
  while (stack.length > 0) {
    const pc = stack.pop()!;
    if (seen.has(pc)) continue;
    seen.add(pc);
    const ins = code[pc];
    switch (ins.op) {
      case Op.Split:
        stack.push(ins.x!, ins.y!);
        break;
      case Op.Jmp:
        stack.push(ins.x!);
        break;
      case Op.Start:
      case Op.NpEnd:
      case Op.End:
        stack.push(pc + 1);
        break;
      case Op.Tok:
        for (const w of ins.word!.any) out.words.add(w);
        out.prefixes.push(...ins.word!.prefixes);
        for (const x of ins.word!.exact) out.exact.add(x);
        break;
      case Op.Cls:
        for (const c of ins.classes!) out.classes.add(c);
        for (const l of ins.lits!) out.words.add(l);
        break;
      default:
        return undefined; // a gap or an empty match can start anywhere
    }
  }
  return out;
}

function canStart(prog: Program, view: SentenceView, pos: number): boolean {
  const f = prog.first;
  if (!f) return true;
  const t = view.tokens[pos];
  if (f.words.has(t.w) || f.exact.has(t.raw)) return true;
  for (const p of f.prefixes) if (t.w.startsWith(p)) return true;
  const sp = view.spans[pos];
  for (let j = 0; j < sp.length; j += 2) if (f.classes.has(sp[j])) return true;
  return false;
}

// ------------------------------------------------------------------------------------------ the VM

/** What the VM needs to know about the sentence besides its tokens. */
export interface SentenceView {
  tokens: Tok[];
  /** spans[i]: [classId, end] pairs of every class phrase starting at token i. */
  spans: number[][];
  has(tokenIndex: number, classId: number): boolean;
  /** Token i starts a clause: 1 after punctuation, 2 at a conjunction or subordinator (gaps stop there). */
  clauseStart: Uint8Array;
  /** Class ids the gaps consult. */
  gapFiller: (i: number) => boolean;
  gapStop: (i: number) => boolean;
  npEnd: (i: number) => boolean;
}

export interface FrameMatch {
  start: number;
  end: number;
  /** Token index of the subject element (-1: none), and the claim phrase's token range. */
  subj: number;
  m0: number;
  m1: number;
}

interface Thread {
  pc: number;
  g: number;
  /** 0: no aside open; else the code of the mark that opened it. */
  aside: number;
  ga: number;
  start: number;
  subj: number;
  m0: number;
  m1: number;
}

const ASIDE_MAX = 14;
const QUEUES: Thread[][] = [];
const STACK: Thread[] = [];
const READY: Thread[] = [];
let VISITED = new Int32Array(0);
let STAMP = 0;

/** Thread steps the VM took, for tests that prove the work grows linearly (not timed). */
export const vmStats = { steps: 0 };
const BOUNDARY = new Set([";", ":", "?", "!", "."]);

/** Leftmost match of the program at or after token `from`, or undefined. */
export function runFrame(prog: Program, view: SentenceView, from: number): FrameMatch | undefined {
  const { tokens } = view;
  const n = tokens.length;
  const code = prog.code;
  // Buffers live across calls: the queues are emptied as they are read, and `visited` is
  // stamped with a number never used before, so nothing is cleared or allocated per call.
  while (QUEUES.length <= n + 1) QUEUES.push([]);
  const queues = QUEUES;
  for (let i = from; i <= n + 1; i++) queues[i].length = 0;
  // visited[state] = stamp; a state is (pc, gap count, aside kind, aside count)
  const W = (GAP_FILLER_MAX + 7) * 4 * (ASIDE_MAX + 2);
  if (VISITED.length < code.length * W) VISITED = new Int32Array(code.length * W * 2);
  const visited = VISITED;
  let best: FrameMatch | undefined;
  let pending = 0; // threads waiting in later queues

  const key = (t: Thread) => t.pc * W + (t.g * 4 + asideSlot(t.aside)) * (ASIDE_MAX + 2) + t.ga;

  for (let pos = from; pos <= n; pos++) {
    if (best === undefined && pos < n && canStart(prog, view, pos)) {
      queues[pos].push({ pc: 0, g: 0, aside: 0, ga: 0, start: pos, subj: -1, m0: -1, m1: -1 });
      pending++;
    }
    const list = queues[pos];
    pending -= list.length;
    if (list.length === 0) {
      if (best !== undefined && pending <= 0) break;
      continue;
    }
    if (++STAMP > 0x7ffffff0) {
      VISITED.fill(0);
      STAMP = 1;
    }
    const stamp = STAMP;
    // Epsilon closure in priority order, with an explicit stack (no recursion). A thread that
    // takes one way is changed in place; only a fork allocates.
    const stack = STACK;
    const ready = READY;
    stack.length = 0;
    ready.length = 0;
    for (let li = list.length - 1; li >= 0; li--) stack.push(list[li]);
    while (stack.length > 0) {
      const t = stack.pop()!;
      vmStats.steps++;
      if (best !== undefined && t.start > best.start) continue;
      const k = key(t);
      if (visited[k] === stamp) continue;
      visited[k] = stamp;
      const ins = code[t.pc];
      switch (ins.op) {
        case Op.Split:
          stack.push({ ...t, pc: ins.y! });
          t.pc = ins.x!;
          stack.push(t);
          break;
        case Op.Jmp:
          t.pc = ins.x!;
          stack.push(t);
          break;
        case Op.Start:
          if (pos === t.start && view.clauseStart[pos]) {
            t.pc++;
            stack.push(t);
          }
          break;
        case Op.NpEnd:
          if (pos >= n || tokens[pos].punct || view.npEnd(pos)) {
            t.pc++;
            stack.push(t);
          }
          break;
        case Op.End:
          if (pos >= n || tokens[pos].punct) {
            t.pc++;
            stack.push(t);
          }
          break;
        case Op.Gap:
          // Consuming comes second: prefer the shortest gap. Exit only with no aside open.
          ready.push(t);
          if (t.aside === 0) stack.push({ ...t, pc: t.pc + 1, g: 0, ga: 0 });
          break;
        case Op.Match:
          if (best === undefined || t.start < best.start) best = { start: t.start, end: pos, subj: t.subj, m0: t.m0, m1: t.m1 };
          break;
        default:
          ready.push(t);
      }
    }
    if (pos >= n) break;
    const tok = tokens[pos];
    for (const t of ready) {
      const ins = code[t.pc];
      if (ins.op === Op.Gap) {
        const next = gapStep(ins, t, tok, pos, view);
        if (next) {
          queues[pos + 1].push(next);
          pending++;
        }
        continue;
      }
      const bind = (end: number): Thread => ({
        ...t,
        pc: t.pc + 1,
        g: 0,
        ga: 0,
        subj: ins.subj ? pos : t.subj,
        m0: ins.mark ? (t.m0 < 0 ? pos : t.m0) : t.m0,
        m1: ins.mark ? end : t.m1,
      });
      if (ins.op === Op.Tok) {
        if (wordMatches(ins.word!, tok)) {
          queues[pos + 1].push(bind(pos + 1));
          pending++;
        }
      } else if (ins.op === Op.Cls) {
        if (ins.lits!.size > 0 && ins.lits!.has(tok.w)) {
          queues[pos + 1].push(bind(pos + 1));
          pending++;
        }
        const sp = view.spans[pos];
        for (let j = 0; j < sp.length; j += 2) {
          if (ins.classes!.includes(sp[j])) {
            queues[sp[j + 1]].push(bind(sp[j + 1]));
            pending++;
          }
        }
      }
    }
    queues[pos].length = 0;
  }
  return best;
}

function asideSlot(a: number): number {
  return a === 0 ? 0 : a === 44 ? 1 : a === 40 ? 2 : 3;
}

/** One token through a gap, or undefined when the gap cannot hold it. */
function gapStep(ins: Instr, t: Thread, tok: Tok, pos: number, view: SentenceView): Thread | undefined {
  const w = tok.w;
  if (tok.punct) {
    if (BOUNDARY.has(w) && !tok.code) return undefined;
    // Asides: a pair of commas, parentheses or dashes holds anything (up to ASIDE_MAX words).
    if (w === "," || w === "\u2014" || w === "-") {
      const c = w === "," ? 44 : 45;
      if (t.aside === 0) return { ...t, aside: c, ga: 0 };
      if (t.aside === c) return { ...t, aside: 0, ga: 0 };
      return undefined;
    }
    if (w === "(" && t.aside === 0) return { ...t, aside: 40, ga: 0 };
    if (w === ")" && t.aside === 40) return { ...t, aside: 0, ga: 0 };
    if (w === "=" || w === "->" || w === "=>" || w === "|" || w === "[" || w === "]") return t.aside !== 0 ? t : undefined;
    return undefined;
  }
  if (t.aside !== 0) return t.ga < ASIDE_MAX ? { ...t, ga: t.ga + 1 } : undefined;
  if (t.g >= ins.max!) return undefined;
  if (view.clauseStart[pos] === 2 && ins.gap !== "filler") return undefined; // never into the next clause
  const ok = ins.gap === "filler" ? view.gapFiller(pos) : ins.gap === "wide" ? !view.gapStop(pos) : true;
  return ok ? { ...t, g: t.g + 1 } : undefined;
}
