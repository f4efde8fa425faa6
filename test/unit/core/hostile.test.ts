// Hostile inputs (issue 10, "fail closed, stay linear"): each gets a located diagnostic and an
// exit of 0 or 1, never a crash, a skip that passes, or a blow-up. Times and memory of the same
// inputs are measured by `npm run bench` (scripts/bench-hostile.mjs), not asserted here: what is
// asserted is what comes out, and that the work stays linear where the old code was not.
import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import { defaultLexiconSpec, mergeLexicon } from "../../../src/core/lexicon";
import { parseDoc } from "../../../src/core/parse";
import { parseWorkboard } from "../../../src/core/workboard";
import { LineTable } from "../../../src/core/text";
import { DISCLAIMER, findings, fm, issue, workspace } from "../helpers";

async function cto(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: {} };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** A temp workspace from files (relative path -> text or bytes); returns its root. */
function onDisk(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(path.join(tmpdir(), "cto-hostile-"));
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    writeFileSync(path.join(root, p), t);
  }
  return root;
}

async function validateJson(root: string) {
  const r = await cto(["validate", root, "--json", "--today", "2026-06-01"], root);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.err}`);
  const j = JSON.parse(r.out) as { files: string[]; skipped: { file: string; reason: string }[]; findings: { file: string; line: number; column: number; rule: string; message: string }[] };
  return { code: r.code, ...j };
}

const BOMB = (() => {
  let b = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  const L = "abcdefghij";
  for (let i = 1; i < 10; i++) b += `${L[i]}: &${L[i]} [${Array(9).fill("*" + L[i - 1]).join(", ")}]\n`;
  return b;
})();
const DRIFT_DOC = (promotion = "promoted") => `${fm({ name: "a", core_promotion_status: promotion })}\n# A\n\n${DISCLAIMER}\n\nCase is the default backend.\n`;

describe("hostile YAML: located errors, never a crash", () => {
  it("an alias bomb in the lexicon, WORKBOARD.yaml and frontmatter", () => {
    const lex = mergeLexicon(defaultLexiconSpec(), `classes:\n  status: *a\n${BOMB}`);
    assert.ok(lex.problems.length > 0);
    const wb = parseWorkboard(BOMB + "docs:\n  - path: a.md\n");
    assert.deepEqual(wb.errors, [], "the workboard is read node by node: its aliases are never expanded");
    const doc = parseDoc("a.md", `---\nname: a\n${BOMB}---\n\nText.\n`);
    assert.equal(doc.unreadable, undefined, "the doc is not skipped");
    const [e] = doc.frontmatter.errors;
    assert.match(e.message, /alias bomb/);
    assert.ok(e.range.line >= 2 && e.range.line <= 12, JSON.stringify(e.range));
  });

  it("nesting deeper than any planning file: refused where it starts, before the parser overflows its stack", () => {
    const deep = "[".repeat(6000) + "]".repeat(6000);
    const wb = parseWorkboard(`a: ${deep}\n`);
    assert.match(wb.errors[0].message, /nests more than 64 levels/);
    assert.equal(wb.errors[0].range.line, 1);
    const lex = mergeLexicon(defaultLexiconSpec(), `claims:\n  - ${deep}\n`);
    assert.match(lex.problems[0].message, /nests more than 64 levels/);
    assert.equal(lex.problems[0].line, 2);
    const doc = parseDoc("a.md", `---\nname: a\nx: ${deep}\n---\n`);
    assert.match(doc.frontmatter.errors[0].message, /nests more than 64 levels/);
    assert.equal(doc.frontmatter.errors[0].range.line, 3);
    const blocks = parseWorkboard(Array.from({ length: 200 }, (_, i) => " ".repeat(i) + "- a").join("\n"));
    assert.match(blocks.errors[0].message, /nests more than 64 levels/);
  });

  it("thousands of anchors (the parser's cost grows with their square) are refused", () => {
    const wb = parseWorkboard(Array.from({ length: 20000 }, (_, i) => `k${i}: &a${i} v`).join("\n"));
    assert.match(wb.errors[0].message, /more than 500 anchors and aliases/);
    assert.equal(wb.errors[0].range.line, 501);
  });

  it("a broken 260 KB lexicon: a bounded list of problems, each on its own line", () => {
    let text = "claims:\n";
    let i = 0;
    while (text.length < 260 * 1024) text += `  - id: x${i++}\n    phrases: a: b: c\n`;
    const { problems } = mergeLexicon(defaultLexiconSpec(), text);
    assert.ok(problems.length > 0 && problems.length <= 51, `${problems.length} problems`);
    const lines = new LineTable(text);
    for (const p of problems.slice(0, 50)) assert.ok(p.line >= 1 && p.line <= lines.lineCount, JSON.stringify(p));
    assert.equal(problems[0].line, 3, JSON.stringify(problems[0]));
  });
});

