// The harness's outside, exactly as CONTRACT §4 states it: blocker ids, their
// characteristic events, statuses and exit codes, artifact names, schema ids.
// Everything else in src/harness reads these tables instead of repeating literals.

export const REPORT_SCHEMA = "cto.report/v1";
export const EVENT_SCHEMA = "cto.event/v1";

export type RunStatus = "pass" | "fail" | "blocked" | "error";

/** One row of the failure fixture matrix. Order = exit-code precedence. */
export interface BlockerRow {
  id: BlockerId;
  event: string;
  status: Exclude<RunStatus, "pass">;
  exit: number;
}

export const BLOCKERS = [
  { id: "no_diff", event: "diff.empty", status: "fail", exit: 10 },
  { id: "disallowed_file", event: "diff.disallowed_file", status: "fail", exit: 11 },
  { id: "tests_failed", event: "tests.failed", status: "fail", exit: 12 },
  { id: "missing_test_command", event: "tests.missing_command", status: "blocked", exit: 13 },
  { id: "missing_event", event: "events.missing", status: "fail", exit: 14 },
  { id: "reviewer_rejected", event: "review.rejected", status: "fail", exit: 15 },
  { id: "approval_denied", event: "approval.denied", status: "blocked", exit: 16 },
  { id: "timeout", event: "engine.timeout", status: "blocked", exit: 17 },
  { id: "dirty_start", event: "preflight.dirty_tree", status: "blocked", exit: 18 },
  { id: "dirty_end", event: "postflight.dirty_tree", status: "fail", exit: 19 },
  { id: "artifact_write_failed", event: "artifact.write_failed", status: "error", exit: 20 },
  { id: "provider_unavailable", event: "engine.unavailable", status: "blocked", exit: 21 },
  { id: "engine_not_enabled", event: "engine.gated", status: "blocked", exit: 22 },
  { id: "not_eligible", event: "eligibility.denied", status: "blocked", exit: 23 },
  { id: "self_approval", event: "approval.self_granted", status: "blocked", exit: 24 },
  { id: "engine_failed", event: "engine.failed", status: "fail", exit: 25 },
] as const satisfies readonly { id: string; event: string; status: string; exit: number }[];

export type BlockerId = (typeof BLOCKERS)[number]["id"];
export const BLOCKER_IDS: readonly BlockerId[] = BLOCKERS.map((b) => b.id);

export const EXIT_PASS = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

export function blockerRow(id: BlockerId): BlockerRow {
  const row = BLOCKERS.find((b) => b.id === id);
  if (!row) throw new Error(`unknown blocker id ${id}`);
  return row as BlockerRow;
}

export interface Blocker {
  id: BlockerId;
  reason: string;
}

/**
 * The run's outcome from its blockers: the first blocker in table order decides
 * status and exit code; no blockers is the only way to pass.
 */
export function outcomeOf(blockers: readonly Blocker[]): { status: RunStatus; exit_code: number } {
  if (blockers.length === 0) return { status: "pass", exit_code: EXIT_PASS };
  let first: BlockerRow | undefined;
  for (const b of blockers) {
    const row = blockerRow(b.id);
    if (!first || row.exit < first.exit) first = row;
  }
  return { status: first!.status, exit_code: first!.exit };
}

/** Blockers in the table's order (stable): `blockers[0]` is the one that decides the exit code. */
export function sortBlockers(blockers: readonly Blocker[]): Blocker[] {
  const rank = (b: Blocker) => BLOCKER_IDS.indexOf(b.id);
  return blockers.map((b, i) => ({ b, i })).sort((x, y) => rank(x.b) - rank(y.b) || x.i - y.i).map((x) => x.b);
}

/** Artifact names (report.json `artifacts` keys) → bundle-relative paths. */
export const ARTIFACTS = {
  report: "report.json",
  report_md: "report.md",
  events: "events.normalized.jsonl",
  patch: "patch.diff",
  test_log: "test.log",
  trace: "trace.jsonl",
  raw_stdout: "raw/engine.stdout.log",
  raw_stderr: "raw/engine.stderr.log",
  manifest: "SHA256SUMS",
  /** The DSSE-signed in-toto statement over every other file (attest.ts). */
  attestation: "attestation.json",
} as const;

/**
 * Files the manifest never lists: itself, report.json (bound another way, see bundle.ts) and
 * attestation.json (it signs SHA256SUMS and report.json, so it cannot be listed in either).
 */
export const UNHASHED = new Set<string>([ARTIFACTS.manifest, ARTIFACTS.report, ARTIFACTS.attestation]);

export type EventSource = "harness" | "engine" | "approver" | "reviewer" | "tests";

export interface CtoEvent {
  schema: typeof EVENT_SCHEMA;
  run_id: string;
  seq: number;
  ts: string;
  source: EventSource;
  type: string;
  data: Record<string, unknown>;
}

export interface ChangedFile {
  path: string;
  /** added | modified | deleted | type_changed (e.g. file → symlink) */
  status: "added" | "modified" | "deleted" | "type_changed";
  /** git mode of the new side ("100644", "100755", "120000" for symlinks), absent when deleted */
  mode?: string;
}

export type IsolationKind = "bubblewrap" | "none";

export interface Report {
  schema: typeof REPORT_SCHEMA;
  run_id: string;
  engine: { id: string; version: string | null; gated: boolean; home_seeded?: string[] };
  task: { id: string; path: string; sha256: string; repo: string };
  run_start: string;
  run_end: string;
  backend_exit_code: number | null;
  changed_files: ChangedFile[];
  blockers: Blocker[];
  status: RunStatus;
  exit_code: number;
  isolation: IsolationKind;
  /** Bytes cut from bounded artifacts (artifact path → bytes not kept), when any were. */
  cut?: Record<string, number>;
  artifacts: Record<string, string>;
  digests: Record<string, string>;
  freshness: {
    repo_kind: "git" | "plain";
    repo_head: string | null;
    base_tree: string | null;
    end_tree: string | null;
    harness_version: string;
    generated_at: string;
    manifest_sha256: string;
    /** The run used a throwaway repo made by `cto sandbox-repo create` (sandboxRepo.ts): what it was made from. */
    sandbox_repo?: SandboxRepoRef;
  };
}

/** A throwaway git repo made from a task's repo, as a report names it. */
export interface SandboxRepoRef {
  /** The sandbox repo's id (from its signed marker). */
  id: string;
  /** The repo it was copied from (absolute) and that repo's HEAD and base tree then. */
  source_repo: string;
  source_head: string | null;
  source_tree: string;
  /** sha256 of the signed marker the run checked. */
  marker_sha256: string;
}
