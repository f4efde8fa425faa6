import * as assert from "node:assert/strict";
import { validateWorkspace } from "../../../src/core";
import { byRule, DISCLAIMER, findings, fm, issue, options, validFiles, workspace } from "../helpers";

const ISSUES_HEAD = (extra: Record<string, string | undefined> = {}) => `${fm({ name: "issues", source: "prd.md", ...extra })}\n# Issues\n\n${DISCLAIMER}\n\n`;

describe("rules on a valid workspace", () => {
  it("finds nothing", () => {
    assert.deepEqual(findings(workspace(validFiles())), []);
  });
});

describe("required-artifact", () => {
  it("flags a source: that does not exist, on the source: value", () => {
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD({ source: "missing-prd.md" }) + issue("CTO-WORK-002", "CTO-WORK-001") }));
    const f = byRule(findings(ws), "required-artifact");
    assert.equal(f.length, 1);
    assert.equal(f[0].file, "issues.md");
    assert.deepEqual(f[0].range, { line: 9, column: 9, endLine: 9, endColumn: 23 });
    assert.match(f[0].message, /missing-prd\.md' does not exist/);
  });

  it("flags an issue artifact without source:", () => {
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD({ source: undefined }) + issue("CTO-WORK-002", "CTO-WORK-001") }));
    assert.match(byRule(findings(ws), "required-artifact")[0].message, /names no PRD/);
  });

  it("flags a source: that escapes the workspace", () => {
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD({ source: "../../etc/passwd" }) + issue("CTO-WORK-002", "CTO-WORK-001") }));
    assert.match(byRule(findings(ws), "required-artifact")[0].message, /outside the workspace/);
  });

  it("flags a workspace with no issue artifact, and WORKBOARD paths that do not exist", () => {
    const files = validFiles();
    delete files["issues.md"];
    const f = byRule(findings(workspace(files)), "required-artifact");
    assert.deepEqual(f.map((x) => [x.file, x.range.line]), [["WORKBOARD.yaml", 1], ["WORKBOARD.yaml", 3]]);
    assert.match(f[1].message, /'issues\.md' does not exist/);
  });
});

describe("promotion-status", () => {
  it("flags promoted on the value with a fix", () => {
    const ws = workspace(validFiles({ "prd.md": `${fm({ name: "prd", core_promotion_status: "promoted" })}\n# PRD\n\n${DISCLAIMER}\n` }));
    const [f] = byRule(findings(ws), "promotion-status");
    assert.deepEqual(f.range, { line: 8, column: 24, endLine: 8, endColumn: 32 });
    assert.equal(f.fixes?.[0].edits[0].newText, "not-promoted");
  });
});

describe("local-disclaimer", () => {
  it("flags a missing sentence on the H1 and offers to add it", () => {
    const ws = workspace(validFiles({ "prd.md": `${fm({ name: "prd" })}\n# PRD\n\nLocal planning SOT only. Not a Core Protocol.\n` }));
    const [f] = byRule(findings(ws), "local-disclaimer");
    assert.equal(f.range.line, 11);
    assert.match(f.message, /'Not active Core authority\.'/);
    const edit = f.fixes![0].edits[0];
    assert.equal(edit.newText, " Not active Core authority.");
    assert.deepEqual([edit.range.line, edit.range.column], [13, 46]);
  });
});

