// Inline suppressions: what they silence, what they report, and the quick fix's edits, which
// must silence exactly the finding they were made for and change nothing else.
import * as assert from "node:assert/strict";
import { suppressionEdits, validateWorkspaceDetailed, type Finding, type TextEdit } from "../../../src/core";
import { byRule, DISCLAIMER, findings, fm, options, validFiles, workspace } from "../helpers";

const DRIFT = "Case is the default backend.";

/** A workspace whose prd.md body is `body` (after the H1 and the disclaimer). */
function prdWith(body: string, frontmatter = fm({ name: "prd" })) {
  return workspace(validFiles({ "prd.md": `${frontmatter}\n# PRD\n\n${DISCLAIMER}\n\n${body}\n` }));
}

const prdFindings = (body: string, opts = options()) => findings(prdWith(body), opts).filter((f) => f.file === "prd.md");
const suppressedOf = (body: string, opts = options()) => [...validateWorkspaceDetailed(prdWith(body), opts).suppressed.values()].flat();

describe("inline suppressions", () => {
  it("next-line silences the finding on the next line and lists it with its reason", () => {
    const body = `<!-- cto-disable-next-line authority-drift -- quoted from the rejected proposal -->\n${DRIFT}`;
    assert.deepEqual(prdFindings(body), []);
    const [s] = suppressedOf(body);
    assert.equal(s.rule, "authority-drift");
    assert.equal(s.reason, "quoted from the rejected proposal");
    assert.deepEqual(s.suppression, { kind: "next-line", line: 15, column: 1 });
    assert.equal(s.range.line, 16);
  });

  it("only the named rules, only the next line", () => {
    const body = `<!-- cto-disable-next-line readiness-claim -- wrong rule -->\n${DRIFT}\n${DRIFT}`;
    const f = prdFindings(body);
    assert.deepEqual(f.map((x) => `${x.rule}@${x.range.line}`).sort(), ["authority-drift@16", "authority-drift@17", "unused-suppression@15"]);
    const two = `<!-- cto-disable-next-line readiness-claim, authority-drift -- both -->\n${DRIFT} Case is ready for production.`;
    assert.deepEqual(prdFindings(two), []);
    assert.equal(suppressedOf(two).length, 2);
  });

  it("a block runs from cto-disable to cto-enable, or to the end of the doc", () => {
    const body = `<!-- cto-disable authority-drift -- the vendor's pitch -->\n${DRIFT}\n\n${DRIFT}\n<!-- cto-enable authority-drift -->\n${DRIFT}`;
    assert.deepEqual(prdFindings(body).map((f) => `${f.rule}@${f.range.line}`), ["authority-drift@20"]);
    assert.equal(suppressedOf(body).length, 2);
    const open = `<!-- cto-disable authority-drift -- to the end -->\n\n${DRIFT}\n\n${DRIFT}`;
    assert.deepEqual(prdFindings(open), []);
    const all = `<!-- cto-disable authority-drift,readiness-claim -- pitch -->\n${DRIFT} Case is ready for production.\n<!-- cto-enable -->\nCase is ready for production.`;
    assert.deepEqual(prdFindings(all).map((f) => f.rule), ["readiness-claim"]);
    const part = `<!-- cto-disable authority-drift,readiness-claim -- pitch -->\nCase is ready for production.\n<!-- cto-enable readiness-claim -->\n${DRIFT}\nCase is ready for production.`;
    assert.deepEqual(prdFindings(part).map((f) => `${f.rule}@${f.range.line}`), ["readiness-claim@19"]);
  });

  it("a suppression without a reason is a warning and silences nothing", () => {
    const f = prdFindings(`<!-- cto-disable-next-line authority-drift -->\n${DRIFT}`);
    assert.deepEqual(f.map((x) => `${x.severity} ${x.rule}@${x.range.line}`), ["warning suppression@15", "error authority-drift@16"]);
    assert.match(f[0].message, /needs a reason/);
    assert.equal(prdFindings(`<!-- cto-disable-next-line authority-drift --   -->\n${DRIFT}`).filter((x) => x.rule === "authority-drift").length, 1);
  });

  it("unknown rules, unknown directives, stray enables and unsuppressible rules are warnings", () => {
    const msgs = (body: string) => byRule(prdFindings(body), "suppression").map((f) => f.message);
    assert.match(msgs(`<!-- cto-disable-next-line authority-drfit -- typo -->\n${DRIFT}`)[0], /unknown rule 'authority-drfit'/);
    assert.match(msgs(`<!-- cto-disable-line authority-drift -- eslint habit -->\n${DRIFT}`)[0], /unknown directive 'cto-disable-line'/);
    assert.match(msgs(`<!-- cto-enable authority-drift -->`)[0], /nothing is disabled here/);
    assert.match(msgs(`<!-- cto-disable-next-line unused-suppression -- no -->\ntext`)[0], /cannot be suppressed inline/);
    assert.match(msgs(`<!-- cto-disable-next-line authority-drift readiness-claim -- no commas -->\n${DRIFT}`)[0], /separate rule ids with commas/);
    assert.match(msgs(`<!-- cto-disable-next-line -- which? -->\n${DRIFT}`)[0], /names no rule/);
    assert.deepEqual(msgs(`<!-- cto-workbench: generated -->\ntext`), [], "other cto- comments are not ours to judge");
  });

  it("a suppression that silences nothing is unused-suppression (not when the rule is off)", () => {
    const body = `<!-- cto-disable-next-line authority-drift -- stale -->\nNothing to see.`;
    const [u] = prdFindings(body);
    assert.equal(u.rule, "unused-suppression");
    assert.equal(u.severity, "warning");
    assert.match(u.message, /no authority-drift finding on line 16/);
    assert.deepEqual(prdFindings(body, options({ severities: { "authority-drift": "off" } })), []);
    assert.deepEqual(prdFindings(body, options({ severities: { "unused-suppression": "off" } })), []);
  });

  it("comments in fenced code and code spans are examples, not directives", () => {
    const fenced = "```markdown\n<!-- cto-disable-next-line authority-drift -- example -->\n```\n" + DRIFT;
    assert.deepEqual(prdFindings(fenced).map((f) => f.rule), ["authority-drift"]);
    const span = "Write `<!-- cto-disable-next-line authority-drift -- x -->` above it.\n" + DRIFT;
    assert.deepEqual(prdFindings(span).map((f) => f.rule), ["authority-drift"]);
  });

  it("frontmatter takes YAML comments; a cto-disable there covers the doc from line 1", () => {
    const stale = fm({ name: "prd", last_reviewed: "2025-01-01" });
    const withComment = stale.replace("last_reviewed:", "# cto-disable-next-line stale-review -- reviewed offline, see the May minutes\nlast_reviewed:");
    const ws = workspace(validFiles({ "prd.md": `${withComment}\n# PRD\n\n${DISCLAIMER}\n` }));
    assert.deepEqual(findings(ws).filter((f) => f.file === "prd.md"), []);
    // A doc-level finding (missing keys) sits on the opening ---: a block in the frontmatter covers it.
    const lacking = fm({ name: "prd", tier: undefined });
    const files = validFiles({ "prd.md": `${lacking}\n# PRD\n\n${DISCLAIMER}\n` });
    const before = findings(workspace(files)).filter((f) => f.file === "prd.md");
    assert.deepEqual(before.map((f) => `${f.rule}@${f.range.line}`), ["frontmatter@1"]);
    files["prd.md"] = files["prd.md"].replace("core_promotion_status", "# cto-disable frontmatter -- tier is set by the parent board\ncore_promotion_status");
    assert.deepEqual(findings(workspace(files)).filter((f) => f.file === "prd.md"), []);
  });

  it("--no-inline-config (inlineConfig: false) ignores them all", () => {
    const body = `<!-- cto-disable-next-line authority-drift -- quoted -->\n${DRIFT}\n<!-- cto-disable-next-line authority-drift -->\nnothing`;
    assert.deepEqual(prdFindings(body, options({ inlineConfig: false })).map((f) => f.rule), ["authority-drift"]);
    assert.deepEqual(suppressedOf(body, options({ inlineConfig: false })), []);
  });
});

