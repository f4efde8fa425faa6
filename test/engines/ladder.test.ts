// The walkable ladder end to end: `scripts/demo-ladder.mjs` (npm run demo:ladder) in a child
// process — the real dist/cli.js for every step, bubblewrap, the real codex and pi CLIs (pinned,
// installed by npm run test:engines) against our scripted model server, case as the fixture's
// tools/ca stand-in (NOT Case). The demo checks itself and exits non-zero on a deviation; this test
// does not take its word for it: it reads the `cto gates --json` snapshot of every step and holds
// it to the table below, then re-reads the walked workspace with its own `cto gates`, tampers with
// another bundle itself, and checks the fixture in the repo was never touched.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cli.js");
const FIXTURE = join(ROOT, "fixtures", "ladder");
const GATES = ["gated-engine", "artificial-fixture", "copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo", "candidate-default"] as const;

interface GateSnap {
  id: string;
  state: string;
  summary: string;
  lacks: string[];
}
interface Walk {
  ok: boolean;
  error: string | null;
  wall_ms: number;
  steps: { title: string; detail: string; gates: GateSnap[] }[];
}

/** p = passed, o = open, l = locked, one letter per gate in ladder order. */
const EXPECTED: [string, string][] = [
  ["nothing earned yet", "olllll"],
  ["gated-engine", "pollll"],
  ["artificial-fixture", "ppolll"],
  ["copied-repo-fixture, 1 of 2", "ppolll"],
  ["copied-repo-fixture, 2 of 2", "pppoll"],
  ["disposable-sandbox-repo, on calc itself", "pppoll"],
  ["disposable-sandbox-repo, on a throwaway repo", "ppppol"],
  ["owned-noncritical-repo, the run", "ppppol"],
  ["owned-noncritical-repo, the review", "pppppo"],
  ["candidate-default", "pppppp"],
  ["tampered: a copied-repo-fixture bundle", "ppolll"],
  ["restored", "pppppp"],
  ["tampered: the comparison's case bundle", "pppppo"],
  ["restored", "pppppp"],
];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => res({ code, out, err }));
  });
}

