// The wording lexicon: data (lexicon/default.yaml, extended per workspace by .cto/lexicon.yaml)
// compiled into word-sequence patterns. Rules never hard-code wording.
import { yaml } from "./libs";
import defaultLexiconText from "./lexicon/default.yaml";
import type { RuleId } from "./types";

export interface ClaimSpec {
  id: string;
  rule: RuleId;
  message: string;
  phrases: string[];
  /** Word substitutions offered as a quick fix (`default: candidate`). */
  rewrite?: Record<string, string>;
  /** Or: text that replaces the whole matched phrase. */
  replacement?: string;
}

export interface LexiconSpec {
  claims: ClaimSpec[];
  qualifiers: { negation: string[]; candidate: string[]; conditional: string[]; earned: string[] };
  mentions: string[];
  disable?: string[];
  /**
   * Names of candidate backends. The first is the one the phrases are written with (`case`);
   * every phrase word that names it also matches the others (from .cto/config.yaml `candidates`).
   */
  candidates?: string[];
}

interface Element {
  words: Set<string>;
  prefixes: string[];
  optional: boolean;
}
export type Pattern = Element[];

export interface CompiledClaim extends ClaimSpec {
  patterns: Pattern[];
}

export interface Lexicon {
  claims: CompiledClaim[];
  /** Claim patterns indexed by a word their first element requires; `anyStart` holds the rest. */
  byFirstWord: Map<string, { claim: CompiledClaim; pattern: Pattern }[]>;
  anyStart: { claim: CompiledClaim; pattern: Pattern }[];
  /** Matches text holding at least one word every claim needs: blocks without it are skipped. */
  prefilter: RegExp;
  /** Qualifier patterns by the word they start with (the rest in `qualifiersAnyStart`). */
  qualifiersByFirstWord: Map<string, { kind: QualifierKind; pattern: Pattern }[]>;
  qualifiersAnyStart: { kind: QualifierKind; pattern: Pattern }[];
  mentions: Set<string>;
}

export const QUALIFIER_KINDS = ["negation", "candidate", "conditional", "earned"] as const;
export type QualifierKind = (typeof QUALIFIER_KINDS)[number];
const CLAIM_RULES: RuleId[] = ["authority-drift", "readiness-claim"];

export function compilePhrase(phrase: string): Pattern {
  return phrase
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((tok) => {
      const optional = tok.endsWith("?");
      const body = optional ? tok.slice(0, -1) : tok;
      const words = new Set<string>();
      const prefixes: string[] = [];
      for (const alt of body.split("|")) {
        if (alt.endsWith("*")) prefixes.push(alt.slice(0, -1));
        else if (alt) words.add(alt.replace(/\u2019/g, "'"));
      }
      return { words, prefixes, optional };
    });
}

export function compileLexicon(spec: LexiconSpec): Lexicon {
  const disabled = new Set(spec.disable ?? []);
  const [named, ...others] = (spec.candidates ?? []).map((c) => c.toLowerCase());
  const withCandidates = (p: Pattern): Pattern =>
    named === undefined || others.length === 0 ? p : p.map((e) => (e.words.has(named) ? { ...e, words: new Set([...e.words, ...others]) } : e));
  const claims = spec.claims.filter((c) => !disabled.has(c.id)).map((c) => ({ ...c, patterns: c.phrases.map((ph) => withCandidates(compilePhrase(ph))) }));
  const byFirstWord = new Map<string, { claim: CompiledClaim; pattern: Pattern }[]>();
  const anyStart: { claim: CompiledClaim; pattern: Pattern }[] = [];
  for (const claim of claims) {
    for (const pattern of claim.patterns) {
      const first = pattern[0];
      if (!first || first.optional || first.prefixes.length > 0) anyStart.push({ claim, pattern });
      else for (const w of first.words) byFirstWord.set(w, [...(byFirstWord.get(w) ?? []), { claim, pattern }]);
    }
  }
  const qualifiersByFirstWord = new Map<string, { kind: QualifierKind; pattern: Pattern }[]>();
  const qualifiersAnyStart: { kind: QualifierKind; pattern: Pattern }[] = [];
  for (const kind of QUALIFIER_KINDS) {
    for (const pattern of spec.qualifiers[kind].map(compilePhrase)) {
      const first = pattern[0];
      if (!first || first.optional || first.prefixes.length > 0) qualifiersAnyStart.push({ kind, pattern });
      else for (const w of first.words) qualifiersByFirstWord.set(w, [...(qualifiersByFirstWord.get(w) ?? []), { kind, pattern }]);
    }
  }
  return {
    claims,
    byFirstWord,
    anyStart,
    prefilter: buildPrefilter(claims),
    qualifiersByFirstWord,
    qualifiersAnyStart,
    mentions: new Set(spec.mentions.map((m) => m.toLowerCase())),
  };
}

