// `cto verify`: is this bundle exactly what the harness wrote, and does it
// still describe the repo? Integrity first (every digest recomputed, the
// manifest covers every file and nothing else, report.json bound — see
// bundle.ts), then internal consistency (status/exit code from the blockers,
// the events agree), then freshness (repo HEAD and tree unchanged, not too old).
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { CORE_LINE, listBundleFiles, parseManifest, reportCoreSha256, serializeReport } from "./bundle";
import { ARTIFACTS, BLOCKER_IDS, EVENT_SCHEMA, outcomeOf, REPORT_SCHEMA, type Report } from "./contract";
import { sha256File, sha256Hex } from "./digest";
import { locateGit, readGitSource } from "./gitsource";
import { plainTreeOf } from "./sandbox";

/** Exit codes of `cto verify` (docs/harness.md). */
export const VERIFY_EXIT = { verified: 0, internal: 1, usage: 2, tampered: 3, stale: 4 } as const;

export interface VerifyOptions {
  /** The repo to check freshness against; default: the report's task.repo when it exists. */
  repo?: string;
  /** Maximum age of the bundle in days (default 30). */
  maxAgeDays?: number;
  now?: Date;
  /**
   * Shared by the caller across many bundles checked at once (readEvidence): each repo's current
   * state (HEAD/tree, or a plain folder's tree) is computed once per map instead of per bundle.
   */
  repoStates?: Map<string, Promise<RepoState>>;
}

export type RepoState = { kind: "git"; top: string; head?: string; tree?: string; dirty: number } | { kind: "plain"; tree: string };

export interface VerifyProblem {
  kind: "tampered" | "stale";
  /** Bundle-relative file the problem is about, when there is one. */
  file?: string;
  message: string;
}

export interface VerifyResult {
  verdict: "verified" | "tampered" | "stale";
  exitCode: number;
  problems: VerifyProblem[];
  notes: string[];
  report?: Report;
  repoChecked: string | null;
  hashedBytes: number;
  durationMs: number;
}

export class VerifyUsageError extends Error {}

export const DEFAULT_MAX_AGE_DAYS = 30;