describe("authority-drift", () => {
  it("reports the sentence's exact range and offers the candidate rewrite", () => {
    const body = `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\nWe plan carefully. Case is the default backend. More text.\n`;
    const ws = workspace(validFiles({ "prd.md": body }));
    const [f] = byRule(findings(ws), "authority-drift");
    // line 15 = "We plan carefully. Case is the default backend. More text."
    assert.deepEqual(f.range, { line: 15, column: 20, endLine: 15, endColumn: 48 });
    assert.equal(f.severity, "error");
    const fix = f.fixes![0];
    assert.equal(fix.edits[0].newText, "candidate");
    assert.deepEqual(fix.edits[0].range, { line: 15, column: 32, endLine: 15, endColumn: 39 });
  });

  it("spans sentences across wrapped lines", () => {
    const body = `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\nWe decided that Case is the\ndefault backend for all repos.\n`;
    const [f] = byRule(findings(workspace(validFiles({ "prd.md": body }))), "authority-drift");
    assert.deepEqual(f.range, { line: 15, column: 1, endLine: 16, endColumn: 31 });
  });

  it("checks the frontmatter description too", () => {
    const ws = workspace(validFiles({ "prd.md": `${fm({ name: "prd", description: "This is a Core Protocol." })}\n# PRD\n\n${DISCLAIMER}\n` }));
    const [f] = byRule(findings(ws), "authority-drift");
    assert.deepEqual(f.range, { line: 9, column: 14, endLine: 9, endColumn: 38 });
  });

  it("uses the workspace lexicon", () => {
    const files = validFiles({
      ".cto/lexicon.yaml": 'claims:\n  - id: merge-claim\n    phrases: ["merges to main"]\n    message: "claims merge rights"\n',
      "prd.md": `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\nCase merges to main.\n`,
    });
    const [f] = byRule(findings(workspace(files)), "authority-drift");
    assert.match(f.message, /claims merge rights/);
  });
});

describe("workboard-entry", () => {
  it("flags a PRD missing from WORKBOARD.yaml and fixes it by appending to the docs list", () => {
    const ws = workspace(validFiles({ "WORKBOARD.yaml": "docs:\n  - path: issues.md\nwork:\n  - id: CTO-WORK-001\n" }));
    const [f] = byRule(findings(ws), "workboard-entry");
    assert.equal(f.file, "prd.md");
    assert.deepEqual(f.range, { line: 2, column: 1, endLine: 2, endColumn: 5 });
    const edit = f.fixes![0].edits[0];
    assert.equal(edit.file, "WORKBOARD.yaml");
    assert.equal(edit.newText, "\n  - path: prd.md\n    name: prd");
    assert.deepEqual([edit.range.line, edit.range.column], [2, 20]);
  });

  it("accepts an entry by name instead of path", () => {
    const ws = workspace(validFiles({ "WORKBOARD.yaml": "docs:\n  - name: prd\n  - id: issues\nwork:\n  - id: CTO-WORK-001\n" }));
    assert.deepEqual(byRule(findings(ws), "workboard-entry"), []);
  });

  it("reports WORKBOARD.yaml syntax errors at their position", () => {
    const ws = workspace(validFiles({ "WORKBOARD.yaml": "docs:\n  - path: prd.md\n   bad: [\n" }));
    const f = byRule(findings(ws), "workboard-entry");
    assert.ok(f.length > 0);
    assert.equal(f[0].file, "WORKBOARD.yaml");
    assert.ok(f[0].range.line >= 2);
  });

  it("reports a missing WORKBOARD.yaml on the docs", () => {
    const files = validFiles();
    delete files["WORKBOARD.yaml"];
    const f = byRule(findings(workspace(files)), "workboard-entry");
    assert.deepEqual(f.map((x) => x.file).sort(), ["issues.md", "prd.md"]);
  });
});

describe("stale-review", () => {
  it("warns on an old review with a bump fix", () => {
    const ws = workspace(validFiles());
    const f = byRule(findings(ws, options({ today: "2026-11-25" })), "stale-review");
    assert.equal(f.length, 2);
    assert.equal(f[0].severity, "warning");
    assert.match(f[0].message, /179 days ago/);
    assert.equal(f[0].fixes![0].edits[0].newText, "2026-11-25");
  });

  it("warns on a future date and on a review older than its source", () => {
    const files = validFiles({
      "prd.md": `${fm({ name: "prd", last_reviewed: "2026-05-31" })}\n# PRD\n\n${DISCLAIMER}\n`,
      "issues.md": ISSUES_HEAD({ last_reviewed: "2026-05-30" }) + issue("CTO-WORK-002", "CTO-WORK-001"),
    });
    const f = byRule(findings(workspace(files)), "stale-review");
    assert.equal(f.length, 1);
    assert.match(f[0].message, /before its source 'prd\.md' changed \(2026-05-31\)/);
    const future = byRule(findings(workspace(validFiles({ "prd.md": `${fm({ name: "prd", last_reviewed: "2099-01-01" })}\n# PRD\n\n${DISCLAIMER}\n` }))), "stale-review");
    assert.match(future[0].message, /in the future/);
  });

  it("honours maxReviewAgeDays and severity settings", () => {
    const ws = workspace(validFiles());
    assert.equal(byRule(findings(ws, options({ today: "2026-11-25", maxReviewAgeDays: 400 })), "stale-review").length, 0);
    const f = byRule(findings(ws, options({ today: "2026-11-25", severities: { "stale-review": "error" } })), "stale-review");
    assert.equal(f[0].severity, "error");
    assert.equal(byRule(findings(ws, options({ today: "2026-11-25", severities: { "stale-review": "off" } })), "stale-review").length, 0);
  });
});