let defaultSpec: LexiconSpec | undefined;
/** The built-in lexicon, parsed on first use (not at load: activation stays cheap). */
export function defaultLexiconSpec(): LexiconSpec {
  return (defaultSpec ??= yaml.parse(defaultLexiconText) as LexiconSpec);
}

/** Words too common to say anything on their own; a prefilter picks another word of the phrase. */
const COMMON = new Set(["case", "is", "are", "the", "a", "as", "to", "into", "of", "make", "makes", "making", "set", "sets", "part", "its", "their", "has", "been", "for", "backend", "engine"]);

/**
 * A claim phrase can only match where its most telling word stands (its first required element
 * without common words: "default", "core", "approve…", "ready"…). One regex over those words
 * lets most prose skip sentence splitting and tokenizing altogether.
 */
function buildPrefilter(claims: CompiledClaim[]): RegExp {
  const alts = new Set<string>();
  for (const c of claims) {
    for (const p of c.patterns) {
      const required = p.filter((e) => !e.optional);
      const el = required.find((e) => ![...e.words].some((w) => COMMON.has(w))) ?? required[required.length - 1] ?? p[0];
      if (!el) continue;
      for (const w of el.words) alts.add(escapeRe(w));
      for (const x of el.prefixes) alts.add(`${escapeRe(x)}[\\p{L}\\p{N}]*`);
    }
  }
  return alts.size === 0 ? /$^/ : new RegExp(`(?<![\\p{L}\\p{N}])(?:${[...alts].join("|")})(?![\\p{L}\\p{N}])`, "iu");
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A problem in a workspace lexicon file, located by line (1-based). */
export interface LexiconProblem {
  message: string;
  line: number;
  column: number;
}

/**
 * Merges a workspace lexicon (YAML text) over a base: claims with a known id replace it,
 * new ids are added, qualifier and mention lists are appended, `disable` drops claims.
 */
export function mergeLexicon(base: LexiconSpec, yamlText: string): { spec: LexiconSpec; problems: LexiconProblem[] } {
  const problems: LexiconProblem[] = [];
  const doc = yaml.parseDocument(yamlText, { prettyErrors: false });
  const lineOf = (offset: number) => {
    const before = yamlText.slice(0, offset);
    const line = before.split("\n").length;
    return { line, column: offset - before.lastIndexOf("\n") };
  };
  for (const e of doc.errors) problems.push({ message: `YAML: ${e.message.split("\n")[0]}`, ...lineOf(e.pos[0]) });
  if (doc.errors.length > 0) return { spec: base, problems };
  const raw = (doc.toJS() ?? {}) as Partial<LexiconSpec> & Record<string, unknown>;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.push({ message: "lexicon must be a mapping with `claims`, `qualifiers`, `mentions` or `disable`", line: 1, column: 1 });
    return { spec: base, problems };
  }
  for (const key of Object.keys(raw)) {
    if (!["claims", "qualifiers", "mentions", "disable", "version", "candidates"].includes(key)) {
      problems.push({ message: `unknown lexicon key '${key}'`, line: 1, column: 1 });
    }
  }
  const claims = [...base.claims];
  for (const [i, c] of (Array.isArray(raw.claims) ? raw.claims : []).entries()) {
    const ok =
      c && typeof c.id === "string" && Array.isArray(c.phrases) && c.phrases.every((p: unknown) => typeof p === "string");
    if (!ok) {
      problems.push({ message: `claims[${i}] needs an 'id' and a list of 'phrases'`, line: 1, column: 1 });
      continue;
    }
    const rule: RuleId = CLAIM_RULES.includes(c.rule) ? c.rule : "authority-drift";
    const message = typeof c.message === "string" ? c.message : "claims authority a planning doc cannot have";
    const merged: ClaimSpec = { ...c, message, rule };
    const at = claims.findIndex((x) => x.id === c.id);
    if (at >= 0) claims[at] = merged;
    else claims.push(merged);
  }
  const qualifiers = { ...base.qualifiers };
  for (const kind of QUALIFIER_KINDS) {
    const extra = raw.qualifiers?.[kind];
    if (Array.isArray(extra)) qualifiers[kind] = [...qualifiers[kind], ...extra.map(String)];
  }
  const mentions = [...base.mentions, ...(Array.isArray(raw.mentions) ? raw.mentions.map(String) : [])];
  const disable = [...(base.disable ?? []), ...(Array.isArray(raw.disable) ? raw.disable.map(String) : [])];
  const candidates = [...(base.candidates ?? []), ...(Array.isArray(raw.candidates) ? raw.candidates.map(String) : [])];
  return { spec: { claims, qualifiers, mentions, disable, ...(candidates.length ? { candidates } : {}) }, problems };
}

let defaultLexicon: Lexicon | undefined;
export function getDefaultLexicon(): Lexicon {
  return (defaultLexicon ??= compileLexicon(defaultLexiconSpec()));
}
