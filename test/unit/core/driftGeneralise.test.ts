// The classes of misses the fresh-2026-12 batch found (test/drift-corpus/README.md), each pinned
// with wordings of its own (none of them is a corpus sentence): every case here failed before the
// fix of its class.
import * as assert from "node:assert/strict";
import { tokenize } from "../../../src/core/drift/tokens";
import { compilePhrase, phraseEnds } from "../../../src/core/drift/pattern";
import { scoreItem } from "../../drift-corpus/evaluate";

/** The claims found in `text` read as a line of a planning doc (lists, tables, headings as such). */
function claims(text: string): string[] {
  return scoreItem({ t: text, d: 0, k: "default", g: "planning", file: "test" }).kinds;
}

describe("authority drift: classes found by the fresh-2026-12 batch", () => {
  const flagged: [string, string, string][] = [
    // vocabulary
    ["typo, transposed letters", "Case is our primray engine.", "default"],
    ["typo in a filler word", "Case is thier standard backend.", "default"],
    ["standard issue", "Case is standard issue for new repos now.", "default"],
    ["a status slot filled", "Case now fills the primary slot.", "default"],
    ["preselecting verb", "The run dialog now preselects case.", "default"],
    ["the engine for every task", "Case is the agent we hand every ticket to.", "default"],
    ["run everything through", "Run all jobs on ca going forward.", "default"],
    ["replacement in a parenthesis", "| Pipelines | Case (supersedes Pi) |", "default"],
    ["upstreamed into Core", "These notes were upstreamed to Core.", "core"],
    ["a listed part of this doc", "The checklist below is Core policy.", "core"],
    ["reached availability", "Case has hit general availability.", "readiness"],
    ["coordinated predicate", "Case is tested and production-grade.", "readiness"],
    ["the candidate's status field", "Case status: production-ready", "readiness"],
    ["verbless checklist item", "- [x] Case adapter production ready", "readiness"],
    ["approval event in code", "Case writes `approval_granted` for its own patches.", "self-approval"],
    ["approving as the means", "Case answers its own review requests by approving them.", "self-approval"],
    ["passive, authored by", "Patches written by Case are approved by Case.", "self-approval"],
    ["a longer approver key", "Approver of merges for Case PRs: Case", "self-approval"],
    // subject binding
    ["apposition", "Our new engine, Case, handles every run now.", "default"],
    ["identifying relative clause", "The tool we settled on, which is Case, is our default engine.", "default"],
    ["\"it's\" after a pronoun", "We wired up Case. It's production-grade now.", "readiness"],
    // conditions
    ["fronted clause without its comma", "Once the demo is over we move everything to Case.", "default"],
    ["fronted clause, the candidate as the new subject", "If nobody complains Case takes over from Codex.", "default"],
    // markdown
    ["ASCII dash before a question", "Case is the default from Monday -- questions?", "default"],
    ["ASCII dash joining words", "Case is the default--any objections?", "default"],
    ["arrow as a field separator", "Standard backend => Case", "default"],
    ["struck-through incumbent", "Primary engine: ~~Pi~~ Case", "default"],
    // classes of the second batch (fresh-2026-12b), fixed after it was scored
    ["a routed participle after an adverb", "Every job is quietly routed to Case.", "default"],
    ["workspaces as what is routed", "Point all workspaces to Case.", "default"],
    ["selected as the default", "The template comes with Case selected as the primary backend.", "default"],
    ["the engine everybody uses", "Case is now the tool everybody reaches for.", "default"],
    ["good enough for customers", "Case is reliable enough for production now.", "readiness"],
    ["the green light to its own work", "Case gives its own diffs a thumbs up.", "self-approval"],
    ["whatever it wrote", "Case merges anything it writes.", "self-approval"],
    ["its own approver", "Case is its own gatekeeper for merges.", "self-approval"],
    // found by the lead after both batches: a time adverb after the status word ended nothing
    ["a time adverb after the status", "Case turned into our standard engine yesterday.", "default"],
    ["a time adverb after a passive", "Case got picked as the primary backend recently.", "default"],
    ["a time adverb before more time", "Case was made the go-to runner earlier this month.", "default"],
  ];
  for (const [what, s, id] of flagged) it(`flags (${what}): ${s}`, () => assert.ok(claims(s).includes(id), `${JSON.stringify(s)}: ${JSON.stringify(claims(s))}`));

  // (some of these held before too: they guard the fixes above against reaching too far)
  const accepted: [string, string][] = [
    ["a typo never shadows a negation", "Case is nto the default."],
    ["typo tolerance stays on the claim words", "The deafult timeout is 30 s."],
    ["the title is a whole clause", "The Core Protocol on approvals applies to every engine."],
    ["an option glossed in a parenthesis", "Alternative A (switch everything to Case) was dropped."],
    ["a key naming a discussion", "### Moving all runs to Case: concerns"],
    ["the case against", "The case against making Case primary is strong."],
    ["a fronted gate without its comma", "Once the comparison passes we move everything to Case."],
    ["a claim inside a fronted condition", "If Case merges its own PR the run is blocked."],
    ["apposition of a candidate still a candidate", "The engine we picked, Case, is still a candidate."],
    ["a piece of an identifier is no name", "Export `CURL_CA_BUNDLE` first; it takes over every request."],
    ["struck-through candidate", "Default engine: ~~Case~~ Pi"],
    ["a flag is no dash", "Run it with --enable-gated case as a candidate backend."],
    ["by default, said of something else", "By default, Case runs read-only."],
    ["a time adverb after the incumbent", "Pi became our standard engine again yesterday."],
    ["a time adverb after a negated claim", "Case was not made the primary backend yesterday."],
    ["an inverted condition", "Were this plan ever promoted to Core, the Core team would say so."],
  ];
  for (const [what, s] of accepted) it(`accepts (${what}): ${s}`, () => assert.deepEqual(claims(s), []));

  it("compiles '=>' in a phrase as the arrow, '=Core' as a case-kept word", () => {
    const arrow = compilePhrase("=>");
    assert.deepEqual(phraseEnds(arrow, tokenize("a => b"), 1), [2]);
    assert.deepEqual(phraseEnds(compilePhrase("=Core"), tokenize("Core core"), 0), [1]);
    assert.deepEqual(phraseEnds(compilePhrase("=Core"), tokenize("Core core"), 1), []);
  });

  it("reads -- and --- as a dash, ~~struck~~ text as nothing, and stays linear on unclosed ~~", () => {
    assert.deepEqual(tokenize("a -- b").map((t) => t.w), ["a", "\u2014", "b"]);
    assert.deepEqual(tokenize("a---b").map((t) => t.w), ["a", "\u2014", "b"]);
    assert.deepEqual(tokenize("x --flag").map((t) => t.w), ["x", "flag"]);
    assert.deepEqual(tokenize("Default: ~~Pi~~ Case").map((t) => t.w), ["default", ":", "case"]);
    // every sentence of a block opens "~~" and none closes it: each tokenize call scans only its own range
    const text = "Case ~~ is. ".repeat(20_000);
    let n = 0;
    for (let i = 0; i < text.length; i += 12) n += tokenize(text, i, i + 11).length;
    assert.equal(n, 40_000);
  });
});
