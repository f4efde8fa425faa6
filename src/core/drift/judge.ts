// Is a matched claim the doc's own assertion? CONTRACT §3 "How authority drift is judged":
// not when asked, mentioned, hypothetical, reported or rejected, negated (parity: two negations
// cancel), hedged, candidate wording, conditioned on the evidenced gates (never for self-
// approval), or about something else. Each acceptance names the words that made it.
import type { CompiledClaim } from "../lexicon";
import { entriesFor } from "../lexicon";
import type { Analysis } from "./analyze";
import { spanText } from "./analyze";
import type { FrameMatch } from "./pattern";

export interface Verdict {
  drift: boolean;
  /** Which acceptance rule applied (or why it is drift), in words. */
  rule: string;
}

const REPORTER_AFTER = new Set(["according", "per", "in", "as"]);

export function judge(a: Analysis, m: FrameMatch, claim: CompiledClaim, legacy: boolean): Verdict {
  const { tokens, cls: C } = a;
  const n = tokens.length;
  const words = (i: number, j: number) => spanText(tokens, i, j);
  const m0 = m.m0 >= 0 ? m.m0 : m.start;
  const m1 = m.m1 >= 0 ? m.m1 : m.end;
  const clause = a.clauseOf[Math.min(m0, n - 1)];
  const [cStart, cEnd] = a.clauseRange[clause];
  const unconditional = claim.conditional === false;

  // 0. Not a claim at all: its words are an identifier in code (`self_approval` names an event),
  // or the candidate only owns the subject ("the engine's own stream ... counts as").
  // A code span inside prose words is an object of the claim ("Case emits `approval.granted` for
  // its own requests"): only a claim that begins or ends in code is code.
  const se = m.subj >= 0 ? Math.max(m.subj + 1, a.endOf(m.subj, C.candidate), a.endOf(m.subj, C.doc)) : -1;
  for (const i of m1 - 1 > m0 ? [m0, m1 - 1] : [m0]) {
    if (i >= m.subj && i < se) continue;
    if (tokens[i].code && !tokens[i].setting) return accept(`mentioned as code: '${tokens[i].raw}'`);
  }
  if (m.subj >= 0) {
    const after = tokens[se];
    if (after && after.w === "'s" && !a.has(se, C.be) && !a.has(se, C.cand_part) && !(se + 1 >= m0 && se + 1 < m1)) {
      return accept(`about something of ${words(m.subj, se)}'s, not ${words(m.subj, se)} itself`);
    }
  }

  // 1. Asked.
  if (m.start >= a.askedFrom || m0 >= a.askedFrom) return accept(`asked: the question '${words(a.askedFrom, n)}'`);

  // 2. Talked about as wording ("a default-backend claim", "the claim that ...").
  const after = m.end < n ? m.end : -1;
  if (after >= 0 && !tokens[after].punct && a.has(after, C.mention)) return accept(`mentioned as wording: '${tokens[after].raw}'`);
  for (let i = Math.max(cStart, m.start - 5); i < m.start; i++) {
    const e = a.endOf(i, C.mention);
    if (e < 0 || e > m.start) continue;
    const det = i > 0 && a.has(i - 1, C.mention_det);
    const link = e < m.start && (a.has(e, C.mention_link) || tokens[e].w === ":" || tokens[e].w === ",");
    if (det && (link || e === m.start)) return accept(`mentioned as wording: '${words(i - 1, e)}'`);
  }

  // 3. Inside a conditional or hypothetical clause: not asserted at all.
  const subjClause = m.subj >= 0 ? a.clauseOf[m.subj] : clause;
  for (const c of new Set([clause, subjClause, a.clauseOf[m.start]])) {
    if (a.clauseType[c] === "cond") {
      const [s] = a.clauseRange[c];
      return accept(`hypothetical: inside the condition '${words(s, Math.min(a.clauseRange[c][1], s + 8))}'`);
    }
  }

  // The region whose words govern the claim: its clause from the start, plus clauses it is the
  // complement of ("Nowhere does this plan say that, once ..., Case is ready").
  let regionStart = Math.min(cStart, a.clauseRange[a.clauseOf[m.start]][0]);
  for (let c = a.clauseOf[m.start] - 1; c >= 0; c--) {
    const [s, e] = a.clauseRange[c];
    if (e > 0 && tokens[e - 1].w === ";") break; // "Case may recommend; it approves its own changes"
    if (a.clauseType[c] === "cond") continue;
    const last = lastWord(e);
    const opensWithSource = a.has(s, C.report_verb) && REPORTER_AFTER.has(tokens[s].w); // "According to the README, ..."
    if (opensWithSource || (last >= 0 && (tokens[last].w === "that" || a.has(last, C.report_verb) || a.covered(last, C.report_verb)))) {
      regionStart = s;
      continue;
    }
    break;
  }
  // A key's value is part of its claim ("Core authority: none").
  let regionEnd = m.end;
  const keyEnd = a.clauseRange[a.clauseOf[Math.min(m.end, n - 1)]][1];
  if (keyEnd > 0 && tokens[keyEnd - 1].w === ":" && !tokens[keyEnd - 1].code) {
    regionEnd = a.clauseRange[Math.min(a.clauseOf[keyEnd - 1] + 1, a.clauseRange.length - 1)][1];
  }

  // 4. Reported from someone else, talked about, or rejected. The verb may open the match itself
  // ("The vendor's blog calls Case GA") or stand between its subject and the claim word ("The
  // maintainers claim it approves its own changes").
  const reportEnd = Math.max(m0, m.start + 1);
  for (let i = regionStart; i < reportEnd; i++) {
    // (a discuss word after the claim's own subject is part of its predicate: "Case closes its own
    // review requests by approving them")
    if (a.has(i, C.discuss) && !(m.subj >= 0 && m.subj < i && i < m0)) return accept(`talked about, not claimed: '${words(i, a.endOf(i, C.discuss))}'`);
    if (a.has(i, C.hearsay)) return accept(`hearsay, not claimed: '${words(i, a.endOf(i, C.hearsay))}'`);
    const re = a.endOf(i, C.report_verb);
    // "as the vendor promised, ..." and "as agreed, ..." adopt the claim instead of reporting it
    const adopted = (i > 0 && tokens[i - 1].w === "as") || tokens[regionStart].w === "as";
    // (a verb after the claim's own subject is its predicate, not a report of it: "Case closes
    // out its own review requests by approving them"; "They claim it approves ..." binds "it")
    const inPredicate = m.subj >= 0 && m.subj < i && i < m0 && !subjectBetween(i + 1, m0);
    // "Patches written by Case ...": a participle whose agent is the claim's subject reports nothing
    const authored = re > 0 && tokens[re]?.w === "by" && re + 1 === m.subj;
    if (re > 0 && re <= reportEnd && !adopted && !inPredicate && !authored) {
      const verb = words(i, re);
      if (REPORTER_AFTER.has(tokens[i].w)) {
        const who = untilComma(re);
        if (!hasSelf(re, who)) return accept(`reported: '${verb} ${words(re, who)}'`);
      } else {
        const who = wordsBetween(regionStart, i);
        if (who > 0 && !hasSelf(regionStart, i) && !allFiller(regionStart, i)) return accept(`reported from someone else: '${words(regionStart, re)}'`);
      }
    }
    const rn = a.endOf(i, C.report_noun);
    if (rn > 0 && rn <= m.start && !(i > 0 && a.has(i - 1, C.self))) {
      // "the proposal to / that / of ...", "Option B (make Case the default)", "the idea — switch to Case —"
      const link = tokens.slice(rn, m.start).some((t) => ["to", "that", "of", "for", ":", "about", "(", "\u2014", "-"].includes(t.w));
      if (link || rn === m.start) {
        if (!postHas(C.adopt_pp)) return accept(`talked about, not claimed: the ${words(i, rn)}`);
      }
    }
  }
  // A value under a key that rejects or discusses it ("Rejected alternative: making Case ...").
  const inClause = a.clauseOf[m.start];
  if (inClause > 0) {
    const [ks, ke] = a.clauseRange[inClause - 1];
    if (ke > ks && tokens[ke - 1].w === ":" && ke === a.clauseRange[inClause][0]) {
      for (let i = ks; i < ke; i++) {
        if (a.has(i, C.reject_pp) || a.has(i, C.talked_pp) || ((a.has(i, C.report_noun) || a.has(i, C.discuss)) && !(i > 0 && a.has(i - 1, C.self)))) {
          return accept(`talked about or rejected, under the key '${words(ks, ke - 1)}'`);
        }
      }
    }
  }
  const post = postHas(C.reject_pp) ?? postHas(C.talked_pp);
  if (post) return accept(`talked about or rejected: '${post}'`);
  // ", the vendor says" after the claim (but ", as the vendor says" adopts it)
  if (m.end < n && tokens[m.end].w === "," && tokens[m.end + 1]?.w !== "as") {
    for (let i = m.end + 1; i < Math.min(n, m.end + 7); i++) {
      if (tokens[i].punct) break;
      const re = a.endOf(i, C.report_verb);
      if (re > 0 && i > m.end + 1 && !hasSelf(m.end, i) && (re >= n || tokens[re].punct)) return accept(`reported from someone else: '${words(m.end + 1, re)}'`);
    }
  }
  // A gerund or infinitive claim is the subject of what follows: "Switching to Case would ...".
  const gerund = m.start === cStart && /ing$/.test(tokens[m.start].w) && !a.has(m.start, C.candidate);

  // 5. Negation, counted with its parity.
  const negs: string[] = [];
  const inMatchAside = a.aside[m0] === 1;
  const negEnd = gerund ? cEnd : regionEnd;
  for (let i = regionStart; i < negEnd; i++) {
    if (!a.has(i, C.negator)) continue;
    if (a.aside[i] === 1 && !inMatchAside) continue; // "isn't, and shouldn't be," negates once
    if (a.covered(i, C.neg_bound)) continue;
    const e = a.endOf(i, C.negator);
    const next = tokens[e];
    if (next && (a.has(e, C.incumbent) || ["just", "only", "merely"].includes(next.w)) && e !== m.subj) continue; // "not Pi", "not just"
    negs.push(words(i, e));
    i = e - 1;
  }
  if (negs.length % 2 === 1) return accept(`negated: '${negs.join("', '")}'`);
  const negNote = negs.length > 0 ? ` (${negs.length} negations cancel: '${negs.join("', '")}')` : "";

  // 6. Hedged (for an unconditional claim a permission is no hedge: "Case may approve its own work").
  for (let i = regionStart; i < cEnd; i++) {
    if (!a.has(i, C.hedge) || (a.aside[i] === 1 && i < m.start)) continue;
    const e = a.endOf(i, C.hedge);
    if (i >= m.end && !gerund && !/ly$|day$|theory|principle|point|road/.test(tokens[e - 1].w)) continue; // modals count only before the claim
    if (unconditional && (a.has(i, C.permission) || a.covered(i, C.permission))) continue;
    return accept(`hedged: '${words(i, e)}'`);
  }

  // 7. Candidate wording on the claim word itself ("candidate default", "default candidate",
  // "a candidate for the default slot") — not the candidate as the subject ("the candidate is").
  const subjEnd = m.subj >= 0 ? Math.max(m.subj + 1, a.endOf(m.subj, C.candidate)) : -1;
  const qual = (i: number) => i >= 0 && !(i >= m.subj && i < subjEnd) && a.has(i, C.cand_qual);
  if (m0 > 0 && qual(m0 - 1) && a.endOf(m0 - 1, C.cand_qual) === m0) return accept(`candidate wording: '${words(m0 - 1, m1)}'`);
  if (m0 > 1 && qual(m0 - 2) && a.endOf(m0 - 2, C.cand_qual) === m0) return accept(`candidate wording: '${words(m0 - 2, m1)}'`);
  if (m1 < n && qual(m1)) return accept(`candidate wording: '${words(m0, a.endOf(m1, C.cand_qual))}'`);
  for (let i = Math.max(cStart, m0 - 4); i < m0 - 1; i++) {
    const e = qual(i) ? a.endOf(i, C.cand_qual) : -1;
    const link = tokens[e]?.w;
    const toBecome = link === "to" && ["become", "be", "take"].includes(tokens[e + 1]?.w ?? "");
    if (e > 0 && e < m0 && (link === "for" || toBecome) && tokens[i - 1]?.w !== "from") return accept(`candidate wording: '${words(i, m1)}'`);
  }

  // 8. Conditioned on the evidenced gates (sibling conditional clauses, or a marker in the clause).
  if (!unconditional) {
    for (let c = 0; c < a.clauseRange.length; c++) {
      if (c === clause || a.clauseType[c] !== "cond") continue;
      const [s, e] = a.clauseRange[c];
      const g = firstOf(C.gate, s, e);
      if (g >= 0) return accept(`conditional on the evidenced gates: '${words(s, Math.min(e, g + 4))}' (gate term '${words(g, a.endOf(g, C.gate))}')`);
    }
    // A marker anywhere in the sentence ("With a passed candidate-default gate, Case ..."),
    // unless it is itself negated ("without waiting for the comparison").
    for (let i = 0; i < n; i++) {
      if (i >= m.start && i < m.end) continue;
      const me = a.endOf(i, C.cond_marker);
      if (me < 0) continue;
      if ((i > 0 && a.has(i - 1, C.negator)) || (i > 1 && a.has(i - 2, C.negator)) || a.covered(i, C.negator)) continue;
      const ce = a.clauseRange[a.clauseOf[Math.min(me, n - 1)]][1];
      const g = firstOf(C.gate, me, Math.max(ce, me + 1));
      if (g >= 0 && (g < m.start || g >= m.end || i < m.start)) return accept(`conditional on the evidenced gates: '${words(i, Math.min(ce, g + 3))}' (gate term '${words(g, a.endOf(g, C.gate))}')`);
    }
    // ... or a gate right after the claim: "ready for the copied-repo fixture stage".
    for (let i = m.end; i < Math.min(cEnd, m.end + 5); i++) {
      if (a.has(i, C.gate)) return accept(`scoped to the evidenced gates: '${words(m1 - 1 >= 0 ? m0 : m.start, a.endOf(i, C.gate))}'`);
    }
  } else {
    const c = firstCondition();
    if (c) return drift(`self-approval is never conditioned (not even '${c}')${negNote}`);
  }

  // 9. About something else: a claim without a bound subject whose clause names another engine.
  if (m.subj < 0 && !legacy) {
    for (let i = cStart; i < cEnd; i++) if (a.has(i, C.incumbent)) return accept(`about something else: '${words(i, a.endOf(i, C.incumbent))}'`);
  }
  const cond = firstCondition();
  return drift((cond ? `asserted; '${cond}' is no evidenced gate` : "asserted") + negNote);

  function accept(rule: string): Verdict {
    return { drift: false, rule };
  }
  function drift(rule: string): Verdict {
    return { drift: true, rule };
  }
  function subjectBetween(s: number, e: number): boolean {
    for (let i = s; i < e; i++) if (a.has(i, C.candidate) || a.has(i, C.pronoun) || a.has(i, C.doc)) return true;
    return false;
  }
  function lastWord(e: number): number {
    for (let i = e - 1; i >= 0; i--) if (!tokens[i].punct) return i;
    return -1;
  }
  function untilComma(from: number): number {
    let i = from;
    while (i < n && !tokens[i].punct) i++;
    return i;
  }
  function hasSelf(s: number, e: number): boolean {
    for (let i = s; i < e; i++) if (a.has(i, C.self) || a.has(i, C.doc) && a.endOf(i, C.doc) > i + 1) return true;
    return false;
  }
  function wordsBetween(s: number, e: number): number {
    let k = 0;
    for (let i = s; i < e; i++) if (!tokens[i].punct) k++;
    return k;
  }
  function allFiller(s: number, e: number): boolean {
    for (let i = s; i < e; i++) if (!tokens[i].punct && !a.has(i, C.aux) && !a.has(i, C.filler) && !a.covered(i, C.aux)) return false;
    return true;
  }
  function firstOf(cl: number, s: number, e: number): number {
    for (let i = s; i < e; i++) if (a.has(i, cl)) return i;
    return -1;
  }
  /** A participle or phrase of class `cl` after the claim, said of it ("... was turned down"). */
  function postHas(cl: number): string | undefined {
    const end = regionEnd > m.end ? regionEnd : cEnd; // "| Case approves its own work | rejected |"
    for (let i = m.end; i < end; i++) {
      if (a.has(i, C.candidate) || a.has(i, C.incumbent)) return undefined; // a new subject: not about the claim
      if (!a.has(i, cl)) continue;
      const e = a.endOf(i, cl);
      const single = e === i + 1;
      const aux = (i > 0 && (a.has(i - 1, C.be) || a.has(i - 1, C.aux))) || (i > 1 && (a.has(i - 2, C.be) || a.has(i - 2, C.aux)));
      const directly = i === m.end || (i === m.end + 1 && tokens[m.end].punct) || tokens[i - 1]?.w === "and";
      if (single && !aux && !directly) continue;
      if (i > 0 && tokens[i - 1].w === "as") continue; // "as discussed" adopts
      return words(i, e);
    }
    return undefined;
  }
  function firstCondition(): string | undefined {
    for (let c = 0; c < a.clauseRange.length; c++) {
      if (c !== clause && a.clauseType[c] === "cond") {
        const [s, e] = a.clauseRange[c];
        return words(s, Math.min(e, s + 8));
      }
    }
    return undefined;
  }
}

/** Lexicon entries that matched the tokens of a claim, for explanations: "status: primary". */
export function matchedEntries(a: Analysis, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    const sp = a.spans[i];
    for (let j = 0; j < sp.length; j += 2) {
      const name = a.lex.classNames[sp[j]];
      out.push(`${name}: ${entriesFor(a.lex, sp[j], a.tokens, i, sp[j + 1])}`);
    }
  }
  return [...new Set(out)];
}
