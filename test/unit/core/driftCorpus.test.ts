// The regression guard of the drift detector: F1 on our labelled corpus (test/drift-corpus) must
// not drop below what it reached. `npm run eval:drift` prints the figures and every miss.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { evaluate, KINDS, loadCorpus, prf } from "../../drift-corpus/evaluate";
import { REPO } from "../helpers";

/** What the detector reached when these were written (npm run eval:drift); raise them, never lower. */
const FLOOR = { all: 0.995, default: 0.995, core: 0.99, "self-approval": 0.98, readiness: 0.99 } as const;

describe("drift corpus", () => {
  const items = loadCorpus(path.join(REPO, "test", "drift-corpus"));
  let result: ReturnType<typeof evaluate>;
  before(function () {
    this.timeout(60_000);
    result = evaluate(items);
  });

  it("is the corpus the issue asks for: 600+ items, drift and not-drift about half each, every kind and genre", () => {
    assert.ok(items.length >= 600, `${items.length} items`);
    const drift = items.filter((i) => i.d === 1).length;
    assert.ok(drift / items.length > 0.4 && drift / items.length < 0.6, `${drift} of ${items.length} are drift`);
    for (const k of KINDS) assert.ok(items.filter((i) => i.k === k && i.d === 1).length >= 20 && items.filter((i) => i.k === k && i.d === 0).length >= 20, k);
    for (const g of ["planning", "pr", "adr", "status", "list", "table", "field"]) assert.ok(items.filter((i) => i.g === g).length >= 10, g);
  });

  it(`F1 overall stays at or above ${FLOOR.all}`, () => {
    const m = prf(result.total);
    assert.ok(m.f1 >= FLOOR.all, `F1 ${m.f1.toFixed(3)} (precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)}): run npm run eval:drift for the misses`);
  });

  for (const k of KINDS) {
    it(`F1 on ${k} claims stays at or above ${FLOOR[k]}`, () => {
      const m = prf(result.byKind[k]);
      assert.ok(m.f1 >= FLOOR[k], `${k}: F1 ${m.f1.toFixed(3)} (precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)})`);
    });
  }
});
