// Evidence for the stage gates and the Evidence Runs view: every bundle under a runs folder,
// verified now (never trusted from a previous look), newest first, and — when it is a run of a
// failure-matrix fixture — which row it reproduces and whether it matches the DOC's row today.
// Nothing is stored besides the bundles themselves: fixture and match are recomputed each time.
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import type { EvidenceBundle } from "../core";
import { TMP_PREFIX } from "./bundle";
import { BUNDLE_LIMITS, listBundle, readRegularFile } from "./bundleFs";
import { ARTIFACTS, type Report } from "./contract";
import { isRowTask, listFixtureRows, type FixtureRow } from "./fixtures";
import { loadTrustStore, type TrustStore } from "./keys";
import { compareWithRow, packageFixturesDir, rowKey, type MatrixExpectation } from "./matrix";
import { verifyBundle, type RepoState, type SignatureSummary, type Verdict, type VerifyResult } from "./verify";

export interface EvidenceEntry extends EvidenceBundle {
  runStart: string;
  runEnd: string;
  durationMs: number;
  exitCode: number;
  /**
   * verified: intact, signed by a trusted key and fresh; stale: all that but not fresh; tampered:
   * fails integrity; unsigned / untrusted: intact but not signed by a key trusted here;
   * incomplete: no report.json.
   */
  verdict: Verdict | "incomplete";
  /** The signature as checked now (who signed, why trusted). */
  signatureInfo: SignatureSummary;
  /** Why it is not verified (the first problem), when it is not. */
  reason?: string;
  /** Files in the bundle folder, bundle-relative (posix), sorted. */
  artifacts: string[];
}

export interface ReadEvidenceOptions {
  /** The matrix rows (from loadMatrix): bundles of fixture runs get `fixture` and `matched`. */
  matrix?: MatrixExpectation[];
  /** Where the fixture folders are (default: the package's fixtures/harness). */
  fixturesDir?: string;
  /** Maximum bundle age for `fresh` (verifyBundle's default, 30 days, when absent). */
  maxAgeDays?: number;
  /** The keys whose signatures count (keys.ts loadTrustStore); default: the local key only. */
  trust?: TrustStore;
}

/** One bundle as read, with its report (for callers that need more than the entry, e.g. compare). */
export interface ScannedBundle {
  entry: EvidenceEntry;
  report?: Report;
}

const CONCURRENCY = 8;

/** Every bundle under `runsDir` (`.tmp-*` folders skipped), verified, newest first. */
export async function readEvidence(runsDir: string, opts: ReadEvidenceOptions = {}): Promise<EvidenceEntry[]> {
  return (await scanEvidence(runsDir, opts)).map((s) => s.entry);
}

export async function scanEvidence(runsDir: string, opts: ReadEvidenceOptions = {}): Promise<ScannedBundle[]> {
  const dir = resolve(runsDir);
  let names: string[];
  try {
    names = (await fsp.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith(TMP_PREFIX) && !d.name.startsWith(".")).map((d) => d.name);
  } catch {
    return []; // no runs folder yet: no evidence
  }
  const fixturesDir = opts.fixturesDir ?? (opts.matrix ? packageFixturesDir() : undefined);
  let folders: FixtureRow[] = [];
  if (fixturesDir) {
    try {
      folders = listFixtureRows(fixturesDir);
    } catch {
      folders = []; // no fixtures here: bundles are simply not fixture runs
    }
  }
  const repoStates = new Map<string, Promise<RepoState>>();
  const trust = opts.trust ?? loadTrustStore();
  const out: ScannedBundle[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      out[i] = await readOne(join(dir, names[i]!), names[i]!, folders, { ...opts, trust }, repoStates);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
  return out.sort((a, b) => startedAt(b.entry) - startedAt(a.entry) || (a.entry.runId < b.entry.runId ? 1 : a.entry.runId > b.entry.runId ? -1 : 0));
}

/** The run's start (ms): report.json's run_start, else the UTC time its run id starts with. */
function startedAt(e: EvidenceEntry): number {
  const t = Date.parse(e.runStart);
  if (Number.isFinite(t)) return t;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(e.runId);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!) : 0;
}

