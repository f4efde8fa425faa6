// fixtures/ladder as committed: a workspace in which nothing is earned yet. It validates with no
// finding (on the fixtures' pinned today), its admission record pins the stand-in it ships
// (tools/ca) by hash, and `cto gates` shows all six gates not passed, each for the right reason —
// what is missing, never a broken record or task set. npm run demo:ladder walks a copy of it
// (test/engines/ladder.test.ts).
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../src/cli/main";
import type { CliIo } from "../../src/cli/io";
import { FIXTURES, SEED_REL, TODAY } from "./helpers";

const LADDER = path.join(FIXTURES, "ladder");

async function cto(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env: Record<string, string> = process.env.CTO_SIGNING_KEY ? { CTO_SIGNING_KEY: process.env.CTO_SIGNING_KEY } : {};
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: FIXTURES, env };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface Gate {
  id: string;
  state: string;
  summary: string;
  conditions: { ok: boolean; text: string }[];
  lacks: string[];
}

const needsRow = (row: string, id?: string) => `needs a fresh, verified, signed bundle reproducing matrix row '${row}'${id ? ` (${id})` : ""}`;
const needsRun = (task: string, extra = "") => `task ${task}: needs a new run (no run of case on it yet): cto run --engine case --enable-gated case --task tasks/${task}.yaml${extra}`;

describe("fixtures/ladder as committed: nothing earned", () => {
  let empty: string;
  before(() => {
    empty = mkdtempSync(path.join(tmpdir(), "cto-ladder-unit-"));
  });
  after(() => rmSync(empty, { recursive: true, force: true }));

  it("validates with no finding (today pinned as for every fixture)", async () => {
    const r = await cto(["validate", "ladder", "--today", TODAY, "--json"]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.findings, []);
    assert.equal(j.files.length, 11);
    for (const set of ["COPIED-REPO", "DISPOSABLE-REPO", "OWNED-REPO", "COMPARISON"]) assert.ok(j.files.includes(`.sot/03-PROTOCOLS/CTO-CASE-TASKS-${set}.md`), set);
  });

  it("holds the seed byte for byte, and its admission record pins the ca stand-in it ships by sha256", () => {
    assert.ok(readFileSync(path.join(LADDER, SEED_REL)).equals(readFileSync(path.join(FIXTURES, "workspace", SEED_REL))));
    const ca = path.join(LADDER, "tools", "ca");
    assert.ok((statSync(ca).mode & 0o111) !== 0, "tools/ca is executable");
    assert.match(readFileSync(ca, "utf8"), /THIS IS NOT CASE/);
    const admission = readFileSync(path.join(LADDER, ".sot/03-PROTOCOLS/CTO-CASE-SOURCE-ADMISSION.md"), "utf8");
    const pinned = /^Integrity hash: sha256:([0-9a-f]{64})$/m.exec(admission)?.[1];
    assert.equal(pinned, createHash("sha256").update(readFileSync(ca)).digest("hex"));
  });

  it("shows all six gates not passed, each saying what evidence it lacks (and no record or task-set problem)", async () => {
    const r = await cto(["gates", "ladder", "--json", "--runs", path.join(empty, "runs"), "--compare", path.join(empty, "compare")]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { evidence_bundles: number; gates: Gate[] };
    assert.equal(j.evidence_bundles, 0);
    const byId = Object.fromEntries(j.gates.map((g) => [g.id, g]));
    assert.deepEqual(
      j.gates.map((g) => `${g.id}: ${g.summary}`),
      [
        "gated-engine: open: 3 condition(s) unmet",
        "artificial-fixture: locked until gated-engine passes",
        "copied-repo-fixture: locked until artificial-fixture passes",
        "disposable-sandbox-repo: locked until copied-repo-fixture passes",
        "owned-noncritical-repo: locked until disposable-sandbox-repo passes",
        "candidate-default: locked until owned-noncritical-repo passes",
      ],
    );
    assert.deepEqual(byId["gated-engine"]!.lacks, [needsRow("gated engine not enabled", "engine_not_enabled"), needsRow("not admitted / not eligible", "not_eligible"), needsRow("self approval", "self_approval")]);
    // The records hold: every unmet condition is a lack of evidence.
    for (const text of ["source admission record validates", "eligibility decision validates", "eligibility decision selects case"]) assert.ok(byId["gated-engine"]!.conditions.some((c) => c.ok && c.text === text), text);
    assert.ok(byId["artificial-fixture"]!.conditions.some((c) => c.ok && c.text === "failure fixture matrix validates"));
    assert.equal(byId["artificial-fixture"]!.lacks.length, 17);
    assert.ok(byId["artificial-fixture"]!.lacks.every((l) => l.startsWith("needs a fresh, verified, signed bundle reproducing matrix row '")));
    assert.deepEqual(byId["copied-repo-fixture"]!.lacks, [needsRun("add-subtract"), needsRun("add-multiply")]);
    assert.deepEqual(byId["disposable-sandbox-repo"]!.lacks, [needsRun("add-divide", ' --sandbox-repo "$(cto sandbox-repo create --task tasks/add-divide.yaml)"')]);
    assert.deepEqual(byId["owned-noncritical-repo"]!.lacks, [needsRun("add-lower")]);
    assert.deepEqual(byId["candidate-default"]!.lacks, ["needs a comparison over the task set's 1 task(s), signed by a trusted key (cto compare)"]);
    for (const g of j.gates) assert.deepEqual(g.conditions.filter((c) => !c.ok).map((c) => c.text), g.lacks, `${g.id}: its unmet conditions are its lacks`);
  });
});
