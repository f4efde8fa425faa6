// WORKBOARD.yaml's fast path (simpleYaml.ts) must read plain block YAML exactly as `yaml` does
// (values, and the offsets every range comes from), and step aside for anything else.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as yaml from "yaml";
import { parseSimpleYaml, type SimpleNode } from "../../../src/core/simpleYaml";
import { parseWorkboard } from "../../../src/core/workboard";
import { FIXTURES } from "../helpers";
import { mutate, prng } from "./fuzzlib";

/** `yaml`'s node tree in simpleYaml's shape (value and [start, value end] of every node). */
function shapeOfYaml(n: unknown): unknown {
  if (yaml.isScalar(n)) return { value: n.value, at: n.range!.slice(0, 2) };
  if (yaml.isMap(n)) return { at: n.range!.slice(0, 2), pairs: n.items.map((p) => [shapeOfYaml(p.key), shapeOfYaml(p.value)]) };
  if (yaml.isSeq(n)) return { at: n.range!.slice(0, 2), items: n.items.map(shapeOfYaml) };
  return { other: String(n) };
}
function shapeOfSimple(n: SimpleNode): unknown {
  if (n.kind === "scalar") return { value: n.value, at: n.range.slice(0, 2) };
  if (n.kind === "map") return { at: n.range.slice(0, 2), pairs: n.items.map((p) => [shapeOfSimple(p.key), shapeOfSimple(p.value)]) };
  return { at: n.range.slice(0, 2), items: n.items.map(shapeOfSimple) };
}

/** Both paths on one text; returns whether the fast path took it. */
function agree(text: string, where: string): boolean {
  const simple = parseSimpleYaml(text);
  if (simple) {
    const doc = yaml.parseDocument(text, { prettyErrors: false });
    assert.deepEqual(doc.errors, [], `${where}: the fast path took a text \`yaml\` finds wrong`);
    assert.deepEqual(shapeOfSimple(simple), shapeOfYaml(doc.contents), `${where}: nodes differ`);
  }
  assert.deepEqual(parseWorkboard(text, true), parseWorkboard(text, false), `${where}: workboards differ`);
  return simple !== undefined;
}

function workboards(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? workboards(p) : n === "WORKBOARD.yaml" ? [p] : [];
  });
}

/** A workboard like the bench's (scripts/bench/generate.mjs): comments on top, docs and work lists. */
function benchLike(docs: number): string {
  const lines = ["# CTO child workspace: synthetic.", "# Local planning only.", "", "workspace:", "  name: cto-bench", "  owner: jp", "  scope: planning-only", "", "docs:"];
  for (let i = 1; i <= docs; i++) lines.push(`  - path: .sot/03-PROTOCOLS/area-${String(Math.ceil(i / 50)).padStart(2, "0")}/CTO-CASE-DOC-${String(i).padStart(4, "0")}.md`, `    name: cto-case-doc-${i}`, "    kind: issues");
  lines.push("", "work:", "  - id: CTO-WORK-0001", "    title: Child workspace bootstrap", "    status: done", "    blocked_by: []", "  - id: CTO-WORK-0002", "    title: PRD for Case", "    status: done", "    blocked_by: [CTO-WORK-0001]", "");
  return lines.join("\n");
}

