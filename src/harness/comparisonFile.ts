// A comparison as evidence (CONTRACT §5, candidate-default): a folder holding
//   comparison.json   the comparison (engines × tasks, one cell per engine × task),
//   comparison.md     the same for people,
//   attestation.json  a DSSE envelope (attest.ts, the one signing scheme) over an in-toto
//                     Statement v1 whose predicate is the comparison, predicateType
//                     COMPARISON_PREDICATE_TYPE, and whose subjects are comparison.md and every
//                     bundle the comparison names — `bundle:<run_id>`, digest: the sha256 of that
//                     bundle's own attestation.json (which signs every file of the bundle).
// So the comparison cannot be edited without the key, and it pins each bundle byte for byte;
// whoever reads it still re-verifies every bundle (comparisonEvidence.ts): the file is a list of
// evidence, the bundles are the evidence.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, posix, relative, resolve, sep } from "node:path";
import { checkEnvelope, STATEMENT_TYPE, signStatement, type SignatureState, type SignedStatement } from "./attest";
import { writeFileAtomic } from "./atomic";
import { canonical } from "./bundle";
import { BUNDLE_LIMITS, readRegularFile, UnsafeFileError } from "./bundleFs";
import { ARTIFACTS } from "./contract";
import { sha256Hex } from "./digest";
import type { SigningKey, TrustStore } from "./keys";
import type { Verdict } from "./verify";

export const COMPARISON_SCHEMA = "cto.comparison/v2";
export const COMPARISON_PREDICATE_TYPE = "https://cto-workbench.dev/comparison/v1";
export const COMPARISON_FILES = { json: "comparison.json", md: "comparison.md", attestation: "attestation.json" } as const;
/** The subject that names a bundle: `bundle:<run_id>`. */
export const BUNDLE_SUBJECT = "bundle:";

/** Blockers that mean "this engine cannot run here", not "it ran and failed". */
export const UNAVAILABLE_BLOCKERS = ["provider_unavailable", "engine_not_enabled", "not_eligible"] as const;

export interface ComparisonTask {
  id: string;
  /** The task file: relative to the workspace root (posix) when inside it, else absolute. */
  path: string;
  /** sha256 of the task file's bytes when the comparison was made. */
  sha256: string;
}

export interface ComparisonCell {
  engine: string;
  /** The task's id, and its file (as in `tasks`). */
  task: string;
  task_path: string;
  /** "ran": run for this comparison; "reused": an existing bundle; "error": no run could start (see error). */
  source: "ran" | "reused" | "error";
  run_id: string | null;
  /** The bundle folder, relative to the comparison folder (posix). */
  bundle: string | null;
  /** "sha256:<hex>" of the bundle's attestation.json: the bundle the comparison signs for. */
  bundle_digest: string | null;
  /** The bundle's verdict when the comparison was made (readers verify again). */
  verdict: Verdict | "none";
  status: string;
  exit_code: number;
  blockers: string[];
  /** The engine could run (no provider_unavailable / engine_not_enabled / not_eligible). */
  available: boolean;
  unavailable_blocker: string | null;
  changed_files: string[];
  duration_ms: number;
  /** The repo tree the run started from (report freshness.base_tree); null when refused before a sandbox. */
  base_tree: string | null;
  /** The OS isolation the run had (report `isolation`). */
  isolation: string;
  error?: string;
}

export interface EngineSummary {
  engine: string;
  /** false when no task could run on it here; see unavailable_blockers. */
  available: boolean;
  unavailable_blockers: string[];
  tasks: number;
  ran: number;
  passed: number;
  /** passed / tasks (every task counts: an unavailable engine scores 0, it is not skipped). */
  pass_rate: number;
  /** Bundles whose verdict was `verified` (fresh, intact, signed by a trusted key). */
  verified: number;
  blockers_by_kind: Record<string, number>;
  changed_files: number;
  duration_ms_total: number;
  duration_ms_median: number;
}

export type ComparisonOrigin = { kind: "run" } | { kind: "merge"; shards: { dir: string; shard: string | null; bundles: number }[] };

export interface Comparison {
  schema: typeof COMPARISON_SCHEMA;
  generated_at: string;
  harness_version: string;
  /** The task-set record it was made over (workspace-relative), when one was named. */
  task_set: { record: string; gate: string } | null;
  engines: string[];
  tasks: ComparisonTask[];
  origin: ComparisonOrigin;
  summary: EngineSummary[];
  cells: ComparisonCell[];
}

const isUnavailable = (b: string) => (UNAVAILABLE_BLOCKERS as readonly string[]).includes(b);