/** sha256 over every file's path, mode and bytes below dir (the fixture's fingerprint). */
function treeDigest(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else h.update(`${relative(dir, p)}\0${st.mode}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex");
}

const letters = (g: GateSnap[]) => g.map((x) => ({ passed: "p", open: "o", locked: "l" })[x.state] ?? "?").join("");
const lacks = (g: GateSnap[], id: string) => g.find((x) => x.id === id)!.lacks.join(" | ");

describe("engines: the ladder walked (npm run demo:ladder)", function () {
  this.timeout(600_000);
  let tmp: string;
  let kept: string;
  let walk: Walk;
  let fixtureBefore: string;
  const env: NodeJS.ProcessEnv = { ...process.env };

  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first`);
    tmp = mkdtempSync(join(tmpdir(), "cto-ladder-test-"));
    kept = join(tmp, "walked");
    fixtureBefore = treeDigest(FIXTURE);
    const r = await run(process.execPath, [join(ROOT, "scripts", "demo-ladder.mjs"), "--json", join(tmp, "walk.json"), "--keep", kept], env);
    walk = JSON.parse(readFileSync(join(tmp, "walk.json"), "utf8")) as Walk;
    assert.equal(r.code, 0, `demo:ladder failed: ${walk.error ?? ""}\n${r.err}\n${r.out.slice(-4000)}`);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("moves every gate through its states, step by step, to all six passed and back after each tamper", () => {
    assert.equal(walk.ok, true, walk.error ?? "");
    assert.deepEqual(
      walk.steps.map((s) => `${s.title}: ${letters(s.gates)}`),
      EXPECTED.map(([t, l]) => `${t}: ${l}`),
    );
    for (const s of walk.steps) assert.deepEqual(s.gates.map((g) => g.id), [...GATES]);
  });

  it("each step says why a gate is not passed: the missing run, the throwaway repo, the review, the tampered bundle", () => {
    const at = (title: string, n = 0) => walk.steps.filter((s) => s.title === title)[n]!.gates;
    assert.match(lacks(at("copied-repo-fixture, 1 of 2"), "copied-repo-fixture"), /^task add-multiply: needs a new run \(no run of case on it yet\)/);
    assert.match(lacks(at("disposable-sandbox-repo, on calc itself"), "disposable-sandbox-repo"), /run on the task's own repo, not on a throwaway repo/);
    assert.match(lacks(at("owned-noncritical-repo, the run"), "owned-noncritical-repo"), /^task add-lower: needs a person's review of the patch in run /);
    assert.match(lacks(at("owned-noncritical-repo, the review"), "candidate-default"), /needs a comparison over the task set's 1 task\(s\)/);
    assert.match(lacks(at("tampered: a copied-repo-fixture bundle"), "copied-repo-fixture"), /^task add-subtract: needs a new run \(1 bundle\(s\) failing verification\)/);
    assert.match(lacks(at("tampered: the comparison's case bundle"), "candidate-default"), /case × compare-subtract: tampered/);
    for (const s of walk.steps.filter((x) => /^(candidate-default|restored)$/.test(x.title))) assert.deepEqual(s.gates.map((g) => g.lacks), GATES.map(() => []), s.title);
  });

  it("the walked workspace, read again by a cto gates of our own: all six passed on verified, signed evidence", async () => {
    const r = await run(process.execPath, [CLI, "gates", kept, "--json"], env);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.gates.map((g: GateSnap) => `${g.id}:${g.state}`), GATES.map((id) => `${id}:passed`));
    assert.equal(j.evidence.tampered, 0);
    assert.equal(j.evidence.verified, j.evidence_bundles);
    const cd = j.gates.find((g: GateSnap) => g.id === "candidate-default");
    assert.deepEqual(cd.comparison.totals.map((t: { engine: string; passed: number; tasks: number }) => `${t.engine} ${t.passed}/${t.tasks}`), ["case 1/1", "fake 1/1", "codex 1/1", "pi 1/1"]);
    const runs = readdirSync(join(kept, ".cto", "runs")).filter((n) => !n.startsWith("."));
    const reports = runs.map((n) => JSON.parse(readFileSync(join(kept, ".cto", "runs", n, "report.json"), "utf8")));
    const caseRuns = reports.filter((x) => x.engine.id === "case" && x.status === "pass");
    assert.ok(caseRuns.length >= 5 && caseRuns.every((x) => x.isolation !== "none"), "every case pass ran isolated");
  });

  it("a bundle we tamper with ourselves (the owned repo's run) drops owned-noncritical-repo and locks candidate-default", async () => {
    const runsDir = join(kept, ".cto", "runs");
    const owned = readdirSync(runsDir).filter((n) => !n.startsWith(".")).find((n) => JSON.parse(readFileSync(join(runsDir, n, "report.json"), "utf8")).task.id === "add-lower")!;
    const md = join(runsDir, owned, "report.md");
    const bytes = readFileSync(md);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 2] ^= 0x01;
    writeFileSync(md, flipped);
    try {
      const r = await run(process.execPath, [CLI, "gates", kept, "--json"], env);
      const j = JSON.parse(r.out);
      assert.deepEqual(j.gates.map((g: GateSnap) => g.state), ["passed", "passed", "passed", "passed", "open", "locked"]);
      assert.match(lacks(j.gates, "owned-noncritical-repo"), /task add-lower: needs a new run \(1 bundle\(s\) failing verification\)/);
    } finally {
      writeFileSync(md, bytes);
    }
  });

  it("never touches the committed fixture", () => {
    assert.equal(treeDigest(FIXTURE), fixtureBefore);
    assert.ok(!existsSync(join(FIXTURE, ".cto", "runs")) && !existsSync(join(FIXTURE, ".cto", "compare")), "no runs or comparisons in the fixture");
  });
});
