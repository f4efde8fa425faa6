// A small, seeded (so deterministic and replayable) fuzz of the parsers and the validator: the
// fixture workspace's files, mutated with the shapes that broke parsers before (deep nesting,
// anchors and aliases, stray fences, tables, JSX, code spans, lone CRs, NULs, odd Unicode).
// Every run must finish without throwing, place every finding inside its file, and put every
// markdown doc in exactly one of "validated" and "skipped".
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { CtoWorkspace, resolveOptions, validateWorkspace } from "../../../src/core";
import { explainSentence } from "../../../src/core/drift";
import { getDefaultLexicon } from "../../../src/core/lexicon";
import { skippedDocs, validatedDocs } from "../../../src/core/load";
import { LineTable } from "../../../src/core/text";
import { FIXTURES } from "../helpers";
import { mutate, prng } from "./fuzzlib";

describe("fuzz: parsers and validator on mutated workspace files", () => {
  const root = path.join(FIXTURES, "workspace");
  const dir = path.join(root, ".sot", "03-PROTOCOLS");
  const docs = readdirSync(dir).map((n) => ({ rel: `.sot/03-PROTOCOLS/${n}`, text: readFileSync(path.join(dir, n), "utf8") }));
  const workboard = readFileSync(path.join(root, "WORKBOARD.yaml"), "utf8");
  const lexicon = readFileSync(path.join(root, ".cto", "lexicon.yaml"), "utf8");
  const options = resolveOptions({ today: "2026-06-01" });

  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}: 40 mutated workspaces, no throw, every finding inside its file, docs partitioned`, function () {
      this.timeout(60_000); // a few hundred validations; each input alone answers in well under a second
      const r = prng(seed);
      for (let round = 0; round < 40; round++) {
        const ws = new CtoWorkspace("/fuzz");
        const texts = new Map<string, string>();
        const wb = r.next() < 0.6 ? mutate(r, workboard) : workboard;
        const lx = r.next() < 0.5 ? mutate(r, lexicon) : lexicon;
        texts.set("WORKBOARD.yaml", wb);
        texts.set(".cto/lexicon.yaml", lx);
        ws.setWorkboard(wb);
        ws.setLexicon(lx);
        for (const d of docs) {
          const t = r.next() < 0.5 ? mutate(r, d.text) : d.text;
          texts.set(d.rel, t);
          ws.files.add(d.rel);
          ws.setDoc(d.rel, r.next() < 0.2 ? new TextEncoder().encode(t) : t);
        }
        const where = `seed ${seed} round ${round}`;
        const results = validateWorkspace(ws, options);
        for (const [file, list] of results) {
          const text = texts.get(file);
          const lines = new LineTable(text ?? "");
          for (const f of list) {
            const g = f.range;
            assert.ok(g.line >= 1 && g.column >= 1 && (g.endLine > g.line || (g.endLine === g.line && g.endColumn >= g.column)), `${where}: bad range ${JSON.stringify(f)}`);
            assert.ok(g.line <= Math.max(1, lines.lineCount), `${where}: ${file}:${g.line} past its ${lines.lineCount} lines (${f.rule}: ${f.message})`);
          }
        }
        const validated = new Set(validatedDocs(ws).map((d) => d.path));
        const skipped = new Set(skippedDocs(ws).map((s) => s.file));
        for (const p of ws.docs.keys()) assert.ok(validated.has(p) !== skipped.has(p), `${where}: ${p} is ${validated.has(p) ? "both validated and skipped" : "neither validated nor skipped"}`);
      }
    });
  }

  it("the drift detector on token soup: no throw, every verdict explained", () => {
    const r = prng(99);
    const words = ["Case", "case", "it", "not", "never", "the", "default", "primary", "engine", "is", "was", "if", "once", "gate", "comparison", "approves", "its", "own", "ready", "GA", "Core", "Protocol", "this", "doc", ",", ";", ":", "?", "(", ")", "—", "`", '"', "'s", "n't", "no", "none", "nobody", "says", "that", "might", "would", "candidate", "switch", "to", "route", "all", "runs", "Pi", "Codex", "|", "->"];
    for (let i = 0; i < 400; i++) {
      const sentence = Array.from({ length: 1 + r.int(40) }, () => r.pick(words)).join(" ");
      for (const e of explainSentence(sentence, getDefaultLexicon())) {
        for (const j of e.judged) assert.ok(j.verdict.rule.length > 0, sentence);
      }
    }
  });
});
