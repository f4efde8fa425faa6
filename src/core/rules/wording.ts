// authority-drift and readiness-claim: sentences whose wording claims authority (lexicon data).
import { blockRange, findClaims, type ClaimHit, type DriftContext } from "../drift";
import type { Lexicon } from "../lexicon";
import type { PlanningDoc, ProseBlock } from "../model";
import type { Fix, RuleId } from "../types";
import { LEXICON_FILE } from "../workspace";
import { fmKey, type Rule, type RuleContext } from "./context";

/** Claim hits of a doc, found once per doc and lexicon and shared by both wording rules. */
const hitCache = new WeakMap<PlanningDoc, { lexicon: Lexicon; hits: { block: ProseBlock; hit: ClaimHit }[] }>();

/** Every drift hit of a doc with its block (also what `npm run eval:drift` scores). */
export function claimsOf(doc: PlanningDoc, lexicon: Lexicon): { block: ProseBlock; hit: ClaimHit }[] {
  const cached = hitCache.get(doc);
  if (cached?.lexicon === lexicon) return cached.hits;
  const hits: { block: ProseBlock; hit: ClaimHit }[] = [];
  // What "it" refers to carries from block to block, in the doc's order.
  const ctx: DriftContext = {};
  for (const block of [...descriptionBlock(doc), ...doc.prose]) for (const hit of findClaims(block, lexicon, ctx)) hits.push({ block, hit });
  hitCache.set(doc, { lexicon, hits });
  return hits;
}

function checkWording(rule: RuleId, doc: PlanningDoc, ctx: RuleContext): void {
  for (const { block, hit } of claimsOf(doc, ctx.ws.lexicon)) {
    if (hit.claim.rule !== rule) continue;
    const [s, e] = blockRange(block, hit.sentence.start, hit.sentence.end);
    ctx.report(rule, doc.path, doc.lines.range(s, e), hit.message, rewriteFix(doc, block, hit), explainHit(hit));
  }
}

export const authorityDrift: Rule = {
  id: "authority-drift",
  description: "No sentence claims authority a local planning doc cannot have (default backend, Core, self-approval).",
  checkDoc: (doc, ctx) => checkWording("authority-drift", doc, ctx),
  checkWorkspace(ctx) {
    for (const p of ctx.ws.lexiconProblems) {
      ctx.report("authority-drift", LEXICON_FILE, { line: p.line, column: p.column, endLine: p.line, endColumn: p.column + 1 }, `lexicon: ${p.message}`);
    }
  },
};

export const readinessClaim: Rule = {
  id: "readiness-claim",
  description: "Validation is planning-only: no sentence claims backend readiness.",
  checkDoc: (doc, ctx) => checkWording("readiness-claim", doc, ctx),
};

/** The frontmatter `description`, when it is a one-line scalar, is prose too. */
function descriptionBlock(doc: PlanningDoc): ProseBlock[] {
  const key = fmKey(doc, "description");
  if (!key || typeof key.value !== "string" || key.valueRange.line !== key.valueRange.endLine) return [];
  let start = doc.lines.offset(key.valueRange.line, key.valueRange.column);
  const raw = doc.text.slice(start, doc.lines.offset(key.valueRange.endLine, key.valueRange.endColumn));
  const quoted = raw.startsWith('"') || raw.startsWith("'");
  if (quoted) start++;
  const text = quoted ? raw.slice(1, -1) : raw;
  return [{ text, segments: [{ at: 0, offset: start }] }];
}

/** Rewrites the claim phrase per the lexicon: a whole `replacement`, or `rewrite` words (`default` -> `candidate`) keeping case. */
function rewriteFix(doc: PlanningDoc, block: ProseBlock, hit: ClaimHit): Fix[] | undefined {
  const { rewrite, replacement } = hit.claim;
  if (typeof replacement === "string") {
    const [s, e] = blockRange(block, hit.phraseStart, hit.phraseEnd);
    const from = doc.text.slice(s, e);
    return [{ title: `Rewrite '${from}' to '${replacement}'`, edits: [{ file: doc.path, range: doc.lines.range(s, e), newText: replacement }] }];
  }
  if (!rewrite) return undefined;
  const edits = hit.phraseTokens
    .filter((t) => rewrite[t.word] !== undefined)
    .map((t) => {
      const [s, e] = blockRange(block, t.start, t.end);
      const original = doc.text.slice(s, e);
      const target = rewrite[t.word];
      const newText = original[0] === original[0].toUpperCase() ? target[0].toUpperCase() + target.slice(1) : target;
      return { file: doc.path, range: doc.lines.range(s, e), newText };
    });
  if (edits.length === 0) return undefined;
  const from = hit.phraseTokens.map((t) => t.word).join(" ");
  const to = hit.phraseTokens.map((t) => rewrite[t.word] ?? t.word).join(" ");
  return [{ title: `Rewrite '${from}' to '${to}'`, edits }];
}

/** Why the finding is drift, in the words of the lexicon: for the hover. */
function explainHit(hit: ClaimHit): string {
  return [
    `claim \`${hit.claim.id}\` (${hit.claim.kind}) about ${hit.subject}: '${hit.phraseTokens.map((t) => t.word).join(" ")}'`,
    `frame: \`${hit.frame}\``,
    `lexicon entries: ${hit.entries.join("; ")}`,
    `rule: ${hit.rule}`,
  ].join("\n");
}
