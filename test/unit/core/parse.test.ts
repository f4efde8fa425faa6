import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDoc, MAX_DOC_BYTES } from "../../../src/core";
import { FIXTURES, SEED_REL } from "../helpers";

const seedText = readFileSync(path.join(FIXTURES, "workspace", SEED_REL), "utf8");

describe("parseDoc: the users' seed doc", () => {
  const doc = parseDoc(SEED_REL, seedText);

  it("reads the frontmatter keys with exact value ranges", () => {
    const src = doc.frontmatter.keys.find((k) => k.key === "source")!;
    assert.equal(src.value, ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-PRD.md");
    assert.deepEqual(src.valueRange, { line: 6, column: 9, endLine: 6, endColumn: 60 });
    assert.equal(doc.frontmatter.keys.find((k) => k.key === "last_reviewed")!.value, "2026-05-31");
    assert.equal(doc.frontmatter.closeLine, 12);
    assert.equal(doc.bodyStartLine, 13);
  });

  it("finds the six CTO-WORK sections with titles, blockers and criteria", () => {
    assert.deepEqual(
      doc.issues.map((i) => [i.id, i.issueTitle, i.blockedBy.map((b) => b.value), i.criteria.length]),
      [
        ["CTO-WORK-003", "Planning Validator Coverage", ["CTO-WORK-002"], 6],
        ["CTO-WORK-004", "Harness Evidence Interface Contract", ["CTO-WORK-003"], 5],
        ["CTO-WORK-005", "Case Source Admission Record", ["CTO-WORK-003"], 4],
        ["CTO-WORK-006", "Case Adapter Contract And Eligibility Decision", ["CTO-WORK-004", "CTO-WORK-005"], 5],
        ["CTO-WORK-007", "Case Failure Fixture Matrix", ["CTO-WORK-004", "CTO-WORK-006"], 4],
        ["CTO-WORK-008", "Staged Proof Gate Records", ["CTO-WORK-004", "CTO-WORK-006", "CTO-WORK-007"], 4],
      ],
    );
  });

  it("locates IDs, blocker tokens and criteria marks exactly", () => {
    const i8 = doc.issues[5];
    assert.deepEqual(i8.idRange, { line: 139, column: 5, endLine: 139, endColumn: 17 });
    assert.deepEqual(
      i8.blockedBy.map((b) => [b.range.line, b.range.column]),
      [[143, 13], [143, 27], [143, 41]],
    );
    const c = doc.issues[0].criteria[0];
    assert.equal(c.checked, false);
    assert.deepEqual(c.markRange, { line: 32, column: 4, endLine: 32, endColumn: 5 });
    assert.equal(doc.lines.lineText(32).slice(c.markRange.column - 2, c.markRange.column + 1), "[ ]");
  });

  it("reads every field of a section", () => {
    assert.deepEqual(
      doc.issues[0].fields.map((f) => f.key),
      ["Type", "Blocked by", "User stories covered", "What to build", "Acceptance criteria", "Allowed files", "Validator", "Done evidence"],
    );
    const v = doc.issues[0].fields.find((f) => f.key === "Validator")!;
    assert.equal(v.value, "`python3 tools/validate_cto_child.py`");
    assert.equal(v.valueRange.column, 12);
  });

  it("classifies ID mentions as definitions and blockers", () => {
    assert.equal(doc.mentions.filter((m) => m.kind === "definition").length, 6);
    assert.equal(doc.mentions.filter((m) => m.kind === "blocker").length, 10);
  });
});

describe("parseDoc: line endings, BOM, tabs and bad input", () => {
  const lf = "---\nname: x\n---\n\n# T\n\n### CTO-WORK-010 - A\n\nBlocked by: CTO-WORK-009\n";

  it("gives CRLF files the same positions as LF files", () => {
    const a = parseDoc("a.md", lf);
    const b = parseDoc("b.md", lf.replace(/\n/g, "\r\n"));
    assert.equal(b.eol, "\r\n");
    assert.deepEqual(b.issues[0].idRange, a.issues[0].idRange);
    assert.deepEqual(b.issues[0].blockedBy[0].range, a.issues[0].blockedBy[0].range);
    assert.deepEqual(b.frontmatter.keys[0].valueRange, a.frontmatter.keys[0].valueRange);
    assert.equal(b.issues[0].blockedBy[0].value, "CTO-WORK-009");
  });

  it("does not count a BOM as a column", () => {
    const d = parseDoc("a.md", "\ufeff" + lf);
    assert.equal(d.hadBom, true);
    assert.equal(d.frontmatter.present, true);
    assert.deepEqual(d.frontmatter.keys[0].valueRange, { line: 2, column: 7, endLine: 2, endColumn: 8 });
  });

  it("counts a tab as one column", () => {
    const d = parseDoc("a.md", "---\nname: x\n---\n###\tCTO-WORK-010 - A\nBlocked by:\tCTO-WORK-009\n");
    assert.deepEqual(d.issues[0].idRange, { line: 4, column: 5, endLine: 4, endColumn: 17 });
    assert.equal(d.issues[0].blockedBy[0].range.column, 13);
  });

  it("locates YAML syntax errors inside the frontmatter", () => {
    const d = parseDoc("a.md", '---\nname: x\ntier: "local\nstatus: draft\n---\n');
    assert.ok(d.frontmatter.errors.length > 0);
    assert.ok(d.frontmatter.errors[0].range.line >= 3 && d.frontmatter.errors[0].range.line <= 5, JSON.stringify(d.frontmatter.errors));
  });

  it("reports an unclosed frontmatter block", () => {
    const d = parseDoc("a.md", "---\nname: x\n\n# Title\n");
    assert.match(d.frontmatter.errors[0].message, /not closed/);
    assert.equal(d.frontmatter.errors[0].range.line, 1);
  });

  it("treats a file without frontmatter as not a planning doc", () => {
    const d = parseDoc("a.md", "# Just a readme\n");
    assert.equal(d.frontmatter.present, false);
    assert.equal(d.bodyStartLine, 1);
  });

  it("handles empty files", () => {
    const d = parseDoc("a.md", "");
    assert.equal(d.frontmatter.present, false);
    assert.equal(d.issues.length, 0);
  });

  it("refuses binary and oversized files with a reason", () => {
    assert.match(parseDoc("a.md", new Uint8Array([0x2d, 0x2d, 0x2d, 0, 1, 2])).unreadable ?? "", /binary/);
    assert.match(parseDoc("a.md", new Uint8Array(MAX_DOC_BYTES + 1)).unreadable ?? "", /MB/);
  });

  it("ignores IDs and fields inside fenced code", () => {
    const d = parseDoc("a.md", "---\nname: x\n---\n```\n### CTO-WORK-011 - Not a section\n```\n### CTO-WORK-012 - Real\n");
    assert.deepEqual(d.issues.map((i) => i.id), ["CTO-WORK-012"]);
  });

  it("splits several Blocked by forms and keeps junk apart", () => {
    const d = parseDoc("a.md", "---\nname: x\n---\n### CTO-WORK-012 - Real\n\nBlocked by: CTO-WORK-001 and CTO-WORK-002; maybe\n");
    assert.deepEqual(d.issues[0].blockedBy.map((b) => b.value), ["CTO-WORK-001", "CTO-WORK-002"]);
    assert.deepEqual(d.issues[0].blockedByJunk.map((b) => [b.value, b.range.column]), [["maybe", 44]]);
  });
});
