// The wording lexicon: data (lexicon/default.yaml, extended per workspace by .cto/lexicon.yaml)
// compiled once into class tables and claim frames. The detector (drift.ts) never hard-codes a
// word; it asks for classes by name (the names below in CORE_CLASSES).
//
// Candidate names have one entry point: `LexiconSpec.candidates` (the built-in list, a
// workspace lexicon's `candidates:`, `.cto/config.yaml` and the selected backend of an
// eligibility decision all append to it; see `withCandidates`).
import type { Document, Node, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { compileFrame, compilePhrase, firstConsumers, PatternError, wordMatches, type Phrase, type Program } from "./drift/pattern";
import { yaml } from "./libs";
import defaultLexiconData from "./lexicon/default.yaml";
import { parseYamlSafely } from "./safeYaml";
import { LineTable } from "./text";
import type { RuleId } from "./types";

export interface ClaimSpec {
  id: string;
  rule: RuleId;
  /** default | core | self-approval | readiness, or a workspace's own kind (default: the id). */
  kind?: string;
  message: string;
  /** Patterns over words and classes (see default.yaml). */
  frames?: string[];
  /** The old format: plain word sequences, no subject binding. */
  phrases?: string[];
  /** Word substitutions offered as a quick fix (`default: candidate`). */
  rewrite?: Record<string, string>;
  /** Or: text that replaces the whole claim phrase. */
  replacement?: string;
  /** false: no condition accepts the claim (self-approval is never conditioned). Default true. */
  conditional?: boolean;
}

export interface LexiconSpec {
  version?: number;
  /** Names of candidate backends, added to class `candidate`. */
  candidates?: string[];
  classes: Record<string, string[]>;
  claims: ClaimSpec[];
  /** Version 1 lists, kept working: folded into classes (see foldLegacy). */
  qualifiers?: Partial<Record<"negation" | "candidate" | "conditional" | "earned", string[]>>;
  mentions?: string[];
  disable?: string[];
}

/** Classes the detector consults by name; a lexicon without one gets it empty. */
export const CORE_CLASSES = [
  "candidate", "ambiguous_name", "code_only_name", "name_noun_before", "name_noun_after", "cand_part", "incumbent", "doc",
  "pronoun", "anaphor", "expletive_after", "self", "np_end", "filler", "gap_stop", "negator", "neg_bound", "hedge",
  "permission", "aux", "be", "report_verb", "report_noun", "talked_pp", "reject_pp", "adopt_pp", "discuss", "mention",
  "mention_det", "mention_link", "cond_start", "fact_start", "cond_marker", "gate", "cand_qual", "question_start",
  "question_tag", "hearsay", "copula_s", "typo_tolerant", "subject_start", "obj_lead",
] as const;
export type CoreClass = (typeof CORE_CLASSES)[number];

export interface CompiledClaim extends ClaimSpec {
  kind: string;
  programs: Program[];
  /** Frames from `phrases` bind no subject. */
  legacy: boolean[];
}

interface MultiEntry {
  cls: number;
  phrase: Phrase;
  text: string;
  /** Indexed by its required first word: the second word decides at once (most phrases are two words). */
  direct?: boolean;
}

export interface Lexicon {
  spec: LexiconSpec;
  classNames: string[];
  classId: Map<string, number>;
  /** Class ids the detector uses, by name. */
  C: Record<CoreClass, number>;
  /** One-word entries: word -> class ids. */
  single: Map<string, number[]>;
  /** Case-kept one-word entries (`=Core`). */
  exactSingle: Map<string, number[]>;
  prefixSingle: { prefix: string; cls: number; text: string }[];
  /** Several-word entries by a word their first element requires; `anyStart` holds the rest. */
  multi: Map<string, MultiEntry[]>;
  /** The direct entries of `multi` again, by first and second word ("*": a second word with alternatives beyond plain words). */
  pairs: Map<string, Map<string, MultiEntry[]>>;
  anyStart: MultiEntry[];
  claims: CompiledClaim[];
  /** A block can hold a claim only if one of these matches (see drift.ts). */
  prefilter: { subjects: RegExp; pronouns: RegExp; standalone: RegExp; others: RegExp; all: RegExp; quick: RegExp; disjoint: boolean };
  /** Problems compiling the lexicon's own entries (bad phrase, unknown class in a frame). */
  problems: { message: string; where: string }[];
}

// ------------------------------------------------------------------------------------- compile

export function compileLexicon(input: LexiconSpec): Lexicon {
  const spec = foldLegacy(input);
  const problems: { message: string; where: string }[] = [];
  const classNames: string[] = [];
  const classId = new Map<string, number>();
  const idOf = (name: string) => {
    let id = classId.get(name);
    if (id === undefined) {
      id = classNames.length;
      classNames.push(name);
      classId.set(name, id);
    }
    return id;
  };
  for (const name of CORE_CLASSES) idOf(name);
  const classes: Record<string, string[]> = { ...spec.classes };
  classes.candidate = [...(classes.candidate ?? []), ...(spec.candidates ?? [])];
  for (const name of Object.keys(classes)) idOf(name);

  const single = new Map<string, number[]>();
  const exactSingle = new Map<string, number[]>();
  const prefixSingle: { prefix: string; cls: number; text: string }[] = [];
  const multi = new Map<string, MultiEntry[]>();
  const anyStart: MultiEntry[] = [];
  const add = <K>(m: Map<K, number[]>, k: K, id: number) => {
    const l = m.get(k);
    if (!l) m.set(k, [id]);
    else if (!l.includes(id)) l.push(id);
  };
  const compiled = new Map<string, Phrase[]>(); // class -> its phrases, compiled once (the prefilter reuses them)
  for (const [name, phrases] of Object.entries(classes)) {
    const cls = idOf(name);
    if (name === "typo_tolerant") continue; // names classes, holds no words (see addTypos)
    const list: Phrase[] = [];
    compiled.set(name, list);
    for (const text of phrases ?? []) {
      let phrase: Phrase;
      try {
        phrase = compilePhrase(String(text));
      } catch (e) {
        problems.push({ message: (e as Error).message, where: `classes.${name}` });
        continue;
      }
      list.push(phrase);
      const w = phrase[0];
      if (phrase.length === 1 && !w.optional) {
        for (const a of w.any) add(single, a, cls);
        for (const x of w.exact) add(exactSingle, x, cls);
        for (const p of w.prefixes) prefixSingle.push({ prefix: p, cls, text: String(text) });
        continue;
      }
      const entry = { cls, phrase, text: String(text) };
      // Index under every word the phrase can start with (optional leading words included).
      const firstWords = new Set<string>();
      let indexable = true;
      for (const el of phrase) {
        if (el.prefixes.length > 0 || el.exact.size > 0) indexable = false;
        for (const a of el.any) firstWords.add(a);
        if (!el.optional) break;
      }
      if (!indexable) anyStart.push(entry);
      else {
        if (!phrase[0].optional) (entry as MultiEntry).direct = true;
        for (const a of firstWords) (multi.get(a) ?? multi.set(a, []).get(a)!).push(entry);
      }
    }
  }

  addTypos(classes.typo_tolerant ?? [], compiled, classId, single, multi);

  const lookup = (name: string) => classId.get(name);
  const disabled = new Set(spec.disable ?? []);
  const claims: CompiledClaim[] = [];
  for (const c of spec.claims) {
    if (disabled.has(c.id)) continue;
    const programs: Program[] = [];
    const legacy: boolean[] = [];
    for (const f of c.frames ?? []) {
      try {
        programs.push(compileFrame(f, lookup));
        legacy.push(false);
      } catch (e) {
        problems.push({ message: (e as Error).message, where: `claims ${c.id}` });
      }
    }
    for (const p of c.phrases ?? []) {
      try {
        // A plain phrase is a frame of literal words: %w1 %w2 ... (the whole phrase is the claim).
        const words = compilePhrase(p);
        programs.push(phraseProgram(p, words));
        legacy.push(true);
      } catch (e) {
        problems.push({ message: (e as Error).message, where: `claims ${c.id}` });
      }
    }
    claims.push({ ...c, kind: c.kind ?? c.id, programs, legacy });
  }

  const C = Object.fromEntries(CORE_CLASSES.map((n) => [n, classId.get(n)!])) as Record<CoreClass, number>;
  // Most phrases are decided by their first two words: index them by both, so a common first
  // word ("the", "is") does not try every phrase it starts.
  const pairs = new Map<string, Map<string, MultiEntry[]>>();
  for (const [first, entries] of multi) {
    const m = new Map<string, MultiEntry[]>();
    for (const e of entries) {
      const second = e.phrase[1];
      const keys = e.direct && !second.optional && second.prefixes.length === 0 && second.exact.size === 0 ? [...second.any] : ["*"];
      for (const k of keys) (m.get(k) ?? m.set(k, []).get(k)!).push(e);
    }
    pairs.set(first, m);
  }
  const lex: Lexicon = { spec, classNames, classId, C, single, exactSingle, prefixSingle, multi, pairs, anyStart, claims, prefilter: undefined!, problems };
  lex.prefilter = buildPrefilter(lex, compiled);
  return lex;
}

/**
 * One-word entries of the classes named in `typo_tolerant` also match with two adjacent letters
 * swapped ("defualt", "teh", "thier"): the commonest typo, cheap to index (a word of n letters
 * has n-1 variants). A variant that is a word of the lexicon itself is left out, so a typo never
 * shadows a real entry. Words under 3 letters are too short to tell a typo from another word.
 */
function addTypos(names: string[], compiled: Map<string, Phrase[]>, classId: Map<string, number>, single: Map<string, number[]>, multi: Map<string, MultiEntry[]>): void {
  const found: [string, number][] = [];
  for (const name of names) {
    const cls = classId.get(String(name));
    const phrases = compiled.get(String(name));
    if (cls === undefined || !phrases) continue;
    for (const p of phrases) {
      if (p.length !== 1 || p[0].optional) continue;
      for (const w of p[0].any) {
        if (w.length < 3 || !/^[a-z]+$/.test(w)) continue;
        for (let k = 0; k + 1 < w.length; k++) {
          if (w[k] === w[k + 1]) continue;
          const v = w.slice(0, k) + w[k + 1] + w[k] + w.slice(k + 2);
          if (!single.has(v) && !multi.has(v)) found.push([v, cls]);
        }
      }
    }
  }
  for (const [v, cls] of found) {
    const l = single.get(v);
    if (!l) single.set(v, [cls]);
    else if (!l.includes(cls)) l.push(cls);
  }
}

/** A legacy phrase as a program: each word marked, nothing bound. */
function phraseProgram(source: string, words: Phrase): Program {
  // compileFrame would re-tokenize `a|b` words; build the program directly instead.
  const code: Program["code"] = [];
  for (const w of words) {
    const instr = { op: 0 /* Op.Tok */, word: { ...w, optional: false }, mark: true };
    if (w.optional) code.push({ op: 2 /* Op.Split */, x: code.length + 1, y: code.length + 2 }, instr);
    else code.push(instr);
  }
  code.push({ op: 8 /* Op.Match */ });
  return { source, code, needs: [], markNeeds: [], markClasses: new Set(), first: firstConsumers(code) };
}

/** Version 1 qualifier lists keep working: they join the classes that now do their job. */
function foldLegacy(spec: LexiconSpec): LexiconSpec {
  const q = spec.qualifiers;
  if (!q && !spec.mentions) return spec;
  const classes = { ...spec.classes };
  const append = (name: string, list: string[] | undefined) => {
    if (list && list.length > 0) classes[name] = [...(classes[name] ?? []), ...list];
  };
  append("negator", q?.negation);
  append("cand_qual", q?.candidate);
  append("cond_marker", q?.conditional);
  append("gate", q?.earned);
  append("mention", spec.mentions);
  return { ...spec, classes, qualifiers: undefined, mentions: undefined };
}

/**
 * A claim needs a subject or a word only a claim has. `subjects`: candidate names and words that
 * begin a candidate phrase; `pronouns`: what may refer back to one (checked only when the text
 * before did name the candidate); `standalone`: words of claims that can stand without the
 * candidate (Core, readiness, a workspace's own phrases).
 */
function buildPrefilter(lex: Lexicon, classes: Map<string, Phrase[]>): Lexicon["prefilter"] {
  const COMMON = new Set(["the", "a", "an", "of", "to", "is", "are", "be", "in", "on", "for", "as", "its", "it", "this", "our", "'s", "and", "or", "by", "with"]);
  // Nouns any prose about tools has: never the only thing a prefilter waits for.
  const GENERIC = new Set(["engine", "backend", "agent", "harness", "tool", "cli", "runner", "adapter", "status", "policy", "record", "records"]);
  const wordsOfClasses = (names: string[], out: Set<string>, generic = false) => {
    for (const n of names) {
      for (const p of classes.get(n) ?? []) {
        {
          const req = p.filter((w) => !w.optional);
          // the most telling required word: not a common one, and with the fewest alternatives
          // (ties: the later word — "part of core" waits for "core")
          const telling = req.filter((w) => ![...w.any].some((a) => COMMON.has(a) || (!generic && GENERIC.has(a))));
          const size = (w: (typeof p)[number]) => w.any.size + w.prefixes.length + w.exact.size;
          const first = telling.reduce<(typeof p)[number] | undefined>((b, w) => (b === undefined || size(w) <= size(b) ? w : b), undefined) ?? req[0] ?? p[0];
          for (const a of first.any) out.add(escapeRe(a));
          for (const x of first.exact) out.add(escapeRe(x));
          for (const x of first.prefixes) out.add(`${escapeRe(x)}[\\p{L}\\p{N}]*`);
        }
      }
    }
    return out;
  };
  const memo = new Map<string, Set<string>>();
  const wordsOfClass = (name: string) => {
    let w = memo.get(name);
    if (!w) memo.set(name, (w = wordsOfClasses([name], new Set())));
    return w;
  };
  const subj = wordsOfClasses(["candidate", "code_only_name"], new Set(["candidate"]));
  const pron = wordsOfClasses(["pronoun", "anaphor"], new Set(), true);
  const stand = new Set<string>();
  // Frames that bind no subject stand on their own: a block needs a word of their first class.
  for (const c of lex.claims) {
    c.programs.forEach((prog, i) => {
      if (c.legacy[i]) {
        const w = prog.code.find((x) => x.word && !x.word.optional)?.word ?? prog.code[0].word!;
        for (const a of w.any) stand.add(escapeRe(a));
        for (const x of w.prefixes) stand.add(`${escapeRe(x)}[\\p{L}\\p{N}]*`);
        return;
      }
      if (prog.code.some((x) => x.subj && x.classes?.includes(lex.C.candidate))) return;
      // The claim word of the frame with the fewest first words is the most telling one.
      let best: Set<string> | undefined;
      for (const need of prog.markNeeds.length > 0 ? prog.markNeeds : prog.needs) {
        const words = new Set<string>();
        for (const id of need) for (const w of wordsOfClass(lex.classNames[id])) words.add(w);
        if (!best || words.size < best.size) best = words;
      }
      for (const w of best ?? []) stand.add(w);
      if (!best) for (const x of prog.code) if (x.word && !x.word.optional) for (const a of x.word.any) stand.add(escapeRe(a));
    });
  }
  const re = (s: Set<string>) => (s.size === 0 ? /$^/ : new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...s].join("|")})(?![\\p{L}\\p{N}])`, "iu"));
  const others = wordsOfClasses(["incumbent"], new Set(), true);
  // All four in one regex with a group each: a block is scanned once (a word in several sets
  // counts for the first: subjects, then standalone, pronouns, others). Numbered groups, since a
  // named group builds an object per match.
  const alt = (set: Set<string>) => (set.size === 0 ? "(?!)" : [...set].join("|"));
  // When every word is letters and digits only (between non-letters), no two matches overlap and
  // the one pass finds what a separate test per kind would: drift.ts then skips those tests.
  const disjoint = [...subj, ...stand, ...pron, ...others].every((w) => /^(?:[\p{L}\p{N}]|\\p\{L\}\\p\{N\})+$/u.test(w.replace(/\[(\\p\{L\}\\p\{N\})\]\*$/, "$1")));
  const all = new RegExp(`(?<![\\p{L}\\p{N}])(?:(${alt(subj)})|(${alt(stand)})|(${alt(pron)})|(${alt(others)}))(?![\\p{L}\\p{N}])`, "giu");
  return { subjects: re(subj), pronouns: re(pron), standalone: re(stand), others: re(others), all, quick: re(new Set([...subj, ...stand])), disjoint };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The classes a token sequence starts: [classId, end] pairs for tokens[i..]. */
export function spansAt(lex: Lexicon, tokens: { w: string; raw: string }[], i: number, out: number[]): void {
  const t = tokens[i];
  const s = lex.single.get(t.w);
  if (s) for (const id of s) out.push(id, i + 1);
  const x = lex.exactSingle.get(t.raw);
  if (x) for (const id of x) out.push(id, i + 1);
  for (const p of lex.prefixSingle) if (t.w.startsWith(p.prefix) && t.w.length > p.prefix.length) out.push(p.cls, i + 1);
  const byNext = lex.pairs.get(t.w);
  if (byNext) {
    const next = tokens[i + 1];
    const exact = next ? byNext.get(next.w) : undefined;
    const rest = byNext.get("*");
    for (const e of exact ? (rest ? [...exact, ...rest] : exact) : (rest ?? [])) {
      if (e.direct && !e.phrase[1].optional) {
        // the first word matched through the index; a wrong second word ends it here
        if (!next || !wordMatches(e.phrase[1], next as never)) continue;
        if (e.phrase.length === 2) {
          out.push(e.cls, i + 2);
          continue;
        }
      }
      for (const end of ends(e.phrase, tokens, i)) out.push(e.cls, end);
    }
  }
  for (const e of lex.anyStart) for (const end of ends(e.phrase, tokens, i)) out.push(e.cls, end);
}

function ends(phrase: Phrase, tokens: { w: string; raw: string }[], i: number): number[] {
  let at = [i];
  for (const w of phrase) {
    const next: number[] = w.optional ? [...at] : [];
    for (const p of at) if (p < tokens.length && wordMatches(w, tokens[p] as never) && !next.includes(p + 1)) next.push(p + 1);
    if (next.length === 0) return [];
    at = next;
  }
  return at.filter((p) => p > i);
}

/** The lexicon entries (class: phrase) that cover tokens[i..end): for `cto lexicon explain`. */
export function entriesFor(lex: Lexicon, cls: number, tokens: { w: string; raw: string }[], i: number, end: number): string {
  if (end === i + 1) {
    const w = tokens[i];
    if (lex.single.get(w.w)?.includes(cls)) return w.w;
    if (lex.exactSingle.get(w.raw)?.includes(cls)) return `=${w.raw}`;
    const p = lex.prefixSingle.find((x) => x.cls === cls && w.w.startsWith(x.prefix));
    if (p) return p.text;
  }
  for (const e of [...(lex.multi.get(tokens[i].w) ?? []), ...lex.anyStart]) {
    if (e.cls === cls && ends(e.phrase, tokens, i).includes(end)) return e.text;
  }
  return tokens.slice(i, end).map((t) => t.w).join(" ");
}

// ------------------------------------------------------------------------------------- defaults

let defaultSpec: LexiconSpec | undefined;
/** The built-in lexicon, parsed on first use (not at load: activation stays cheap). */
export function defaultLexiconSpec(): LexiconSpec {
  // (the bundle holds the YAML as parsed data: see scripts/yaml-plugin.mjs)
  return (defaultSpec ??= defaultLexiconData as LexiconSpec);
}

/**
 * The workspace lexicon for a lexicon text: compiled once per text (a few recent ones are kept,
 * so the editor switching back and forth, or many workspaces sharing one, compile it once and
 * share its sentence cache).
 */
const recent = new Map<string, { lexicon: Lexicon; problems: LexiconProblem[] }>();
export function workspaceLexicon(text: string): { lexicon: Lexicon; problems: LexiconProblem[] } {
  const hit = recent.get(text);
  if (hit) {
    recent.delete(text);
    recent.set(text, hit);
    return hit;
  }
  const merged = mergeLexicon(defaultLexiconSpec(), text);
  const out = { lexicon: merged.lexicon ?? compileLexicon(merged.spec), problems: merged.problems };
  recent.set(text, out);
  if (recent.size > 8) recent.delete(recent.keys().next().value as string);
  return out;
}

/** A lexicon with more candidates (from eligibility decisions), compiled once per base and names. */
const withNames = new WeakMap<Lexicon, Map<string, Lexicon>>();
export function candidatesLexicon(base: Lexicon, names: string[]): Lexicon {
  const key = [...names].sort().join(",");
  let m = withNames.get(base);
  if (!m) withNames.set(base, (m = new Map()));
  let lex = m.get(key);
  if (!lex) m.set(key, (lex = compileLexicon(withCandidates(base.spec, names))));
  return lex;
}

let defaultLexicon: Lexicon | undefined;
export function getDefaultLexicon(): Lexicon {
  return (defaultLexicon ??= compileLexicon(defaultLexiconSpec()));
}

/** The spec with more candidate names (config, eligibility decisions): the one entry point. */
export function withCandidates(spec: LexiconSpec, names: Iterable<string>): LexiconSpec {
  const have = new Set((spec.candidates ?? []).map((n) => n.toLowerCase()));
  const extra = [...names].map((n) => n.trim().toLowerCase()).filter((n) => n !== "" && !have.has(n));
  return extra.length === 0 ? spec : { ...spec, candidates: [...(spec.candidates ?? []), ...new Set(extra)] };
}

// ------------------------------------------------------------------------------------- merge

/** A problem in a workspace lexicon file, located (1-based). */
export interface LexiconProblem {
  message: string;
  line: number;
  column: number;
}

const TOP_KEYS = ["version", "candidates", "classes", "claims", "qualifiers", "mentions", "disable"];
const CLAIM_KEYS = ["id", "rule", "kind", "message", "frames", "phrases", "rewrite", "replacement", "conditional"];
const CLAIM_RULES: RuleId[] = ["authority-drift", "readiness-claim"];
const MAX_LEXICON_BYTES = 512 * 1024;

/**
 * Merges a workspace lexicon (YAML text) over a base: claims with a known id replace it, new ids
 * are added, class lists and candidates are appended, `disable` drops claims. Every problem is
 * located; lines come from one line table (never recounted from the start per error).
 */
export function mergeLexicon(base: LexiconSpec, yamlText: string): { spec: LexiconSpec; problems: LexiconProblem[]; lexicon?: Lexicon } {
  const problems: LexiconProblem[] = [];
  const lines = new LineTable(yamlText);
  const at = (offset: number) => lines.position(Math.max(0, Math.min(offset, yamlText.length)));
  const push = (message: string, node?: { range?: [number, number, number] | null } | null) =>
    problems.push({ message, ...at(node?.range?.[0] ?? 0) });
  if (yamlText.length > MAX_LEXICON_BYTES) {
    push(`the lexicon is ${(yamlText.length / 1048576).toFixed(1)} MB, over the 512 KB limit: it was not read`);
    return { spec: base, problems };
  }
  const parsed = parseYamlSafely(yamlText, { uniqueKeys: true });
  if (!parsed.doc) {
    for (const p of parsed.problems.slice(0, 50)) problems.push({ message: p.message, ...at(p.offset) });
    if (parsed.problems.length > 50) problems.push({ message: `… and ${parsed.problems.length - 50} more YAML errors`, line: problems[49].line, column: 1 });
    return { spec: base, problems };
  }
  const doc: Document.Parsed = parsed.doc;
  const root = doc.contents;
  if (root === null || (yaml.isScalar(root) && (root.value === null || root.value === ""))) return { spec: base, problems };
  if (!yaml.isMap(root)) {
    push("the lexicon must be a mapping with `candidates`, `classes`, `claims`, `qualifiers`, `mentions` or `disable`", root);
    return { spec: base, problems };
  }
  const spec: LexiconSpec = {
    ...base,
    classes: { ...base.classes },
    claims: [...base.claims],
    candidates: [...(base.candidates ?? [])],
    disable: [...(base.disable ?? [])],
  };
  for (const pair of (root as YAMLMap).items as Pair<Node, Node>[]) {
    const key = yaml.isScalar(pair.key) ? String(pair.key.value) : undefined;
    const value = pair.value;
    if (key === undefined || !TOP_KEYS.includes(key)) {
      push(`unknown lexicon key '${key ?? "?"}' (known: ${TOP_KEYS.join(", ")})`, pair.key as Node);
      continue;
    }
    if (yaml.isAlias(value)) {
      push(`'${key}' is an alias: write the values out`, value);
      continue;
    }
    switch (key) {
      case "version":
        if (!yaml.isScalar(value) || (value.value !== 1 && value.value !== 2)) push("version must be 1 or 2", value ?? pair.key);
        break;
      case "candidates":
        for (const s of strings(value, "candidates", push)) spec.candidates!.push(s.toLowerCase());
        break;
      case "mentions":
        spec.classes.mention = [...(spec.classes.mention ?? []), ...strings(value, "mentions", push)];
        break;
      case "disable":
        spec.disable!.push(...strings(value, "disable", push));
        break;
      case "classes":
      case "qualifiers": {
        if (!yaml.isMap(value)) {
          push(`'${key}' must be a mapping of class names to lists of phrases`, value ?? pair.key);
          break;
        }
        const rename: Record<string, string> = { negation: "negator", candidate: "cand_qual", conditional: "cond_marker", earned: "gate" };
        for (const p of (value as YAMLMap).items as Pair<Node, Node>[]) {
          const raw = yaml.isScalar(p.key) ? String(p.key.value) : "";
          const name = key === "qualifiers" ? rename[raw] : raw;
          if (!name || !/^[a-z_][a-z0-9_]*$/.test(name)) {
            push(key === "qualifiers" ? `unknown qualifier '${raw}' (negation, candidate, conditional, earned)` : `class names are lower_case words (got '${raw}')`, p.key);
            continue;
          }
          const list = checkedPhrases(p.value, `${key}.${raw}`, push);
          spec.classes[name] = [...(spec.classes[name] ?? []), ...list];
        }
        break;
      }
      case "claims": {
        if (!yaml.isSeq(value)) {
          push("'claims' must be a list", value ?? pair.key);
          break;
        }
        let added = 0;
        for (const [i, item] of ((value as YAMLSeq).items as Node[]).entries()) {
          const c = claimFrom(item, i, push);
          if (!c) continue;
          const idx = spec.claims.findIndex((x) => x.id === c.id);
          if (idx >= 0) spec.claims[idx] = c;
          else spec.claims.splice(added++, 0, c); // the workspace's own claims are tried first
        }
        break;
      }
    }
  }
  // Frames that name unknown classes: compile the result once and report where it breaks.
  const compiled = compileLexicon(spec);
  for (const p of compiled.problems) {
    const node = findString(root, p.where);
    problems.push({ message: `${p.where}: ${p.message}`, ...at(node?.range?.[0] ?? 0) });
  }
  return { spec, problems, lexicon: compiled };
}

type Push = (message: string, node?: { range?: [number, number, number] | null } | null) => void;

function strings(node: Node | null, what: string, push: Push): string[] {
  if (!yaml.isSeq(node)) {
    push(`'${what}' must be a list of strings`, node);
    return [];
  }
  const out: string[] = [];
  for (const item of (node as YAMLSeq).items as Node[]) {
    if (yaml.isScalar(item) && (typeof item.value === "string" || typeof item.value === "number")) out.push(String(item.value));
    else push(`'${what}' holds something that is not a string`, item);
  }
  return out;
}

function checkedPhrases(node: Node | null, what: string, push: Push): string[] {
  const out: string[] = [];
  for (const s of strings(node, what, push)) {
    try {
      compilePhrase(s);
      out.push(s);
    } catch (e) {
      const item = ((node as YAMLSeq).items as Scalar[]).find((x) => String(x.value) === s);
      push(`${what}: ${(e as PatternError).message}`, item);
    }
  }
  return out;
}

function claimFrom(item: Node, i: number, push: Push): ClaimSpec | undefined {
  if (!yaml.isMap(item)) {
    push(`claims[${i}] must be a mapping with an 'id' and 'frames' or 'phrases'`, item);
    return undefined;
  }
  const get = (k: string) => ((item as YAMLMap).items as Pair<Node, Node>[]).find((p) => yaml.isScalar(p.key) && p.key.value === k)?.value ?? null;
  for (const p of (item as YAMLMap).items as Pair<Node, Node>[]) {
    const k = yaml.isScalar(p.key) ? String(p.key.value) : "?";
    if (!CLAIM_KEYS.includes(k)) push(`claims[${i}]: unknown key '${k}' (known: ${CLAIM_KEYS.join(", ")})`, p.key);
  }
  const id = get("id");
  if (!yaml.isScalar(id) || typeof id.value !== "string" || id.value === "") {
    push(`claims[${i}] needs an 'id'`, item);
    return undefined;
  }
  const frames = get("frames");
  const phrases = get("phrases");
  if (!yaml.isSeq(frames) && !yaml.isSeq(phrases)) {
    push(`claims[${i}] ('${id.value}') needs a list of 'frames' or 'phrases'`, item);
    return undefined;
  }
  const str = (k: string): string | undefined => {
    const n = get(k);
    if (n === null) return undefined;
    if (yaml.isScalar(n) && typeof n.value === "string") return n.value;
    push(`claims[${i}].${k} must be a string`, n);
    return undefined;
  };
  const ruleText = str("rule");
  const rule: RuleId = ruleText && (CLAIM_RULES as string[]).includes(ruleText) ? (ruleText as RuleId) : "authority-drift";
  if (ruleText && rule !== ruleText) push(`claims[${i}].rule must be ${CLAIM_RULES.join(" or ")}`, get("rule"));
  const claim: ClaimSpec = {
    id: id.value,
    rule,
    message: str("message") ?? "claims authority a planning doc cannot have",
    ...(yaml.isSeq(frames) ? { frames: strings(frames, `claims[${i}].frames`, push) } : {}),
    ...(yaml.isSeq(phrases) ? { phrases: checkedPhrases(phrases, `claims[${i}].phrases`, push) } : {}),
  };
  const kind = str("kind");
  if (kind) claim.kind = kind;
  const replacement = str("replacement");
  if (replacement !== undefined) claim.replacement = replacement;
  const cond = get("conditional");
  if (cond !== null) {
    if (yaml.isScalar(cond) && typeof cond.value === "boolean") claim.conditional = cond.value;
    else push(`claims[${i}].conditional must be true or false`, cond);
  }
  const rw = get("rewrite");
  if (rw !== null) {
    if (yaml.isMap(rw)) {
      claim.rewrite = {};
      for (const p of (rw as YAMLMap).items as Pair<Node, Node>[]) {
        if (yaml.isScalar(p.key) && yaml.isScalar(p.value)) claim.rewrite[String(p.key.value).toLowerCase()] = String(p.value.value);
        else push(`claims[${i}].rewrite maps words to words`, p.key);
      }
    } else push(`claims[${i}].rewrite must be a mapping of words`, rw);
  }
  return claim;
}

/** The node of a claim (`claims ID`) or class (`classes.NAME`) a compile problem is about. */
function findString(root: Node, where: string): Node | undefined {
  let found: Node | undefined;
  const claimId = where.startsWith("claims ") ? where.slice(7) : undefined;
  const cls = where.startsWith("classes.") ? where.slice(8) : undefined;
  yaml.visit(root, {
    Pair(_k, pair) {
      if (found) return yaml.visit.BREAK;
      if (cls && yaml.isScalar(pair.key) && pair.key.value === cls) found = pair.key as Node;
      if (claimId && yaml.isScalar(pair.key) && pair.key.value === "id" && yaml.isScalar(pair.value) && pair.value.value === claimId) found = pair.value as Node;
      return undefined;
    },
  });
  return found;
}