/** The per-engine summary of its cells. */
export function summarize(engine: string, cells: ComparisonCell[]): EngineSummary {
  const blockers: Record<string, number> = {};
  for (const c of cells) for (const b of c.blockers) blockers[b] = (blockers[b] ?? 0) + 1;
  const durations = cells.filter((c) => c.source !== "error").map((c) => c.duration_ms).sort((a, b) => a - b);
  const passed = cells.filter((c) => c.status === "pass" && c.verdict === "verified").length;
  const unavailable = [...new Set(cells.map((c) => c.unavailable_blocker ?? (c.source === "error" ? "run_error" : null)).filter((b): b is string => b !== null))];
  return {
    engine,
    available: cells.some((c) => c.available),
    unavailable_blockers: unavailable,
    tasks: cells.length,
    ran: cells.filter((c) => c.available).length,
    passed,
    pass_rate: cells.length ? Math.round((passed / cells.length) * 1000) / 1000 : 0,
    verified: cells.filter((c) => c.verdict === "verified").length,
    blockers_by_kind: Object.fromEntries(Object.entries(blockers).sort(([a], [b]) => (a < b ? -1 : 1))),
    changed_files: cells.reduce((n, c) => n + c.changed_files.length, 0),
    duration_ms_total: durations.reduce((a, b) => a + b, 0),
    duration_ms_median: durations.length ? durations[Math.floor(durations.length / 2)]! : 0,
  };
}

export function unavailableOf(blockers: string[]): string | null {
  return blockers.find(isUnavailable) ?? null;
}

/** A bundle folder as a comparison names it: relative to the comparison folder, posix. */
export function bundleRef(comparisonDir: string, bundleDir: string): string {
  return relative(resolve(comparisonDir), resolve(bundleDir)).split(sep).join(posix.sep) || ".";
}

/** "sha256:<hex>" of a bundle's attestation.json, or null when it has none (an unsigned bundle). */
export async function bundleDigest(bundleDir: string): Promise<string | null> {
  try {
    return `sha256:${sha256Hex(await readRegularFile(join(bundleDir, ARTIFACTS.attestation), { maxBytes: BUNDLE_LIMITS.maxParsedBytes }))}`;
  } catch (e) {
    if (e instanceof UnsafeFileError && /does not exist/.test(e.message)) return null;
    throw e;
  }
}

// ------------------------------------------------------------------------------------ writing

function statementOf(c: Comparison, mdText: string): SignedStatement<Comparison> {
  const subjects = new Map<string, string>([[COMPARISON_FILES.md, sha256Hex(mdText)]]);
  for (const cell of c.cells) if (cell.run_id && cell.bundle_digest) subjects.set(`${BUNDLE_SUBJECT}${cell.run_id}`, cell.bundle_digest.replace(/^sha256:/, ""));
  return {
    _type: STATEMENT_TYPE,
    subject: [...subjects.keys()].sort().map((name) => ({ name, digest: { sha256: subjects.get(name)! } })),
    predicateType: COMPARISON_PREDICATE_TYPE,
    predicate: c,
  };
}

/**
 * Writes comparison.json, comparison.md and, last, attestation.json (signed with `key`). A crash
 * before the last write leaves a comparison whose signature is missing or does not match: it is
 * never evidence.
 */
export function writeComparison(dir: string, c: Comparison, md: string, key: SigningKey): { jsonPath: string; mdPath: string; attestationPath: string } {
  mkdirSync(dir, { recursive: true });
  const attestationPath = join(dir, COMPARISON_FILES.attestation);
  rmSync(attestationPath, { force: true }); // an older signature must never vouch for the new files
  const jsonPath = join(dir, COMPARISON_FILES.json);
  const mdPath = join(dir, COMPARISON_FILES.md);
  writeFileAtomic(jsonPath, JSON.stringify(c, null, 2) + "\n");
  writeFileAtomic(mdPath, md);
  writeFileAtomic(attestationPath, signStatement(statementOf(c, md), key));
  return { jsonPath, mdPath, attestationPath };
}

// ------------------------------------------------------------------------------------ reading

export interface ComparisonCheck {
  dir: string;
  /** The comparison's own signature: trusted (a key trusted here signed it), untrusted, unsigned, bad. */
  signature: SignatureState;
  signer: string | null;
  keyid: string | null;
  /** Why it is not intact (the files against the signed statement), or malformed. */
  problems: string[];
  /** The signed comparison (trusted and intact only). */
  comparison?: Comparison;
}

