import * as assert from "node:assert/strict";
import { findClaims, splitSentences } from "../../../src/core/drift";
import { compileLexicon, defaultLexiconSpec, getDefaultLexicon, mergeLexicon } from "../../../src/core/lexicon";
import { maskLine } from "../../../src/core/markdown";

function claims(sentence: string, lexicon = getDefaultLexicon()): string[] {
  const text = maskLine(sentence, false).text;
  return findClaims({ text, segments: [{ at: 0, offset: 0 }] }, lexicon).map((h) => h.claim.id);
}

describe("authority-drift wording", () => {
  const flagged: [string, string][] = [
    ["Case is the default backend.", "default-backend"],
    ["make case the default engine", "default-backend"],
    ["Fake is the default engine for fixtures.", "default-backend"],
    ["This is a Core Protocol.", "core-claim"],
    ["This doc has active Core authority.", "core-claim"],
    ["The plan was promoted to Core last week.", "core-claim"],
    ["Case approves its own patches.", "self-approval"],
    ["Case may recommend; it approves its own changes.", "self-approval"],
    ["Case is ready for production.", "backend-readiness"],
    ["Case is not a candidate, it is the default backend.", "default-backend"],
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
    // negated, candidate, conditional, questions and mentions
    "Case is not the default backend.",
    "Case is a candidate backend.",
    "Case becomes the default backend only after every gate passes.",
    "If every gate passes, Case may become the default backend.",
    "Should Case become the default backend?",
    'The validator flags "Case is the default backend" as drift.',
    "Case never approves its own changes.",
  ];
  for (const s of accepted) it(`accepts: ${s}`, () => assert.deepEqual(claims(s), []));
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
      'claims:\n  - id: auto-merge\n    rule: authority-drift\n    phrases: ["auto merges|merge"]\nqualifiers:\n  negation: ["hardly"]\n',
    );
    assert.deepEqual(problems, []);
    const lex = compileLexicon(spec);
    assert.deepEqual(claims("Case auto merges to main.", lex), ["auto-merge"]);
    assert.deepEqual(claims("Case hardly auto merges.", lex), []);
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
    assert.ok(bad.problems.some((p) => /unknown lexicon key 'words'/.test(p.message)));
  });
});