describe("frontmatter", () => {
  it("lists missing keys with fixes, and rejects bad dates", () => {
    const ws = workspace(validFiles({ "prd.md": `${fm({ name: "prd", core_promotion_status: undefined, created: "2026-02-30" })}\n# PRD\n\n${DISCLAIMER}\n` }));
    const f = byRule(findings(ws), "frontmatter");
    assert.equal(f.length, 2);
    assert.match(f[0].message, /lacks 'core_promotion_status'/);
    assert.deepEqual(f[0].fixes!.map((x) => x.edits[0].newText), ["core_promotion_status: not-promoted\n"]);
    assert.deepEqual(f[1].range, { line: 5, column: 10, endLine: 5, endColumn: 20 });
  });

  it("reports YAML errors at their position and never throws", () => {
    const ws = workspace(validFiles({ "prd.md": `---\nname: prd\ntier: [local\nstatus: draft\n---\n# PRD\n\n${DISCLAIMER}\n` }));
    const f = byRule(findings(ws), "frontmatter");
    assert.ok(f.length >= 1);
    assert.ok(f[0].range.line >= 3 && f[0].range.line <= 5);
  });

  it("flags a PRD without frontmatter", () => {
    const ws = workspace(validFiles({ "prd.md": `# PRD\n\n${DISCLAIMER}\n` }));
    const f = byRule(findings(ws), "frontmatter");
    assert.deepEqual(f.map((x) => [x.file, x.range.line]), [["prd.md", 1]]);
  });
});

describe("issue-structure", () => {
  it("names the missing fields and criteria on the heading", () => {
    const bad = "### CTO-WORK-004 - Thin\n\nType: AFK\n\nBlocked by: None\n\nWhat to build: x\n";
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD() + issue("CTO-WORK-002", "CTO-WORK-001") + bad }));
    const [f] = byRule(findings(ws), "issue-structure");
    assert.match(f.message, /CTO-WORK-004 lacks 'Allowed files:', 'Validator:', 'Done evidence:'; has no acceptance criteria/);
    assert.equal(f.range.column, 1);
  });

  it("flags duplicate IDs on each definition", () => {
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD() + issue("CTO-WORK-002", "CTO-WORK-001") + issue("CTO-WORK-002", "CTO-WORK-001") }));
    const f = byRule(findings(ws), "issue-structure");
    assert.equal(f.length, 2);
    assert.match(f[0].message, /defined more than once \(also at issues\.md:35\)/);
  });
});

describe("dependency", () => {
  it("flags unknown blockers and junk on the token", () => {
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD() + issue("CTO-WORK-002", "CTO-WORK-099, soon") }));
    const f = byRule(findings(ws), "dependency");
    assert.deepEqual(f.map((x) => [x.range.line, x.range.column]), [[20, 13], [20, 27]]);
    assert.match(f[0].message, /CTO-WORK-099 is defined in no doc/);
    assert.match(f[1].message, /'soon' is not a CTO-WORK ID/);
  });

  it("accepts blockers known only from WORKBOARD.yaml", () => {
    assert.deepEqual(byRule(findings(workspace(validFiles())), "dependency"), []);
  });

  it("reports a cycle once with its path, and points every other member to it", () => {
    const ws = workspace(validFiles({ "issues.md": ISSUES_HEAD() + issue("CTO-WORK-010", "CTO-WORK-011") + issue("CTO-WORK-011", "CTO-WORK-010") }));
    const f = byRule(findings(ws), "dependency");
    assert.equal(f.length, 2);
    assert.equal(f.filter((x) => /^dependency cycle: CTO-WORK-010 → CTO-WORK-011 → CTO-WORK-010/.test(x.message)).length, 1);
    assert.match(f.find((x) => !/^dependency cycle/.test(x.message))!.message, /CTO-WORK-011 is on the dependency cycle through CTO-WORK-010 \(2 issues, reported at CTO-WORK-010\)/);
  });
});