describe("hostile graphs stay linear", () => {
  it("a 5,000-issue cycle: reported once with a shortened path; the others point to it", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `CTO-WORK-${String(i + 1).padStart(4, "0")}`);
    const body = ids.map((id, i) => issue(id, ids[(i + 1) % ids.length])).join("");
    const ws = workspace({ "WORKBOARD.yaml": "docs:\n  - path: a.md\n", "a.md": `${fm({ name: "a" })}\n# A\n\n${DISCLAIMER}\n\n${body}` });
    const dep = findings(ws).filter((f) => f.rule === "dependency");
    assert.equal(dep.length, 5000);
    const withPath = dep.filter((f) => f.message.startsWith("dependency cycle:"));
    assert.equal(withPath.length, 1);
    assert.match(withPath[0].message, /CTO-WORK-0001 → .* → … \(4990 more\) … → .* → CTO-WORK-0001/);
    const bytes = dep.reduce((n, f) => n + f.message.length, 0);
    assert.ok(bytes < 600_000, `${bytes} bytes of messages (each member carrying the path: 450 MB)`);
  });

  it("2,000 issues each blocked by the 50 before: every blocker parsed, none reported", () => {
    const id = (i: number) => `CTO-WORK-${String(i).padStart(4, "0")}`;
    let body = "";
    for (let i = 1; i <= 2000; i++) {
      const b: string[] = [];
      for (let j = Math.max(1, i - 50); j < i; j++) b.push(id(j));
      body += issue(id(i), b.length > 0 ? b.join(", ") : "None");
    }
    const ws = workspace({ "WORKBOARD.yaml": "docs:\n  - path: a.md\n", "a.md": `${fm({ name: "a" })}\n# A\n\n${DISCLAIMER}\n\n${body}` });
    const doc = ws.docs.get("a.md")!;
    assert.equal(doc.issues.reduce((n, x) => n + x.blockedBy.length, 0), 50 * 2000 - (50 * 51) / 2);
    assert.ok(doc.mentions.filter((m) => m.kind === "blocker").length > 95_000);
    assert.deepEqual(findings(ws).filter((f) => f.rule === "dependency"), []);
  });
});