export async function verifyBundle(bundleDir: string, o: VerifyOptions = {}): Promise<VerifyResult> {
  const t0 = performance.now();
  const dir = resolve(bundleDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new VerifyUsageError(`${bundleDir} is not a folder`);
  if (o.repo && (!existsSync(o.repo) || !statSync(o.repo).isDirectory())) throw new VerifyUsageError(`--repo ${o.repo} is not a folder`);
  const problems: VerifyProblem[] = [];
  const notes: string[] = [];
  const tamper = (message: string, file?: string) => problems.push({ kind: "tampered", message, ...(file ? { file } : {}) });
  let hashedBytes = 0;
  const done = (report?: Report, repoChecked: string | null = null): VerifyResult => {
    const t = problems.some((p) => p.kind === "tampered");
    const s = problems.some((p) => p.kind === "stale");
    const verdict = t ? "tampered" : s ? "stale" : "verified";
    return { verdict, exitCode: VERIFY_EXIT[verdict], problems, notes, report, repoChecked, hashedBytes, durationMs: performance.now() - t0 };
  };

  // report.json: parses, is canonical, has the contract's shape.
  let reportText: string;
  let report: Report;
  try {
    reportText = readFileSync(join(dir, ARTIFACTS.report), "utf8");
  } catch {
    tamper("report.json is missing", ARTIFACTS.report);
    return done();
  }
  try {
    report = JSON.parse(reportText) as Report;
  } catch (e) {
    tamper(`report.json does not parse: ${(e as Error).message}`, ARTIFACTS.report);
    return done();
  }
  const shape = reportShapeErrors(report);
  if (shape.length) {
    shape.forEach((m) => tamper(`report.json: ${m}`, ARTIFACTS.report));
    return done();
  }
  if (serializeReport(report) !== reportText) tamper("report.json is not byte-identical to its canonical form (edited?)", ARTIFACTS.report);

  // The repo check runs in child processes while the digests are computed.
  const repo = o.repo ?? (existsSync(report.task.repo) ? report.task.repo : undefined);
  const repoCheck = repo ? repoStaleness(resolve(repo), report, notes, o.repoStates).catch((e: Error) => [{ kind: "stale" as const, message: `the repo cannot be checked: ${e.message}` }]) : Promise.resolve([]);

  // SHA256SUMS, bound by report.json.
  let manifestText: string;
  try {
    manifestText = readFileSync(join(dir, ARTIFACTS.manifest), "utf8");
  } catch {
    tamper("SHA256SUMS is missing", ARTIFACTS.manifest);
    return done(report);
  }
  if (`${sha256Hex(manifestText)}` !== report.freshness.manifest_sha256) tamper("SHA256SUMS does not match report.json's freshness.manifest_sha256", ARTIFACTS.manifest);
  const { entries, errors } = parseManifest(manifestText);
  errors.forEach((m) => tamper(`SHA256SUMS ${m}`, ARTIFACTS.manifest));

  // Every file listed, nothing else; every digest recomputed.
  const { files, odd } = listBundleFiles(dir);
  odd.forEach((f) => tamper(`${f} is not a regular file`, f));
  const present = new Set(files);
  for (const f of files) if (f !== ARTIFACTS.report && f !== ARTIFACTS.manifest && !entries.has(f)) tamper(`${f} is not listed in SHA256SUMS (an added file)`, f);
  for (const f of entries.keys()) if (!present.has(f)) tamper(`${f} is listed in SHA256SUMS but missing (a deleted file)`, f);
  const toHash = [...entries.keys()].filter((f) => present.has(f));
  const actual = await hashAll(toHash.map((f) => join(dir, ...f.split("/"))));
  toHash.forEach((f, i) => {
    hashedBytes += actual[i]!.size;
    if (actual[i]!.hex !== entries.get(f)) tamper(`${f} changed (its sha256 differs from SHA256SUMS)`, f);
  });

  // report.json's digests and artifacts agree with the manifest.
  const digestKeys = Object.keys(report.digests);
  for (const k of digestKeys) if (entries.get(k) === undefined || report.digests[k] !== `sha256:${entries.get(k)}`) tamper(`report.json's digest for ${k} disagrees with SHA256SUMS`, ARTIFACTS.report);
  for (const k of entries.keys()) if (!(k in report.digests)) tamper(`report.json has no digest for ${k}`, ARTIFACTS.report);
  const artifactPaths = new Set(Object.values(report.artifacts));
  for (const p of artifactPaths) if (p !== ARTIFACTS.report && p !== ARTIFACTS.manifest && !entries.has(p)) tamper(`report.json names artifact ${p}, which SHA256SUMS does not list`, ARTIFACTS.report);
  for (const k of entries.keys()) if (!artifactPaths.has(k)) tamper(`${k} is not one of report.json's artifacts`, ARTIFACTS.report);

  // report.json's remaining fields are bound through report.md's "Report core" line.
  if (!present.has(ARTIFACTS.report_md)) tamper("report.md is missing, so report.json cannot be bound", ARTIFACTS.report_md);
  else {
    const m = CORE_LINE.exec(readFileSync(join(dir, ARTIFACTS.report_md), "utf8"));
    if (!m) tamper("report.md has no 'Report core' line", ARTIFACTS.report_md);
    else if (m[1] !== reportCoreSha256(report)) tamper("report.json's content differs from what report.md binds (Report core digest)", ARTIFACTS.report);
  }

  // Internal consistency.
  const expected = outcomeOf(report.blockers);
  if (expected.status !== report.status) tamper(`status '${report.status}' but the blockers make it '${expected.status}' (pass iff no blockers)`, ARTIFACTS.report);
  if (expected.exit_code !== report.exit_code) tamper(`exit_code ${report.exit_code} but the blockers make it ${expected.exit_code}`, ARTIFACTS.report);
  if (present.has(ARTIFACTS.events)) eventProblems(readFileSync(join(dir, ARTIFACTS.events), "utf8"), report).forEach((m) => tamper(m, ARTIFACTS.events));
  else if (!report.blockers.some((b) => b.id === "artifact_write_failed")) tamper("events.normalized.jsonl is missing", ARTIFACTS.events);

  const repoProblems = await repoCheck;
  if (problems.length) return done(report);

  // Freshness: age, then the repo's HEAD and tree.
  const now = o.now ?? new Date();
  const maxAge = o.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;
  const gen = Date.parse(report.freshness.generated_at);
  const ageDays = (now.getTime() - gen) / 86_400_000;
  if (ageDays > maxAge) problems.push({ kind: "stale", message: `the bundle is ${ageDays.toFixed(1)} days old (max ${maxAge})` });
  if (gen - now.getTime() > 5 * 60_000) problems.push({ kind: "stale", message: `the bundle claims to be generated in the future (${report.freshness.generated_at})` });
  if (!repo) notes.push(`repo ${report.task.repo} is not reachable: HEAD and tree were not checked (pass --repo)`);
  else problems.push(...repoProblems);
  return done(report, repo ? resolve(repo) : null);
}

/** The repo's state now, read without running anything its config names (gitsource.ts). */
async function repoState(repo: string, kind: "git" | "plain"): Promise<RepoState> {
  if (kind === "plain") return { kind, tree: await plainTreeOf(repo) };
  const loc = locateGit(realpathSync(repo));
  if (!loc) return { kind, top: "", dirty: 0 };
  const s = readGitSource(loc);
  if (!s.head) return { kind, top: "", dirty: 0 };
  return { kind, top: loc.top, head: s.head, ...(s.tree ? { tree: s.tree } : {}), dirty: s.dirty.length };
}

async function repoStaleness(repo: string, r: Report, notes: string[], cache?: Map<string, Promise<RepoState>>): Promise<VerifyProblem[]> {
  const out: VerifyProblem[] = [];
  const stale = (message: string) => out.push({ kind: "stale", message });
  const f = r.freshness;
  if (!f.base_tree) {
    notes.push("the run was refused before a sandbox existed: it records no base tree to compare with the repo");
    return out;
  }
  const key = `${f.repo_kind}\0${repo}`;
  let p = cache?.get(key);
  if (!p) {
    p = repoState(repo, f.repo_kind);
    cache?.set(key, p);
  }
  const s = await p;
  if (s.kind === "git") {
    if (!s.top) return stale(`${repo} is not a git repo with a commit; the run started from one`), out;
    if (s.head !== f.repo_head) stale(`repo HEAD is ${s.head ?? "unborn"}, the run started from ${f.repo_head}`);
    if (s.tree !== f.base_tree) stale(`repo tree is ${s.tree ?? "none"}, the run started from ${f.base_tree}`);
    // Freshness is about the committed state the run started from; local edits are only noted.
    if (s.dirty) notes.push(`the repo's working tree has ${s.dirty} uncommitted change(s)`);
  } else if (s.tree !== f.base_tree) stale(`the folder's content (tree ${s.tree}) is no longer the run's base (${f.base_tree})`);
  return out;
}

function reportShapeErrors(r: Report): string[] {
  const e: string[] = [];
  const isObj = (v: unknown) => !!v && typeof v === "object" && !Array.isArray(v);
  if (!isObj(r)) return ["not a JSON object"];
  if (r.schema !== REPORT_SCHEMA) e.push(`schema is not ${REPORT_SCHEMA}`);
  if (typeof r.run_id !== "string" || !r.run_id) e.push("run_id missing");
  if (!isObj(r.engine) || typeof r.engine.id !== "string") e.push("engine missing");
  if (!isObj(r.task) || typeof r.task.id !== "string" || typeof r.task.repo !== "string") e.push("task missing");
  if (!["pass", "fail", "blocked", "error"].includes(r.status)) e.push("status is not pass|fail|blocked|error");
  if (typeof r.exit_code !== "number") e.push("exit_code missing");
  if (!Array.isArray(r.blockers) || r.blockers.some((b) => !isObj(b) || !BLOCKER_IDS.includes(b.id) || typeof b.reason !== "string")) e.push("blockers malformed (unknown id?)");
  if (!Array.isArray(r.changed_files)) e.push("changed_files missing");
  if (!isObj(r.artifacts) || Object.values(r.artifacts).some((v) => typeof v !== "string")) e.push("artifacts malformed");
  if (!isObj(r.digests) || Object.values(r.digests).some((v) => typeof v !== "string")) e.push("digests malformed");
  if (!isObj(r.freshness) || typeof r.freshness.manifest_sha256 !== "string" || typeof r.freshness.generated_at !== "string" || Number.isNaN(Date.parse(r.freshness.generated_at))) e.push("freshness malformed");
  return e;
}

function eventProblems(text: string, r: Report): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let last = 0;
  const raised: string[] = [];
  let finished: Record<string, unknown> | undefined;
  lines.forEach((l, i) => {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(l);
    } catch {
      out.push(`events line ${i + 1} does not parse`);
      return;
    }
    if (e.schema !== EVENT_SCHEMA || e.run_id !== r.run_id) out.push(`events line ${i + 1} is not a ${EVENT_SCHEMA} event of run ${r.run_id}`);
    if (typeof e.seq !== "number" || e.seq <= last) out.push(`events line ${i + 1}: seq ${String(e.seq)} does not increase`);
    else last = e.seq;
    const data = (e.data ?? {}) as Record<string, unknown>;
    if (e.type === "blocker.raised") raised.push(String(data.id));
    if (e.type === "run.finished") finished = data;
  });
  const want = r.blockers.map((b) => b.id).sort();
  // Blockers raised while writing the events file itself (artifact_write_failed) cannot be in it.
  const countIn = (arr: string[], id: string) => arr.filter((x) => x === id).length;
  for (const id of new Set([...want, ...raised])) {
    const a = countIn(want, id);
    const b = countIn(raised, id);
    if (b > a || (a > b && id !== "artifact_write_failed")) out.push(`blocker '${id}' is raised ${b} time(s) in the events but listed ${a} time(s) in report.json`);
  }
  if (!finished) out.push("the events have no run.finished");
  else if (!r.blockers.some((b) => b.id === "artifact_write_failed") && (finished.status !== r.status || finished.exit_code !== r.exit_code)) out.push(`run.finished says ${String(finished.status)}/${String(finished.exit_code)}, report.json ${r.status}/${r.exit_code}`);
  return out;
}

/** Hashes files concurrently (I/O overlaps; the hashing itself is OpenSSL's). */
async function hashAll(paths: string[]): Promise<{ hex: string; size: number }[]> {
  const out: { hex: string; size: number }[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      const p = paths[i]!;
      try {
        out[i] = { hex: await sha256File(p), size: statSync(p).size };
      } catch {
        out[i] = { hex: "", size: 0 };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, paths.length) }, worker));
  return out;
}
