import * as assert from "node:assert/strict";
import { explainSentence, findClaims, splitSentences } from "../../../src/core/drift";
import { compilePhrase, phraseEnds, runFrame, compileFrame, vmStats } from "../../../src/core/drift/pattern";
import { tokenize } from "../../../src/core/drift/tokens";
import { compileLexicon, defaultLexiconSpec, getDefaultLexicon, mergeLexicon, withCandidates } from "../../../src/core/lexicon";
import { maskLine } from "../../../src/core/markdown";
import { analyzeTokens } from "../../../src/core/drift/analyze";
import Ajv from "ajv";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DISCLAIMER, findings, fm, REPO, workspace } from "../helpers";

function hits(sentence: string, lexicon = getDefaultLexicon()) {
  const text = maskLine(sentence, false).text;
  return findClaims({ text, segments: [{ at: 0, offset: 0 }] }, lexicon);
}
const claims = (s: string, lex = getDefaultLexicon()) => hits(s, lex).map((h) => h.claim.id);

describe("authority-drift wording", () => {
  it("the built-in lexicon compiles without a problem", () => {
    assert.deepEqual(getDefaultLexicon().problems, []);
  });

  const flagged: [string, string][] = [
    ["Case is the default backend.", "default-backend"],
    ["make case the default engine", "default-backend"],
    ["This is a Core Protocol.", "core-claim"],
    ["This doc has active Core authority.", "core-claim"],
    ["The plan was promoted to Core last week.", "core-claim"],
    ["Case approves its own patches.", "self-approval"],
    ["Case may recommend; it approves its own changes.", "self-approval"],
    ["Case is ready for production.", "backend-readiness"],
    ["Case is not a candidate, it is the default backend.", "default-backend"],
    // the causes of issue 10, in words of our own
    ["Starting Monday, ca takes over from Codex.", "route-to-candidate"],
    ["Our go-to agent is now Case.", "default-backend"],
    ["It is not true that Case isn't the standard engine.", "default-backend"],
    ["Once the sprint demo is done, Case becomes the house engine.", "default-backend"],
    ["Before review, Case merges its own branch.", "self-approval"],
    ["Case went from candidate to primary backend.", "default-backend"],
  ];
  for (const [s, id] of flagged) it(`flags: ${s}`, () => assert.deepEqual(claims(s), [id]));

  const accepted = [
    // sentences of the users' seed doc
    "Records state that default status is earned, not assumed.",
    "Candidate default requires comparison against fake, Codex, and Pi where applicable.",
    "Local planning SOT only. Not a Core Protocol. Not active Core authority.",
    "Child-local issue sequence for evaluating Case as a candidate CTO backend without granting Core authority.",
    "Validator checks candidate-backend wording and rejects a plain default-backend claim.",
    "Validation remains planning-only and does not claim backend readiness.",
    "Case may recommend but cannot approve itself or select its own authority.",
    "Contract requires `case` to be registered as a gated engine before execution.",
    // restating the incumbent is no drift (CONTRACT §3)
    "Fake is the default engine for fixtures.",
    "Pi stays our default engine.",
    // negated, candidate, conditional on gates, asked, mentioned, reported, hedged, something else
    "Case is not the default backend.",
    "Case is a candidate backend.",
    "Case becomes the default backend only after every gate passes.",
    "If every gate passes, Case may become the default backend.",
    "Should Case become the default backend?",
    'The validator flags "Case is the default backend" as drift.',
    "Case never approves its own changes.",
    "No record here makes Case the primary engine.",
    "The vendor says Case is GA.",
    "Case might be production-grade one day.",
    "The default retry count of the engine is three.",
    "This use case is ready to demo.",
  ];
  for (const s of accepted) it(`accepts: ${s}`, () => assert.deepEqual(claims(s), []));

  it("names the subject and the claim in the message, resolving pronouns", () => {
    const [h] = hits("We trialled Case last sprint. It is our primary engine now.");
    assert.equal(h.subject, "It (Case)");
    assert.match(h.message, /^claims It \(Case\) has default status: 'primary engine'/);
  });

  it("explains which entries matched and which rule accepted a claim", () => {
    const [ex] = explainSentence("Nowhere does this plan say that Case is production-grade.", getDefaultLexicon());
    assert.equal(ex.drift, false);
    const j = ex.judged.find((x) => x.claim.id === "backend-readiness")!;
    assert.match(j.verdict.rule, /^negated: 'Nowhere'/);
    assert.ok(ex.words.some((w) => w.text === "production" && w.classes.some((c) => c.startsWith("ready"))));
    const [dbl] = explainSentence("It is not true that Case isn't our default engine.", getDefaultLexicon());
    assert.equal(dbl.drift, true);
    assert.match(dbl.judged.find((x) => x.verdict.drift)!.verdict.rule, /2 negations cancel/);
  });

  it("reads a trailing question mark as asking only its own clause", () => {
    assert.deepEqual(claims("Case is the default now, thoughts?"), ["default-backend"]);
    assert.deepEqual(claims("Is Case the default now?"), []);
  });
});