/** Applies edits (all in one file) to a text, last first. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (l: number, c: number) => lines.slice(0, l - 1).reduce((n, s) => n + s.length + 1, 0) + c - 1;
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.line, b.range.column) - offset(a.range.line, a.range.column))) {
    out = out.slice(0, offset(e.range.line, e.range.column)) + e.newText + out.slice(offset(e.range.endLine, e.range.endColumn));
  }
  return out;
}

describe("the 'Suppress…' quick fix's edits", () => {
  const cases: { name: string; prd: string; rule: string; scope: string }[] = [
    { name: "a sentence starting a paragraph", prd: `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\n${DRIFT} More prose\nfollows here.\n`, rule: "authority-drift", scope: "line" },
    { name: "a sentence inside a paragraph", prd: `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\nSome prose first.\n${DRIFT}\nAnd more.\n\nNext paragraph.\n`, rule: "authority-drift", scope: "block" },
    { name: "a list item after another", prd: `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\n- first item\n  - ${DRIFT}\n- last item\n`, rule: "authority-drift", scope: "block" },
    { name: "a table row", prd: `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\n| key | value |\n| --- | --- |\n| Default backend | Case |\n| Other | x |\n`, rule: "authority-drift", scope: "block" },
    { name: "a heading", prd: `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\ntext\n## Case is the default backend\n`, rule: "authority-drift", scope: "line" },
    { name: "a frontmatter value", prd: `${fm({ name: "prd", last_reviewed: "2025-01-01" })}\n# PRD\n\n${DISCLAIMER}\n`, rule: "stale-review", scope: "line" },
    { name: "a doc-level finding on line 1", prd: `${fm({ name: "prd", tier: undefined })}\n# PRD\n\n${DISCLAIMER}\n`, rule: "frontmatter", scope: "doc" },
    { name: "CRLF line endings", prd: `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\n${DRIFT}\n`.replace(/\n/g, "\r\n"), rule: "authority-drift", scope: "line" },
  ];
  for (const c of cases) {
    it(`silences exactly its finding: ${c.name}`, () => {
      const ws = workspace(validFiles({ "prd.md": c.prd }));
      const before = findings(ws).filter((f) => f.file === "prd.md");
      const target = before.find((f) => f.rule === c.rule) as Finding;
      assert.ok(target, `no ${c.rule} finding in ${JSON.stringify(before)}`);
      const made = suppressionEdits(ws.docs.get("prd.md")!, target, "because --> the reviewers said so")!;
      assert.equal(made.plan.scope, c.scope);
      const after = applyEdits(c.prd, made.edits);
      if (c.prd.includes("\r\n")) assert.ok(!/[^\r]\n/.test(after), "line endings kept");
      ws.setDoc("prd.md", after);
      const res = validateWorkspaceDetailed(ws, options());
      const left = res.findings.get("prd.md")!;
      assert.deepEqual(left.map((f) => `${f.rule}: ${f.message}`), before.filter((f) => f !== target).map((f) => `${f.rule}: ${f.message}`));
      const sup = res.suppressed.get("prd.md")!;
      assert.equal(sup.length, 1);
      assert.equal(sup[0].rule, c.rule);
      assert.equal(sup[0].reason, "because – the reviewers said so");
    });
  }

  it("offers nothing for findings that cannot be suppressed or are not in markdown", () => {
    const ws = workspace(validFiles());
    const doc = ws.docs.get("prd.md")!;
    const f: Finding = { rule: "config", severity: "error", file: "prd.md", range: { line: 3, column: 1, endLine: 3, endColumn: 2 }, message: "x" };
    assert.equal(suppressionEdits(doc, f, "r"), undefined);
  });
});
