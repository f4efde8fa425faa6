// Generates a synthetic, deterministic CTO child workspace for the benchmark: a PRD, N planning
// docs holding M `### CTO-WORK-NNNN - Title` issues between them, and a WORKBOARD.yaml listing
// every doc. The prose imitates the seed doc (seeds/CTO-CASE-CANDIDATE-BACKEND-ISSUES.md):
// candidate, negated, conditional and earned wording the validator must accept, and on about
// 2% of the docs one drift sentence ("Case is the default backend.") it must flag.
//
// Usage: node scripts/bench/generate.mjs DIR [--docs 1000] [--issues 5000] [--seed 20260531]
import { mkdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { pathToFileURL } from "node:url";

/** The clock the generated dates are valid against (pass it as --today / resolveOptions). */
export const BENCH_TODAY = "2026-06-30";
export const PRD_PATH = ".sot/03-PROTOCOLS/CTO-CASE-CANDIDATE-BACKEND-PRD.md";
export const DISCLAIMER = "Local planning SOT only. Not a Core Protocol. Not active Core authority.";

/** mulberry32: a small, fast, seeded PRNG (deterministic across Node versions). */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (arr) => arr[Math.floor(next() * arr.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

// ---------------------------------------------------------------------------------------------
// Vocabulary. Neutral sentences are assembled from parts; authority sentences are fixed lists.

const SUBJECTS = [
  "The harness", "The adapter contract", "Each evidence bundle", "The failure fixture matrix", "The reviewer",
  "The source admission record", "This stage", "The eligibility decision", "The sandbox copy", "The validator",
  "The run report", "The approver", "Every fixture row", "The trace log", "The stage gate record",
  "The fake engine", "The Codex adapter", "The Pi adapter", "The task file", "The digest manifest",
];
const VERBS = [
  "records", "names", "checks", "lists", "keeps", "captures", "pins", "describes", "compares", "verifies",
  "writes", "links", "hashes", "summarizes", "rejects",
];
const OBJECTS = [
  "the run start and run end", "every changed file", "the SHA-256 digest of each artifact", "the pinned commit or tag",
  "the allowed mutation scope", "the backend exit code", "the normalized event stream", "the blocker reason",
  "the retrieval command and retrieval date", "the protected-source boundary", "the test log", "the patch diff",
  "the risk class", "the escalation path", "the license note", "the denied backends", "the freshness proof",
  "the reviewer verdict", "the approval requests", "the integrity hash",
];
const TAILS = [
  "before the next stage opens", "for every run", "in `report.json`", "without touching the source repo",
  "so a reviewer can replay it", "next to the raw backend logs", "in the evidence bundle", "for the fixture matrix",
  "with a fresh timestamp", "against the task's allowed files", "in `events.normalized.jsonl`",
  "as a planning-only record", "for the copied-repo fixture", "on the disposable sandbox repo", "per stage gate",
];
/** Accepted authority wording: candidate, negated, conditional, earned, or a mention. */
const ACCEPTED = [
  "Case stays a candidate backend until every staged gate has fresh, verified evidence.",
  "Default status is earned, not assumed.",
  "Candidate default requires comparison against fake, Codex, and Pi on the same tasks.",
  "This record is not a Core Protocol and carries no Core authority.",
  "Case may recommend but cannot approve itself.",
  "Case becomes the default only if the candidate-default gate passes with verified bundles.",
  "Validation remains planning-only and does not claim backend readiness.",
  "The candidate backend runs only after its source admission record validates.",
  "An approval that comes from the engine's own stream is recorded as `self_approval`.",
  "Nothing in this doc is promoted; `core_promotion_status` stays `not-promoted`.",
  "The validator rejects a plain default-backend claim.",
  "Case is not the default backend, and it is not ready for production.",
];
/** Drift: a plain claim the validator must flag (authority-drift). */
export const DRIFT = [
  "Case is the default backend.",
  "This is a Core Protocol.",
  "Make case the default engine for every repo.",
  "This plan has active Core authority.",
  "Case approves its own pull requests.",
];

const TOPICS = [
  "Harness Evidence", "Source Admission", "Adapter Eligibility", "Failure Fixture", "Stage Gate", "Sandbox Isolation",
  "Approval Policy", "Reviewer Policy", "Digest Manifest", "Freshness Proof", "Event Normalization", "Trace Capture",
  "Task File", "Copied Repo", "Owned Noncritical Repo", "Candidate Default", "Gated Engine", "Artifact Write",
  "Provider Availability", "Timeout Handling",
];
const NOUNS = ["Contract", "Record", "Matrix", "Check", "Coverage", "Decision", "Interface", "Fixture", "Review", "Gate", "Plan", "Schema"];
const CRITERIA = [
  "`report.json` names {o}.",
  "Contract requires {o} {t}.",
  "Validator checks {o} {t}.",
  "Each row names {o}.",
  "{S} {v} {o} {t}.",
  "Record includes {o} and {o2}.",
  "Fixture fails closed when {o} is missing.",
  "Stage names {o}, {o2}, and the promotion condition.",
];
const ALLOWED = [
  "CTO child workspace planning docs only.",
  "CTO child workspace planning docs and local validator only.",
  "`src/harness/**`, `test/harness/**` and the planning docs.",
  "Planning docs under `.sot/03-PROTOCOLS/` only.",
];
const EVIDENCE = [
  "validator JSON, clean worktree, commit.",
  "contract artifact, validator JSON, clean worktree, commit.",
  "fixture bundle, `SHA256SUMS`, validator JSON, commit.",
  "stage gate record, verified evidence bundle, commit.",
];
const OWNERS = ["jp", "ana", "kim", "lee", "sam"];
const STATUS = ["draft", "draft", "active", "review"];

function cap(s) {
  return s[0].toUpperCase() + s.slice(1);
}

/** One neutral sentence. */
export function neutralSentence(r) {
  return `${r.pick(SUBJECTS)} ${r.pick(VERBS)} ${r.pick(OBJECTS)} ${r.pick(TAILS)}.`;
}

/** A prose sentence: mostly neutral, sometimes accepted authority wording. */
export function proseSentence(r) {
  return r.chance(0.25) ? r.pick(ACCEPTED) : neutralSentence(r);
}

function criterion(r) {
  const o = r.pick(OBJECTS);
  let o2 = r.pick(OBJECTS);
  if (o2 === o) o2 = OBJECTS[(OBJECTS.indexOf(o) + 1) % OBJECTS.length];
  const text = r.pick(CRITERIA)
    .replace("{S}", r.pick(SUBJECTS))
    .replace("{v}", r.pick(VERBS))
    .replace("{o}", o)
    .replace("{o2}", o2)
    .replace("{t}", r.pick(TAILS));
  return cap(text);
}

function title(r) {
  return `${r.pick(TOPICS)} ${r.pick(NOUNS)}`;
}

export function issueId(n) {
  return `CTO-WORK-${String(n).padStart(4, "0")}`;
}

function addDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------

function prdText() {
  return `---
name: cto-case-candidate-backend-prd
tier: local
status: draft
owner: jp
created: 2026-05-28
last_reviewed: 2026-05-30
lifecycle_classification: planning
core_promotion_status: not-promoted
description: Child-local PRD for evaluating Case as a candidate CTO backend through staged, evidenced gates.
---

# CTO Case Candidate Backend PRD

${DISCLAIMER}

## Problem

We run AI coding agents through one harness: \`fake\` for scripted fixtures, and \`codex\` and \`pi\` for real work. Case is a harness of its own that promises more reliable agent-authored pull requests. We want to find out whether it deserves a place next to our existing engines.

Case stays a candidate backend, every step is recorded in a planning doc, and each stage needs fresh, verified evidence before the next one opens.

## User Stories

1. As a CTO, I want the planning validator to fail when the PRD or the issue artifact is missing.
2. As a reviewer, I want every run to leave an evidence bundle I can verify.
3. As an operator, I want a gated engine to run only when explicitly enabled.
4. As a CTO, I want default status to be earned, not assumed.

## Out Of Scope

Promotion to Core. This workspace is not a Core Protocol and holds no Core authority.
`;
}

/**
 * Writes the workspace into `dir` (created if needed) and returns what it wrote.
 * @returns {{ root: string, prd: string, docs: {path: string, name: string, issues: string[], drift: boolean}[],
 *   issueCount: number, driftDocs: number, bytes: number, mdFiles: number, seed: number, today: string }}
 */
export function generateWorkspace(dir, { docs = 1000, issues = 5000, seed = 20260531, driftRate = 0.02 } = {}) {
  if (issues < docs) throw new Error("need at least one issue per doc");
  const r = prng(seed);
  const firstDocId = 3; // CTO-WORK-0001 and -0002 live only in WORKBOARD.yaml, as in the seed
  // Every doc gets one issue; the rest are spread at random.
  const counts = new Array(docs).fill(1);
  for (let i = docs; i < issues; i++) counts[Math.floor(r.next() * docs)]++;
  // About driftRate of the docs get one drift sentence; the exact set is seeded.
  const driftCount = Math.max(1, Math.round(docs * driftRate));
  const driftSet = new Set();
  while (driftSet.size < driftCount) driftSet.add(r.int(0, docs - 1));

  let bytes = 0;
  const write = (rel, text) => {
    const abs = join(dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    bytes += Buffer.byteLength(text);
  };

  write(PRD_PATH, prdText());

  const out = [];
  let next = firstDocId;
  for (let d = 0; d < docs; d++) {
    const area = String(Math.floor(d / 50) + 1).padStart(2, "0");
    const num = String(d + 1).padStart(4, "0");
    const t = title(r);
    const slug = t.toUpperCase().replace(/[^A-Z0-9]+/g, "-");
    const path = `.sot/03-PROTOCOLS/area-${area}/CTO-CASE-${slug}-${num}.md`;
    const name = `cto-case-${slug.toLowerCase()}-${num}`;
    const created = addDays("2026-06-01", r.int(0, 18));
    const reviewed = addDays(created, r.int(0, 8));
    const drift = driftSet.has(d);
    const driftSentence = drift ? DRIFT[d % DRIFT.length] : undefined;
    // Where the drift sentence goes: the intro paragraph or one issue's "What to build".
    const driftInIssue = drift && r.chance(0.5) ? r.int(0, counts[d] - 1) : -1;

    const lines = [
      "---",
      `name: ${name}`,
      "tier: local",
      `status: ${r.pick(STATUS)}`,
      `owner: ${r.pick(OWNERS)}`,
      `source: ${PRD_PATH}`,
      `created: ${created}`,
      `last_reviewed: ${reviewed}`,
      "lifecycle_classification: planning",
      "core_promotion_status: not-promoted",
      `description: Child-local ${t.toLowerCase()} for evaluating Case as a candidate CTO backend without granting Core authority.`,
      "---",
      "",
      `# CTO Case ${t} ${num}`,
      "",
      DISCLAIMER,
      "",
    ];
    const intro = Array.from({ length: r.int(2, 4) }, () => proseSentence(r));
    if (drift && driftInIssue < 0) intro.splice(r.int(0, intro.length), 0, driftSentence);
    lines.push(intro.join(" "), "", "## Issue Sequence", "");

    const ids = [];
    for (let k = 0; k < counts[d]; k++) {
      const n = next++;
      const id = issueId(n);
      ids.push(id);
      let blocked = "None";
      if (n > 1 && !r.chance(0.12)) {
        const want = Math.min(n - 1, r.int(1, 3));
        const set = new Set();
        while (set.size < want) set.add(r.int(Math.max(1, n - 60), n - 1));
        blocked = [...set].sort((a, b) => a - b).map(issueId).join(", ");
      }
      const stories = [...new Set(Array.from({ length: r.int(1, 4) }, () => r.int(1, 14)))].sort((a, b) => a - b).join(", ");
      const build = [proseSentence(r)];
      if (r.chance(0.5)) build.push(proseSentence(r));
      if (k === driftInIssue) build.push(driftSentence);
      lines.push(
        `### ${id} - ${title(r)}`,
        "",
        `Type: ${r.chance(0.85) ? "AFK" : "HITL"}`,
        "",
        `Blocked by: ${blocked}`,
        "",
        `User stories covered: ${stories}`,
        "",
        `What to build: ${build.join(" ")}`,
        "",
        "Acceptance criteria:",
        "",
      );
      const nCrit = r.int(3, 6);
      for (let c = 0; c < nCrit; c++) lines.push(`- [${r.chance(0.2) ? "x" : " "}] ${criterion(r)}`);
      lines.push(
        "",
        `Allowed files: ${r.pick(ALLOWED)}`,
        "",
        "Validator: `python3 tools/validate_cto_child.py`",
        "",
        `Done evidence: ${r.pick(EVIDENCE)}`,
        "",
      );
    }
    if (r.chance(0.4)) lines.push("## Granularity Check", "", Array.from({ length: r.int(1, 3) }, () => proseSentence(r)).join(" "), "");
    write(path, lines.join("\n"));
    out.push({ path, name, issues: ids, drift });
  }

  const wb = [
    "# CTO child workspace: synthetic benchmark workspace (generated by scripts/bench/generate.mjs).",
    "# Local planning only.",
    "",
    "workspace:",
    "  name: cto-bench",
    "  owner: jp",
    "  scope: planning-only",
    "",
    "docs:",
    `  - path: ${PRD_PATH}`,
    "    name: cto-case-candidate-backend-prd",
    "    kind: prd",
    ...out.flatMap((d) => [`  - path: ${d.path}`, `    name: ${d.name}`, "    kind: issues"]),
    "",
    "work:",
    "  - id: CTO-WORK-0001",
    "    title: Child workspace bootstrap",
    "    status: done",
    "    blocked_by: []",
    "  - id: CTO-WORK-0002",
    "    title: PRD for Case candidate backend",
    "    status: done",
    "    blocked_by: [CTO-WORK-0001]",
    "",
  ];
  write("WORKBOARD.yaml", wb.join("\n"));

  return { root: dir, prd: PRD_PATH, docs: out, issueCount: next - firstDocId, driftDocs: driftSet.size, bytes, mdFiles: docs + 1, seed, today: BENCH_TODAY };
}

/**
 * Replaces one sentence of a doc's text (a "What to build" sentence, else the intro paragraph's
 * first sentence) with a new one: the edit the re-validation figure simulates.
 */
export function editOneSentence(text, r) {
  const lines = text.split("\n");
  const candidates = [];
  for (let i = 0; i < lines.length; i++) if (lines[i].startsWith("What to build: ")) candidates.push(i);
  const replacement = r.chance(0.1) ? r.pick(DRIFT) : proseSentence(r);
  if (candidates.length > 0) {
    const i = r.pick(candidates);
    const body = lines[i].slice("What to build: ".length);
    const end = body.indexOf(". ");
    lines[i] = `What to build: ${replacement}${end >= 0 ? body.slice(end + 1) : ""}`;
  } else {
    const i = lines.indexOf(DISCLAIMER) + 2;
    lines[i] = `${replacement} ${lines[i]}`;
  }
  return lines.join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { parseArgs } = await import("node:util");
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { docs: { type: "string" }, issues: { type: "string" }, seed: { type: "string" } },
  });
  if (positionals.length !== 1) {
    process.stderr.write("usage: node scripts/bench/generate.mjs DIR [--docs N] [--issues N] [--seed N]\n");
    process.exit(2);
  }
  const res = generateWorkspace(positionals[0], {
    docs: values.docs ? Number(values.docs) : undefined,
    issues: values.issues ? Number(values.issues) : undefined,
    seed: values.seed ? Number(values.seed) : undefined,
  });
  process.stdout.write(`${JSON.stringify({ root: res.root, docs: res.docs.length, issues: res.issueCount, drift_docs: res.driftDocs, bytes: res.bytes, today: res.today })}\n`);
}