async function readOne(dir: string, name: string, folders: FixtureRow[], opts: ReadEvidenceOptions, repoStates: Map<string, Promise<RepoState>>): Promise<ScannedBundle> {
  const listing = listBundle(dir);
  const files = listing.files.map((f) => f.rel);
  const blank: EvidenceEntry = {
    runId: name,
    path: dir,
    engine: "",
    taskId: "",
    status: "error",
    blockers: [],
    verified: false,
    fresh: false,
    isolation: "none",
    gated: false,
    runStart: "",
    runEnd: "",
    durationMs: 0,
    exitCode: -1,
    verdict: "incomplete",
    signatureInfo: { state: "unsigned", keyid: null, name: null, sources: [] },
    artifacts: files,
  };
  const hasReport = files.includes(ARTIFACTS.report) || listing.odd.some((o) => o.rel === ARTIFACTS.report);
  if (!hasReport && listing.problems.length === 0) return { entry: { ...blank, reason: "no report.json: the run never committed a bundle here" } };
  let v: VerifyResult;
  try {
    v = await verifyBundle(dir, { repoStates, ...(opts.trust ? { trust: opts.trust } : {}), ...(opts.maxAgeDays !== undefined ? { maxAgeDays: opts.maxAgeDays } : {}) });
  } catch (e) {
    return { entry: { ...blank, reason: `cannot be verified: ${(e as Error).message}` } };
  }
  const first = v.problems[0];
  const reason = first ? `${first.file ? `${first.file}: ` : ""}${first.message}` : undefined;
  const r = v.report;
  if (!r) return { entry: { ...blank, verdict: "tampered", signatureInfo: v.signature, ...(reason ? { reason } : {}) } };
  const start = Date.parse(r.run_start);
  const end = Date.parse(r.run_end);
  const intact = v.verdict === "verified" || v.verdict === "stale";
  const entry: EvidenceEntry = {
    runId: r.run_id,
    path: dir,
    engine: r.engine.id,
    taskId: r.task.id,
    status: r.status,
    blockers: r.blockers.map((b) => b.id),
    verified: intact,
    fresh: v.verdict === "verified",
    ...(intact && v.signature.state === "trusted" && v.signature.name ? { signer: v.signature.name } : {}),
    signature: v.signature.state,
    isolation: r.isolation,
    gated: r.engine.gated === true,
    runStart: r.run_start,
    runEnd: r.run_end,
    durationMs: Number.isFinite(start) && Number.isFinite(end) ? end - start : 0,
    exitCode: r.exit_code,
    verdict: v.verdict,
    signatureInfo: v.signature,
    ...(reason ? { reason } : {}),
    artifacts: files,
    ...taskSetFacts(r, v),
  };
  // A pass of a gated engine may be a task-set gate's evidence: what its events say (issue 12).
  const events = intact && r.status === "pass" && entry.gated ? await eventFacts(dir) : undefined;
  if (events) {
    entry.eventTypes = events.types;
    if (events.reviewer) entry.runReviewer = events.reviewer;
  }
  // A bundle is a row's evidence only for the row's task file as it is NOW (same path, same
  // digest): a run of an edited task stops counting once the file changes back.
  const folder = folders.find((f) => typeof r.task.path === "string" && isRowTask(f, r.task.path, r.task.sha256));
  if (folder?.expect.row) {
    const row = opts.matrix?.find((m) => rowKey(m.row) === rowKey(folder.expect.row!));
    entry.fixture = row?.row ?? folder.expect.row;
    // Whether the outcome reproduces the doc's row; whether the bundle can be trusted is
    // `verified`/`fresh`/`signer` (the gates need all three).
    if (row) entry.matched = compareWithRow(row, { blocker: r.blockers[0]?.id ?? null, status: r.status, exit: r.exit_code, events: (events ?? (await eventFacts(dir))).types }).length === 0;
  }
  return { entry, report: r };
}

/** What the task-set gates read from report.json (only typed values; absent otherwise). */
function taskSetFacts(r: Report, v: VerifyResult): Partial<EvidenceEntry> {
  const f = r.freshness;
  const hex = (x: unknown): x is string => typeof x === "string" && /^[0-9a-f]{40,64}$/.test(x);
  const sb = f.sandbox_repo as Record<string, unknown> | undefined;
  return {
    ...(typeof r.task.sha256 === "string" ? { taskSha256: r.task.sha256 } : {}),
    ...(typeof r.task.path === "string" ? { taskPath: r.task.path } : {}),
    baseTree: hex(f.base_tree) ? f.base_tree : null,
    endTree: hex(f.end_tree) ? f.end_tree : null,
    changedFiles: r.changed_files.flatMap((c) => (c && typeof c === "object" && typeof c.path === "string" ? [c.path] : [])),
    ...(sb && typeof sb === "object" && typeof sb.id === "string" && typeof sb.source_repo === "string" && hex(sb.source_tree) ? { sandboxRepo: { id: sb.id, sourceRepo: sb.source_repo, sourceTree: sb.source_tree } } : {}),
    ...(v.attestationSha256 ? { attestationSha256: v.attestationSha256 } : {}),
  };
}

/**
 * The bundle's events: types in order of first appearance, and the run's own reviewer (a
 * `review.approved`/`review.rejected` from source `reviewer`). Empty when unreadable.
 */
async function eventFacts(dir: string): Promise<{ types: string[]; reviewer?: { approved: boolean; by: string } }> {
  let text: string;
  try {
    text = (await readRegularFile(join(dir, ARTIFACTS.events), { maxBytes: BUNDLE_LIMITS.maxParsedBytes })).toString("utf8");
  } catch {
    return { types: [] };
  }
  const seen = new Set<string>();
  let reviewer: { approved: boolean; by: string } | undefined;
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as { type?: unknown; source?: unknown; data?: { by?: unknown } };
      if (typeof e.type !== "string") continue;
      seen.add(e.type);
      if (e.source === "reviewer" && (e.type === "review.approved" || e.type === "review.rejected")) reviewer = { approved: e.type === "review.approved", by: typeof e.data?.by === "string" ? e.data.by : "" };
    } catch {
      /* a line that does not parse is verifyBundle's finding */
    }
  }
  return { types: [...seen], ...(reviewer ? { reviewer } : {}) };
}