describe("fail closed on unreadable planning docs", () => {
  it("frontmatter + a NUL byte is an error at the NUL, listed under files, exit 1", async () => {
    const root = onDisk({ "WORKBOARD.yaml": "docs: []\n", "a.md": DRIFT_DOC() + "more\n\0\n" });
    try {
      const r = await validateJson(root);
      assert.equal(r.code, 1);
      assert.ok(r.files.includes("a.md"));
      assert.deepEqual(r.skipped, []);
      const f = r.findings.find((x) => x.file === "a.md")!;
      assert.equal(f.rule, "frontmatter");
      assert.match(f.message, /cannot be read \(binary file \(a NUL byte\) at 17:1\)/);
      assert.deepEqual([f.line, f.column], [17, 1]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a planning doc padded past 2 MB, and one that is not UTF-8, are errors too; a large non-planning file is skipped", async () => {
    const root = onDisk({
      "WORKBOARD.yaml": "docs:\n  - path: named.md\n",
      "big.md": DRIFT_DOC() + "x".repeat(2.1 * 1024 * 1024),
      "latin1.md": Buffer.concat([Buffer.from(DRIFT_DOC("not-promoted")), Buffer.from([0xe9, 0x0a])]),
      "named.md": Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      "blob.md": "y".repeat(2.1 * 1024 * 1024),
    });
    try {
      const r = await validateJson(root);
      assert.equal(r.code, 1);
      const msg = (file: string) => r.findings.find((x) => x.file === file)?.message ?? "";
      assert.match(msg("big.md"), /over the 2 MB limit/);
      assert.match(msg("latin1.md"), /not valid UTF-8 at 16:1/);
      assert.match(msg("named.md"), /cannot be read/, "WORKBOARD.yaml names it: a planning doc");
      assert.deepEqual(r.skipped.map((s) => s.file), ["blob.md"]);
      assert.deepEqual(r.files.sort(), ["big.md", "latin1.md", "named.md"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a `---json` fence is a frontmatter error on a doc listed under files", async () => {
    const root = onDisk({
      "WORKBOARD.yaml": "docs: []\n",
      "a.md": '---json\n{"name": "a"}\n---\n\nCase is the default backend.\n',
      "b.md": `${fm({ name: "b", source: "c.md" })}\n# B\n\n${DISCLAIMER}\n\n${issue("CTO-WORK-001")}`,
      "c.md": "# The PRD, without frontmatter\n",
    });
    try {
      const r = await validateJson(root);
      assert.match(r.findings.find((f) => f.file === "a.md" && f.rule === "frontmatter")!.message, /must be YAML.*not `---json`/);
      // every doc with a finding is a validated doc
      for (const f of r.findings) if (f.file.endsWith(".md")) assert.ok(r.files.includes(f.file), `${f.file} has findings but is not under files`);
      assert.ok(r.files.includes("c.md"), "the PRD named by source: is validated (its missing frontmatter is an error)");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("discovery: nothing silently ignored", () => {
  it("a doc 45 folders deep is validated", async () => {
    const deep = Array.from({ length: 45 }, (_, i) => `d${i}`).join("/") + "/a.md";
    const root = onDisk({ "WORKBOARD.yaml": "docs: []\n", [deep]: DRIFT_DOC() });
    try {
      const r = await validateJson(root);
      assert.deepEqual(r.files, [deep]);
      assert.ok(r.findings.some((f) => f.file === deep && f.rule === "promotion-status"));
      assert.ok(r.findings.some((f) => f.file === deep && f.rule === "authority-drift"));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("symlinked .md: inside the workspace validated, outside or broken an error, a symlinked folder listed as skipped", async () => {
    const outside = onDisk({ "outside.md": DRIFT_DOC() });
    const root = onDisk({ "WORKBOARD.yaml": "docs: []\n", "real.md": DRIFT_DOC(), "sub/x.md": DRIFT_DOC() });
    symlinkSync("real.md", path.join(root, "inside.md"));
    symlinkSync(path.join(outside, "outside.md"), path.join(root, "escape.md"));
    symlinkSync("nowhere.md", path.join(root, "broken.md"));
    symlinkSync("sub", path.join(root, "linkdir"));
    try {
      const r = await validateJson(root);
      assert.deepEqual(r.files.sort(), ["broken.md", "escape.md", "inside.md", "real.md", "sub/x.md"]);
      assert.ok(r.findings.some((f) => f.file === "inside.md" && f.rule === "authority-drift"), "the link inside is read like any doc");
      assert.match(r.findings.find((f) => f.file === "escape.md")!.message, /symlink to .*outside\.md, outside the workspace: not followed/);
      assert.match(r.findings.find((f) => f.file === "broken.md")!.message, /a broken symlink/);
      assert.deepEqual(r.skipped.map((s) => [s.file, /symlinked folder, not followed/.test(s.reason)]), [["linkdir", true]]);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("line endings as VS Code counts them", () => {
  it("lone CRs break lines: the drift sentence is reported on the line the editor shows", () => {
    const lf = DRIFT_DOC("not-promoted") + "Fine.\nCase is the primary engine.\n";
    const cr = lf.replace(/\n/g, "\r");
    const mixed = lf.replace(/\n/g, (_m, i: number) => (i % 2 ? "\r\n" : "\r"));
    const pos = (text: string) =>
      findings(workspace({ "WORKBOARD.yaml": "docs: []\n", "a.md": text }))
        .filter((f) => f.rule === "authority-drift" || f.rule === "frontmatter" || f.rule === "promotion-status")
        .map((f) => [f.rule, f.range.line, f.range.column, f.range.endLine, f.range.endColumn]);
    assert.deepEqual(pos(cr), pos(lf));
    assert.deepEqual(pos(mixed), pos(lf));
    assert.equal(pos(lf).length, 2);
    assert.equal(new LineTable("a\rb\r\nc\nd").lineCount, 4);
    assert.equal(parseDoc("a.md", cr).eol, "\r");
  });
});
