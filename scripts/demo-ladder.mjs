// npm run demo:ladder — walks a copy of fixtures/ladder from nothing earned to all six stage
// gates passed, on signed evidence, then tampers with one bundle and shows the gate fall back.
// Every step is the real CLI (dist/cli.js) in a child process; the checks read `cto gates
// --json` after each step and stop the walk (exit 1) the moment a gate is not where it should be.
//   node scripts/demo-ladder.mjs [--json FILE] [--keep DIR] [--quiet]
//     --json FILE  also write the steps, each with its gates snapshot, as JSON (the engines test reads it)
//     --keep DIR   leave the walked workspace in DIR (new or empty), instead of deleting it
// What is real: the harness (sandbox, bubblewrap, bundles, Ed25519 signatures, verification), the
// codex and pi CLIs (pinned, installed by scripts/engines/install.mjs as `npm run test:engines`
// installs them) talking to our scripted model server on 127.0.0.1 (test/engines/support). What
// is not: `case` is the fixture's tools/ca, a scripted stand-in (NOT Case), pinned by its hash.
// The fixture is never touched: the walk copies it first. Signing uses a key made for the walk
// (or CTO_SIGNING_KEY when set), never ~/.config/cto-workbench's.
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureEngines } from "./engines/install.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist", "cli.js");
const FIXTURE = join(ROOT, "fixtures", "ladder");
const GATES = ["gated-engine", "artificial-fixture", "copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo", "candidate-default"];
const COMPARISON_SET = ".sot/03-PROTOCOLS/CTO-CASE-TASKS-COMPARISON.md";

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const JSON_OUT = opt("--json");
const KEEP = opt("--keep");
const QUIET = argv.includes("--quiet");
const say = (m = "") => {
  if (!QUIET) process.stdout.write(`${m}\n`);
};
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

class WalkError extends Error {}
const expect = (cond, msg) => {
  if (!cond) throw new WalkError(msg);
};

const t0 = Date.now();
const steps = [];
const work = mkdtempSync(join(tmpdir(), "cto-ladder-"));
let server;
let ws;
let env;
let prevStates = null;
let setupMs = 0;

/** The CLI in a child process (async: the model server lives in this process and must keep answering). */
function cto(args, { ok = [0], timeoutMs = 600_000 } = {}) {
  return new Promise((res, rej) => {
    const started = Date.now();
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ws, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("error", rej);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      const r = { code, out, err, ms: Date.now() - started };
      if (!ok.includes(code)) rej(new WalkError(`cto ${args.join(" ")}: exit ${code ?? signal} (expected ${ok.join(" or ")})\n${err.trim()}\n${out.trim().slice(0, 3000)}`));
      else res(r);
    });
  });
}

/** `cto gates --json`, reduced to what the walk checks and prints. */
async function gates() {
  const j = JSON.parse((await cto(["gates", ".", "--json"])).out);
  return j.gates.map((g) => ({ id: g.id, state: g.state, summary: g.summary, lacks: g.lacks ?? [] }));
}

/** Records a step; prints the gates as `cto gates` does whenever one of them moved. */
async function step(title, detail, want) {
  const g = await gates();
  const states = Object.fromEntries(g.map((x) => [x.id, x.state]));
  steps.push({ title, detail, ms: Date.now() - t0, gates: g });
  say(`• ${title}${detail ? `: ${detail}` : ""}`);
  for (const [id, state] of Object.entries(want)) expect(states[id] === state, `after "${title}": ${id} is ${states[id]}, expected ${state} (${g.find((x) => x.id === id)?.summary}; lacks: ${g.find((x) => x.id === id)?.lacks.join(" | ") || "nothing"})`);
  const moved = !prevStates || GATES.some((id) => prevStates[id] !== states[id]);
  if (moved) {
    const text = (await cto(["gates", "."])).out.trimEnd().split("\n");
    say(text.map((l) => `    ${l}`).join("\n"));
  }
  prevStates = states;
  return g;
}

const lacksOf = (g, id) => g.find((x) => x.id === id).lacks.join(" | ");
const bundleOf = (r) => JSON.parse(r.out).bundle;
const rel = (p) => relative(ws, p) || ".";

/**
 * Our scripted model server and the engines' home and environment (TypeScript, test/engines/support:
 * the engines suite and the workbench walk use the same two files), bundled for this process.
 */