describe("candidates", () => {
  it("one entry point: names added to the spec are candidates like `case`", () => {
    const lex = compileLexicon(withCandidates(defaultLexiconSpec(), ["Orca"]));
    assert.deepEqual(claims("Orca is the default backend.", lex), ["default-backend"]);
    assert.deepEqual(claims("Orca is the default backend."), []);
  });

  it("the engine an eligibility decision selects is a candidate in every doc of the workspace", () => {
    const files = (selected: string) => ({
      "WORKBOARD.yaml": "docs: []\n",
      "elig.md": `${fm({ name: "elig", record_type: "eligibility-decision" })}\n# Decision\n\n${DISCLAIMER}\n\nSelected backend: ${selected}\n`,
      "note.md": `${fm({ name: "note" })}\n# Note\n\n${DISCLAIMER}\n\nOrca is the default backend.\n`,
    });
    const drift = (ws: ReturnType<typeof workspace>) => findings(ws).filter((f) => f.rule === "authority-drift" && f.file === "note.md");
    assert.equal(drift(workspace(files("orca"))).length, 1);
    assert.equal(drift(workspace(files("case"))).length, 0);
    const ws = workspace(files("case"));
    const affected = ws.setDoc("elig.md", files("orca")["elig.md"]);
    assert.ok(affected.has("note.md"), "selecting another backend re-validates every doc");
    assert.equal(drift(ws).length, 1);
  });

  it("the built-in lexicon is valid against schemas/lexicon.schema.json", () => {
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(path.join(REPO, "schemas", "lexicon.schema.json"), "utf8")));
    assert.ok(validate(defaultLexiconSpec()), JSON.stringify(validate.errors));
  });

  it("a workspace lexicon adds candidates with `candidates:`", () => {
    const { spec, problems } = mergeLexicon(defaultLexiconSpec(), "candidates: [heron]\n");
    assert.deepEqual(problems, []);
    assert.deepEqual(claims("heron approves its own diffs.", compileLexicon(spec)), ["self-approval"]);
  });
});

describe("sentences", () => {
  it("splits at sentence ends but not at abbreviations or versions", () => {
    const t = "Use e.g. fake. Version 1.2 is out! Is it? Done";
    assert.deepEqual(splitSentences(t).map((s) => t.slice(s.start, s.end)), ["Use e.g. fake.", "Version 1.2 is out!", "Is it?", "Done"]);
  });
});

describe("lexicon merge", () => {
  it("adds a workspace claim and its qualifiers", () => {
    const { spec, problems } = mergeLexicon(
      defaultLexiconSpec(),
      'claims:\n  - id: auto-merge\n    rule: authority-drift\n    phrases: ["auto merges|merge"]\nqualifiers:\n  negation: ["nohow"]\n',
    );
    assert.deepEqual(problems, []);
    const lex = compileLexicon(spec);
    assert.deepEqual(claims("Case auto merges to main.", lex), ["auto-merge"]);
    assert.deepEqual(claims("Case nohow auto merges.", lex), []);
  });

  it("replaces a built-in claim by id and disables others", () => {
    const { spec } = mergeLexicon(defaultLexiconSpec(), "disable: [core-claim]\n");
    assert.deepEqual(claims("This is a Core Protocol.", compileLexicon(spec)), []);
  });

  it("reports malformed lexicon files with a location instead of throwing", () => {
    const { problems } = mergeLexicon(defaultLexiconSpec(), "claims: [\n  - nope\n");
    assert.ok(problems.length > 0);
    assert.ok(problems[0].line >= 1);
    const bad = mergeLexicon(defaultLexiconSpec(), "claims:\n  - id: x\nwords: []\n");
    assert.ok(bad.problems.some((p) => /phrases/.test(p.message)));
    assert.ok(bad.problems.some((p) => /unknown lexicon key 'words'/.test(p.message) && p.line === 3));
  });

  it("locates a frame naming an unknown class, and a phrase that would match everywhere", () => {
    const text = "claims:\n  - id: mine\n    frames: [\"@{candidate} {nosuch}\"]\nclasses:\n  status: [\"very?\"]\n";
    const { problems } = mergeLexicon(defaultLexiconSpec(), text);
    assert.ok(problems.some((p) => /unknown class '\{nosuch\}'/.test(p.message) && p.line === 2), JSON.stringify(problems));
    assert.ok(problems.some((p) => /only optional words/.test(p.message) && p.line === 5), JSON.stringify(problems));
  });
});

describe("matching stays linear", () => {
  it("a phrase of 40 optional words against a line that matches: no blow-up", () => {
    // The old recursive matcher tried every subset of optional words: 24 took 17 s.
    const phrase = compilePhrase([...Array.from({ length: 40 }, (_, i) => `w${i % 3}?`), "end"].join(" "));
    const tokens = tokenize(Array.from({ length: 40 }, (_, i) => `w${i % 3}`).join(" ") + " end");
    // (an exponential matcher would not return within the test timeout)
    assert.deepEqual(phraseEnds(phrase, tokens, 0), [41]);
  });

  it("frames with gaps visit each state once per word", () => {
    const lex = getDefaultLexicon();
    const prog = compileFrame("@{candidate} ~~12 ~~12 ~~12 ~~12 %{status} $", (n) => lex.classId.get(n));
    const tokens = tokenize("Case " + "very ".repeat(390) + "default");
    const a = analyzeTokens(tokens.map((t) => t.raw).join(" "), tokens, lex, {});
    const steps = (n: number) => {
      const toks = tokenize("Case " + "very ".repeat(n) + "default");
      const view = analyzeTokens(toks.map((t) => t.raw).join(" "), toks, lex, {});
      const before = vmStats.steps;
      runFrame(prog, view, 0);
      return vmStats.steps - before;
    };
    void a;
    // twice the words, at most about twice the work
    const small = steps(150);
    const large = steps(300);
    assert.ok(large < small * 2.5, `150 words: ${small} steps, 300 words: ${large} steps`);
  });
});