describe("WORKBOARD.yaml fast path", () => {
  it("reads every fixture workboard and a bench-like one as `yaml` does, and takes them", () => {
    const files = workboards(FIXTURES);
    assert.ok(files.length > 10, `${files.length} workboards`);
    let taken = 0;
    for (const f of files) if (agree(readFileSync(f, "utf8").replace(/^\ufeff/, ""), f)) taken++;
    assert.ok(taken >= files.length - 2, `the fast path took ${taken} of ${files.length}`);
    assert.ok(agree(benchLike(1000), "bench-like"), "the bench's workboard takes the fast path");
  });

  const samples: [string, string, boolean][] = [
    ["scalars of the core schema", "n: 12\nf: 1.5\ne: 1e3\nt: true\nF: False\nz: ~\nnl: null\nempty:\nd: 2026-05-31\nurl: https://x.y/a:b\nhex: 0x1F\noct: 0o17\ninf: .inf\nn2: +5\nnan: .NaN\nneg: 1e-3\n", true],
    ["empty values, last and nested", "a:\nm:\n  a: 1\n  b:\nc:", true],
    ["a list at the key's indentation", "s:\n- a\n- b\n\n\nz: 1", true],
    ["lists of mappings", "docs:\n  - path: a.md\n    name: a\n  -   path: b.md\n      name: b\nwork:\n- id: CTO-WORK-001\n  blocked_by:\n    - CTO-WORK-002\n    - CTO-WORK-003\n  title: t\n", true],
    ["flow lists", "a: []\nb: [x]\nc: [ x ,y ]  # c\nd: [CTO-WORK-001, CTO-WORK-002]\ne: [1, true, ~, a b]", true],
    ["comments on top and after values", "# top\n\n  # indented top\na: 1 # one\nb: x y  # two\nc: [a] # three\n", true],
    ["trailing blanks", "a: x   \nb:    y\n", true],
    ["IDs in keys and values", "CTO-WORK-001: see CTO-WORK-002 and CTO-WORK-003\nx: CTO-WORK-004,CTO-WORK-005\n", true],
    ["no final line break", "a: 1", true],
    ["keys that look like other types (slow path)", "true: 1\nnull: 2\n", false],
    ["a comment line among entries (slow path)", "docs:\n  - path: a.md\n  # later\n  - path: b.md\n", false],
    ["quotes (slow path)", "a: \"x\"\nb: 'y'\n", false],
    ["a multi-line scalar (slow path)", "a: one\n  two\n", false],
    ["a flow mapping (slow path)", "a: {b: 1}\n", false],
    ["a trailing comma (slow path)", "a: [x,]\n", false],
    ["CRLF (slow path)", "a: 1\r\nb: 2\r\n", false],
    ["a tab (slow path)", "a:\t1\n", false],
    ["anchors and aliases (slow path)", "a: &x 1\nb: *x\n", false],
    ["a duplicate key (slow path, error)", "a: 1\na: 2\n", false],
    ["a colon-space in a value (slow path, error)", "a: b: c\n", false],
    ["bad indentation (slow path, error)", "a:\n    b: 1\n  c: 2\n", false],
    ["a document marker (slow path)", "---\na: 1\n", false],
    ["a null item (slow path)", "a:\n  -\n  - b\n", false],
    ["a nested list item (slow path)", "a:\n  - - b\n", false],
    ["an empty file (slow path)", "", false],
    ["comments only (slow path)", "# nothing\n", false],
    ["a top-level scalar (slow path)", "hello\n", false],
    ["a top-level list", "- a\n- b: 1\n  c: 2\n", true],
    ["indented content (slow path)", "  a: 1\n", false],
    ["a dash value (slow path)", "a: -1\nb: - x\n", false],
  ];
  for (const [what, text, fast] of samples) {
    it(`agrees on ${what}`, () => {
      assert.equal(agree(text, what), fast, fast ? "expected the fast path" : "expected the slow path");
    });
  }

  it("agrees on 3,000 mutated workboards (seeded)", function () {
    this.timeout(60_000);
    const base = [...workboards(FIXTURES).map((f) => readFileSync(f, "utf8")), benchLike(20)];
    const r = prng(11);
    // Small edits that keep a text near the subset's edge, besides the fuzz library's mutations.
    const EDGE = [" ", "  ", "\n", "- ", ": ", ":", "#", " # c", "[", "]", ",", "x", "-", "~", "'", "\"", "? ", "&a ", "\t", "\r\n", "0x1", "1e5", "true", "CTO-WORK-123"];
    let taken = 0;
    for (let i = 0; i < 3000; i++) {
      let t = r.pick(base);
      if (r.next() < 0.5) t = mutate(r, t);
      else
        for (let k = 1 + r.int(3); k > 0; k--) {
          const at = r.int(t.length + 1);
          t = r.next() < 0.7 ? t.slice(0, at) + r.pick(EDGE) + t.slice(at) : t.slice(0, at) + t.slice(at + 1 + r.int(3));
        }
      if (agree(t, `mutation ${i}: ${JSON.stringify(t.slice(0, 300))}`)) taken++;
    }
    assert.ok(taken > 300, `the fast path took ${taken} of the mutations`);
  });
});