async function loadSupport() {
  const dir = join(work, "support");
  const files = ["modelServer", "engineHome"];
  await build({ bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", entryPoints: files.map((f) => join(ROOT, "test", "engines", "support", `${f}.ts`)), outdir: dir, outExtension: { ".js": ".cjs" } });
  const req = createRequire(import.meta.url);
  return Object.assign({}, ...files.map((f) => req(join(dir, `${f}.cjs`))));
}

async function walk() {
  expect(existsSync(CLI), `${CLI} is missing: run npm run build first`);
  say(`Walking the ladder: a copy of ${relative(ROOT, FIXTURE)}, the real dist/cli.js in child processes.`);

  // Setup: the pinned real CLIs, the model server, a signing key, the copy.
  const engines = ensureEngines({ log: (m) => say(`  ${m}`) });
  const support = await loadSupport();
  server = await support.startModelServer({ mode: "script" });
  const key = process.env.CTO_SIGNING_KEY || join(work, "signing-key.pem");
  if (!process.env.CTO_SIGNING_KEY) writeFileSync(key, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  if (KEEP) {
    mkdirSync(KEEP, { recursive: true });
    expect(readdirSync(KEEP).length === 0, `--keep ${KEEP}: the folder is not empty`);
    ws = resolve(KEEP);
  } else ws = join(work, "workspace");
  cpSync(FIXTURE, ws, { recursive: true });
  const ca = join(ws, "tools", "ca");
  // Only what the walk needs (never the caller's API keys, CODEX_HOME or PI_CODING_AGENT_DIR).
  env = support.engineEnv({
    home: support.writeEngineHome(join(work, "home"), server.port),
    codex: engines.codex.bin,
    pi: engines.pi.bin,
    caseCommand: ca,
    signingKey: key,
    modelKey: "sk-local-demo",
  });
  // Gated engines run only with OS isolation: without it no case bundle counts, so say so first.
  const probe = JSON.parse((await cto(["engines", "--json"], { ok: [0, 1] })).out);
  const isolation = probe.engines.find((e) => e.id === "fake")?.isolation;
  expect(isolation && isolation !== "none", `no OS isolation here (cto engines: isolation ${isolation}): case is a gated engine and its runs count only when isolated; install bubblewrap (apt-get install bubblewrap) and run again`);
  say(`  workspace: ${ws}; isolation: ${isolation}${process.getuid?.() === 0 ? " (running as root)" : ""}`);
  say(`  codex ${engines.codex.version}, pi ${engines.pi.version} (real CLIs) → model server 127.0.0.1:${server.port}; case → tools/ca (a scripted stand-in, NOT Case, sha256 ${createHash("sha256").update(readFileSync(ca)).digest("hex").slice(0, 12)}…)`);
  say();
  setupMs = Date.now() - t0;

  // 0. Nothing earned.
  const v = await cto(["validate", ".", "--json"]);
  const vj = JSON.parse(v.out);
  expect(vj.summary.errors === 0, `cto validate found errors: ${JSON.stringify(vj.findings.filter((f) => f.severity === "error"))}`);
  const warned = [...new Set(vj.findings.map((f) => f.rule))].join(", ");
  await step("nothing earned yet", `cto validate: 0 errors, ${vj.summary.warnings} warning(s)${warned ? ` (${warned})` : ""}; no bundle, no review, no comparison`, {
    "gated-engine": "open",
    "artificial-fixture": "locked",
    "copied-repo-fixture": "locked",
    "disposable-sandbox-repo": "locked",
    "owned-noncritical-repo": "locked",
    "candidate-default": "locked",
  });

  // 1. gated-engine: the gating rows of the failure matrix.
  const gating = ["gated engine not enabled", "not admitted / not eligible", "self approval"];
  const f1 = await cto(["fixtures", ...gating, "--workspace", ".", "--json"]);
  const r1 = JSON.parse(f1.out);
  expect(r1.ok && r1.rows.length === 3, `cto fixtures (the gating rows) did not match: ${f1.out.slice(0, 2000)}`);
  await step("gated-engine", `cto fixtures "${gating.join('" "')}": case refused before anything runs (engine_not_enabled, not_eligible), and an engine approving itself is blocked (self_approval) — ${r1.rows.length} signed bundles in ${secs(f1.ms)}`, { "gated-engine": "passed", "artificial-fixture": "open", "copied-repo-fixture": "locked" });

  // 2. artificial-fixture: every row of the matrix.
  const f2 = await cto(["fixtures", "--workspace", ".", "--json"]);
  const r2 = JSON.parse(f2.out);
  expect(r2.ok, `cto fixtures (the whole matrix) did not match: ${f2.out.slice(0, 2000)}`);
  await step("artificial-fixture", `cto fixtures: all ${r2.rows.length} rows of the failure matrix reproduced, each bundle verified, in ${secs(f2.ms)}`, { "artificial-fixture": "passed", "copied-repo-fixture": "open", "disposable-sandbox-repo": "locked" });

  // 3. copied-repo-fixture: case on each task of its set.
  const caseRun = (task, extra = []) => cto(["run", "--engine", "case", "--enable-gated", "case", "--task", `tasks/${task}.yaml`, "--json", ...extra]);
  const a = await caseRun("add-subtract");
  let g = await step("copied-repo-fixture, 1 of 2", `cto run --engine case --enable-gated case --task tasks/add-subtract.yaml: pass (${rel(bundleOf(a))}, ${secs(a.ms)})`, { "copied-repo-fixture": "open" });
  expect(/add-multiply: needs a new run/.test(lacksOf(g, "copied-repo-fixture")), `copied-repo-fixture should still lack add-multiply: ${lacksOf(g, "copied-repo-fixture")}`);
  const firstBundle = bundleOf(a);
  const m = await caseRun("add-multiply");
  await step("copied-repo-fixture, 2 of 2", `case on add-multiply: pass (${rel(bundleOf(m))}, ${secs(m.ms)})`, { "copied-repo-fixture": "passed", "disposable-sandbox-repo": "open" });

  // 4. disposable-sandbox-repo: a run on the repo itself does not count; one on a throwaway repo does.
  const d0 = await caseRun("add-divide");
  g = await step("disposable-sandbox-repo, on calc itself", `case on add-divide: pass (${rel(bundleOf(d0))}), but not on a throwaway repo, so it does not count here`, { "disposable-sandbox-repo": "open" });
  expect(/not on a throwaway repo/.test(lacksOf(g, "disposable-sandbox-repo")), `disposable-sandbox-repo should say the run was not on a throwaway repo: ${lacksOf(g, "disposable-sandbox-repo")}`);
  say(`  ⇒ ${lacksOf(g, "disposable-sandbox-repo")}`);
  const sb = (await cto(["sandbox-repo", "create", "--task", "tasks/add-divide.yaml"])).out.trim();
  expect(existsSync(join(sb, ".git", "cto-sandbox-repo.json")), `cto sandbox-repo create made no signed marker in ${sb}`);
  const d1 = await caseRun("add-divide", ["--sandbox-repo", sb]);
  rmSync(sb, { recursive: true, force: true }); // "created for this gate and deleted afterwards"
  const d1b = bundleOf(d1);
  const reviewed = readFileSync(join(d1b, "events.normalized.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === "review.approved");
  expect(reviewed?.source === "reviewer" && /^command:/.test(String(reviewed.data?.by)), `the run's reviewer command should approve the patch: ${JSON.stringify(reviewed)}`);
  await step("disposable-sandbox-repo, on a throwaway repo", `cto sandbox-repo create → ${sb} (signed marker); case on add-divide there: pass, clean start and end, the task's reviewer command approved the patch; the throwaway repo deleted`, { "disposable-sandbox-repo": "passed", "owned-noncritical-repo": "open" });

  // 5. owned-noncritical-repo: a person reviews the patch (and an engine cannot).
  const o = await caseRun("add-lower");
  const ob = bundleOf(o);
  g = await step("owned-noncritical-repo, the run", `case on add-lower (textutils): pass (${rel(ob)}); its patch waits for a person's review`, { "owned-noncritical-repo": "open" });
  expect(/needs a person's review/.test(lacksOf(g, "owned-noncritical-repo")), `owned-noncritical-repo should wait for a review: ${lacksOf(g, "owned-noncritical-repo")}`);
  say(`  ⇒ ${lacksOf(g, "owned-noncritical-repo")}`);
  const self = await cto(["review", ob, "--approve", "--by", "case"], { ok: [2] });
  say(`  cto review --by case: refused (exit 2: ${self.err.trim().split("\n")[0]})`);
  const rv = await cto(["review", ob, "--approve", "--by", "Jane Reviewer", "--email", "jane@example.com", "--note", "lower() does what the task asks; nothing else changed"]);
  await step("owned-noncritical-repo, the review", `cto review --approve --by "Jane Reviewer": ${rv.out.trim().split("\n")[0]}`, { "owned-noncritical-repo": "passed", "candidate-default": "open" });

  // 6. candidate-default: case, fake and the real codex and pi on the same task, compared.
  const before = server.requests.length;
  const c = await cto(["compare", "--task-set", COMPARISON_SET, "--enable-gated", "case", "--json"], { timeoutMs: 900_000 });
  const cmp = JSON.parse(c.out);
  const cells = cmp.cells.map((x) => `${x.engine}: ${x.status}${x.blockers.length ? ` ${x.blockers.join(",")}` : ""} (${x.verdict})`);
  expect(cmp.cells.length === 4 && cmp.cells.every((x) => x.status === "pass" && x.verdict === "verified"), `every engine should pass, verified: ${cells.join("; ")}`);
  const asked = server.requests.slice(before).map((q) => q.path);
  expect(asked.some((p) => p.endsWith("/responses")) && asked.some((p) => p.endsWith("/chat/completions")), `the real codex (Responses API) and pi (Chat Completions) should both have called the model server: ${asked.join(", ")}`);
  g = await step("candidate-default", `cto compare (case, fake, codex ${engines.codex.version}, pi ${engines.pi.version}; ${asked.length} model requests) in ${secs(c.ms)}: ${cells.join("; ")}`, Object.fromEntries(GATES.map((id) => [id, "passed"])));

  // 7. Tamper with one bundle: the gate it counted for falls back, and every gate after it locks.
  const undo = await tamper(firstBundle, "the first case run of copied-repo-fixture");
  g = await step("tampered: a copied-repo-fixture bundle", `one byte of ${rel(firstBundle)}/patch.diff flipped; cto verify: exit 3 (tampered)`, {
    "gated-engine": "passed",
    "artificial-fixture": "passed",
    "copied-repo-fixture": "open",
    "disposable-sandbox-repo": "locked",
    "owned-noncritical-repo": "locked",
    "candidate-default": "locked",
  });
  let why = lacksOf(g, "copied-repo-fixture");
  expect(/add-subtract/.test(why) && /failing verification/.test(why), `copied-repo-fixture should say add-subtract's bundle fails verification: ${why}`);
  say(`  ⇒ copied-repo-fixture fell back to open, and every gate after it locked: ${why}`);
  undo();
  await step("restored", `the byte put back: ${rel(firstBundle)} verifies again, and the same evidence counts again`, Object.fromEntries(GATES.map((id) => [id, "passed"])));

  // 8. Tamper with a bundle the comparison names: candidate-default re-verifies it when read.
  const cmpDir = join(ws, ".cto", "compare", readdirSync(join(ws, ".cto", "compare"))[0]);
  const caseCell = JSON.parse(readFileSync(join(cmpDir, "comparison.json"), "utf8")).cells.find((x) => x.engine === "case");
  const caseBundle = join(cmpDir, caseCell.bundle);
  const undo2 = await tamper(caseBundle, "case's bundle in the comparison");
  g = await step("tampered: the comparison's case bundle", `one byte of ${rel(caseBundle)}/patch.diff flipped; cto verify: exit 3 (tampered)`, { ...Object.fromEntries(GATES.slice(0, 5).map((id) => [id, "passed"])), "candidate-default": "open" });
  why = lacksOf(g, "candidate-default");
  expect(/case/.test(why) && /tamper/.test(why), `candidate-default should name case's tampered cell: ${why}`);
  say(`  ⇒ candidate-default fell back to open (gates 1–5 stand): ${why}`);
  undo2();
  await step("restored", `the byte put back: all six gates pass again`, Object.fromEntries(GATES.map((id) => [id, "passed"])));
}

/** Flips one byte of a bundle's patch.diff (an added line's "m" → "M"), checks cto verify says tampered; returns the undo. */
async function tamper(bundle, what) {
  const target = join(bundle, "patch.diff");
  const original = readFileSync(target);
  const flipped = Buffer.from(original);
  const at = flipped.indexOf("+module.exports");
  expect(at >= 0, `no added line to flip in ${target} (${what})`);
  flipped[at + 1] ^= 0x20;
  writeFileSync(target, flipped);
  const r = await cto(["verify", bundle, "--json"], { ok: [3] });
  expect(JSON.parse(r.out).verdict === "tampered", `cto verify ${bundle} should say tampered: ${r.out.slice(0, 500)}`);
  return () => writeFileSync(target, original);
}

// Interrupted: leave no temp folder behind (the children get the same signal from the terminal).
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}

let failure = null;
try {
  await walk();
} catch (e) {
  failure = e;
} finally {
  await server?.close();
}
const total = Date.now() - t0;
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ ok: !failure, error: failure ? String(failure.message) : null, wall_ms: total, setup_ms: setupMs, workspace: KEEP ? ws : null, steps }, null, 2) + "\n");
rmSync(work, { recursive: true, force: true }); // with --keep the walked workspace is in KEEP, outside `work`
if (failure) {
  process.stderr.write(`\ndemo:ladder FAILED after ${secs(total)}: ${failure instanceof WalkError ? failure.message : failure.stack}\n`);
  process.exit(1);
}
say();
// Where the time went: each step's share (its commands and the `cto gates` reads after it).
let last = setupMs;
say(`Time: setup ${secs(setupMs)}; ${steps.map((s) => { const d = s.ms - last; last = s.ms; return `${s.title} ${secs(d)}`; }).join("; ")}.`);
say(`All six gates passed on signed evidence, the fall back shown, in ${secs(total)} (wall).`);