describe("readiness-claim", () => {
  it("flags readiness claims separately from authority drift", () => {
    const ws = workspace(validFiles({ "prd.md": `${fm({ name: "prd" })}\n# PRD\n\n${DISCLAIMER}\n\nCase is ready for production use.\n` }));
    const all = findings(ws);
    assert.equal(byRule(all, "readiness-claim").length, 1);
    assert.equal(byRule(all, "authority-drift").length, 0);
  });
});

describe("record-structure", () => {
  it("reports each record kind's problems through the validator, and unknown record types", () => {
    const gates = `${fm({ name: "gates", record_type: "stage-gates" })}\n# Gates\n\n${DISCLAIMER}\n\nDefault status is earned, not assumed.\n\n### Gate: gated-engine\n\nValidator: x\n`;
    const odd = `${fm({ name: "odd", record_type: "wishlist" })}\n# Odd\n\n${DISCLAIMER}\n`;
    const f = byRule(findings(workspace(validFiles({ "gates.md": gates, "odd.md": odd }))), "record-structure");
    assert.ok(f.some((x) => x.file === "gates.md" && /gate 'gated-engine' lacks 'Allowed mutation scope:'/.test(x.message)), JSON.stringify(f));
    assert.ok(f.some((x) => x.file === "odd.md" && /unknown record_type 'wishlist'/.test(x.message) && x.range.line === 9), JSON.stringify(f));
  });
});

describe("incremental updates", () => {
  it("a deleted doc is among the affected, so what was reported on it is cleared", () => {
    const ws = workspace(validFiles({ "prd.md": `${fm({ name: "prd", core_promotion_status: "promoted" })}\n# PRD\n\n${DISCLAIMER}\n` }));
    assert.equal(validateWorkspace(ws, options()).get("prd.md")!.length, 1);
    const affected = ws.deleteDoc("prd.md");
    assert.ok(affected.has("prd.md") && affected.has("issues.md"), [...affected].join());
    const after = validateWorkspace(ws, options(), affected);
    assert.deepEqual(after.get("prd.md"), []);
    assert.match(byRule(after.get("issues.md")!, "required-artifact")[0].message, /'prd\.md' does not exist/);
  });

  it("re-validates the changed doc and its dependents only", () => {
    const ws = workspace(validFiles());
    const affected = ws.setDoc("prd.md", `${fm({ name: "prd", last_reviewed: "2026-05-31" })}\n# PRD\n\n${DISCLAIMER}\n`);
    assert.deepEqual([...affected].sort(), ["issues.md", "prd.md"]);
    const res = validateWorkspace(ws, options(), affected);
    assert.equal(byRule(res.get("issues.md")!, "stale-review").length, 1);
  });

  it("tracks docs that gain or lose a cycle", () => {
    const files = validFiles({ "a.md": `${fm({ name: "a" })}\n# A\n\n${DISCLAIMER}\n\n${issue("CTO-WORK-020", "CTO-WORK-021")}` });
    files["b.md"] = `${fm({ name: "b" })}\n# B\n\n${DISCLAIMER}\n\n${issue("CTO-WORK-021", "None")}`;
    const ws = workspace(files);
    const affected = ws.setDoc("b.md", files["b.md"].replace("Blocked by: None", "Blocked by: CTO-WORK-020"));
    assert.ok(affected.has("a.md"));
    assert.equal(byRule(validateWorkspace(ws, options(), affected).get("a.md")!, "dependency").length, 1);
    const back = ws.setDoc("b.md", files["b.md"]);
    assert.ok(back.has("a.md"), "the doc that left the cycle is re-validated");
  });
});