/** Reads a comparison folder and checks its signature and its files against it (not its bundles). */
export async function checkComparison(dir: string, trust: TrustStore, now?: Date): Promise<ComparisonCheck> {
  const out: ComparisonCheck = { dir: resolve(dir), signature: "unsigned", signer: null, keyid: null, problems: [] };
  const read = async (name: string): Promise<string | undefined> => {
    try {
      return (await readRegularFile(join(dir, name), { maxBytes: BUNDLE_LIMITS.maxParsedBytes })).toString("utf8");
    } catch (e) {
      if (e instanceof UnsafeFileError && /does not exist/.test(e.message)) return undefined;
      out.problems.push(`${name} ${(e as Error).message}`);
      return undefined;
    }
  };
  const envelope = await read(COMPARISON_FILES.attestation);
  if (envelope === undefined) {
    if (out.problems.length) out.signature = "bad";
    else out.problems.push("attestation.json is missing: the comparison is not signed");
    return out;
  }
  const c = checkEnvelope<Comparison>(envelope, trust, COMPARISON_PREDICATE_TYPE);
  out.signature = c.state;
  out.keyid = c.keyid;
  out.signer = c.name;
  out.problems.push(...c.problems);
  if (c.state !== "trusted") {
    if (c.state === "untrusted") out.problems.push("signed by a key that is not trusted here");
    return out;
  }
  if (!c.statement || out.problems.length) return out;
  const predicate = c.statement.predicate;
  const shape = comparisonShape(predicate);
  if (shape.length) {
    out.problems.push(...shape.map((m) => `the signed comparison: ${m}`));
    return out;
  }
  const json = await read(COMPARISON_FILES.json);
  const md = await read(COMPARISON_FILES.md);
  if (json === undefined) out.problems.push("comparison.json is missing");
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      out.problems.push(`comparison.json does not parse: ${(e as Error).message}`);
    }
    if (parsed !== undefined && canonical(parsed) !== canonical(predicate)) out.problems.push("comparison.json differs from the comparison that was signed (edited after signing?)");
  }
  const subjects = new Map<string, string>();
  for (const s of c.statement.subject) {
    if (subjects.has(s.name)) out.problems.push(`the signature lists ${s.name} twice`);
    subjects.set(s.name, s.digest.sha256);
  }
  if (md === undefined) out.problems.push("comparison.md is missing");
  else if (subjects.get(COMPARISON_FILES.md) !== sha256Hex(md)) out.problems.push("comparison.md differs from what was signed");
  // Every named bundle is a subject with the cell's digest, and nothing else is.
  const named = new Set<string>([COMPARISON_FILES.md]);
  for (const cell of predicate.cells) {
    if (!cell.run_id || !cell.bundle_digest) continue;
    const name = `${BUNDLE_SUBJECT}${cell.run_id}`;
    named.add(name);
    if (subjects.get(name) !== cell.bundle_digest.replace(/^sha256:/, "")) out.problems.push(`the signature does not name bundle ${cell.run_id} with the digest its cell gives`);
  }
  for (const name of subjects.keys()) if (!named.has(name)) out.problems.push(`the signature names ${name}, which no cell names`);
  // The newest comparison decides: one dated ahead of the clock would decide for ever (bundles: the same rule).
  if (Date.parse(predicate.generated_at) - (now ?? new Date()).getTime() > 5 * 60_000) out.problems.push(`the comparison claims to be generated in the future (${predicate.generated_at})`);
  if (out.problems.length === 0) out.comparison = predicate;
  return out;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
/** A run id as the runner makes them (newRunId): safe as a folder name, never a path. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a comparison must look like to be read at all (a newer or foreign schema is refused). */
function comparisonShape(c: unknown): string[] {
  if (!isObj(c)) return ["not a JSON object"];
  const e: string[] = [];
  if (c.schema !== COMPARISON_SCHEMA) e.push(`schema is not ${COMPARISON_SCHEMA}`);
  if (!isStr(c.generated_at) || Number.isNaN(Date.parse(c.generated_at))) e.push("generated_at is not a date");
  if (!Array.isArray(c.engines) || !c.engines.every(isStr)) e.push("engines malformed");
  if (!Array.isArray(c.tasks) || !c.tasks.every((t) => isObj(t) && isStr(t.id) && isStr(t.path) && isStr(t.sha256))) e.push("tasks malformed");
  if (!Array.isArray(c.cells) || !c.cells.every(cellShape)) e.push("cells malformed");
  if (c.task_set !== null && !(isObj(c.task_set) && isStr(c.task_set.record) && isStr(c.task_set.gate))) e.push("task_set malformed");
  return e;
}

function cellShape(x: unknown): boolean {
  if (!isObj(x)) return false;
  const strOrNull = (v: unknown) => v === null || isStr(v);
  return (
    isStr(x.engine) &&
    isStr(x.task) &&
    isStr(x.task_path) &&
    (x.run_id === null || (isStr(x.run_id) && RUN_ID.test(x.run_id))) &&
    strOrNull(x.bundle) &&
    strOrNull(x.bundle_digest) &&
    (x.bundle_digest === null || /^sha256:[0-9a-f]{64}$/.test(x.bundle_digest as string)) &&
    isStr(x.status) &&
    Array.isArray(x.blockers) &&
    x.blockers.every(isStr) &&
    strOrNull(x.base_tree) &&
    isStr(x.isolation)
  );
}

/** Folders under `dir` that hold a comparison (or `dir` itself when it does). */
export function comparisonFolders(dir: string): string[] {
  const abs = resolve(dir);
  if (existsSync(join(abs, COMPARISON_FILES.json)) || existsSync(join(abs, COMPARISON_FILES.attestation))) return [abs];
  let names: string[];
  try {
    names = readdirSync(abs, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith(".")).map((d) => d.name);
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => join(abs, n))
    .filter((d) => existsSync(join(d, COMPARISON_FILES.json)) || existsSync(join(d, COMPARISON_FILES.attestation)));
}
