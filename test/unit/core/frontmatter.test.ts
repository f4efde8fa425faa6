// The frontmatter fast path must agree exactly with gray-matter + yaml, and step aside for
// anything it does not fully understand.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseFrontmatter } from "../../../src/core/frontmatter";
import { LineTable } from "../../../src/core/text";
import { FIXTURES } from "../helpers";

function both(text: string) {
  const t = new LineTable(text);
  return { fast: parseFrontmatter(t, true), slow: parseFrontmatter(t, false) };
}

function mdFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? mdFiles(p) : n.endsWith(".md") ? [p] : [];
  });
}

describe("frontmatter fast path", () => {
  it("gives every fixture doc exactly what gray-matter + yaml give", () => {
    let n = 0;
    for (const file of mdFiles(FIXTURES)) {
      const text = readFileSync(file, "utf8").replace(/^\ufeff/, "");
      if (text.includes("\0")) continue;
      const { fast, slow } = both(text);
      assert.deepEqual(fast, slow, file);
      n++;
    }
    assert.ok(n > 20, `${n} docs compared`);
  });

  const samples: [string, string][] = [
    ["scalars of the core schema", "n: 12\nf: 1.5\ne: 1e3\nt: true\nF: False\nz: ~\nnl: null\nempty:\nd: 2026-05-31\nurl: https://x.y/a:b\nhex: 0x1F\noct: 0o17\ninf: -.inf\n"],
    ["CRLF", "name: x\r\ntier: local\r\n"],
    ["comments and blank lines", "# note\nname: x\n\ntier: local\n"],
    ["tabs after the colon", "name:\tx\n"],
    ["quoted values (slow path)", 'name: "x y"\ntier: \'local\'\n'],
    ["a nested mapping (slow path)", "name: x\nmeta:\n  a: 1\n"],
    ["a colon-space in a value (slow path, YAML error)", "description: a: b\n"],
    ["a trailing comment (slow path)", "name: x # comment\n"],
    ["a duplicate key (slow path, YAML error)", "name: x\nname: y\n"],
    ["a list (slow path)", "tags: [a, b]\n"],
  ];
  for (const [what, body] of samples) {
    it(`agrees on ${what}`, () => {
      const text = `---\n${body}---\n# T\n`;
      const { fast, slow } = both(body.includes("\r\n") ? text.replace(/\n/g, "\r\n").replace(/\r\r\n/g, "\r\n") : text);
      assert.deepEqual(fast, slow);
    });
  }
});
