// `cto verify`: is this bundle exactly what the harness wrote, signed by a key we trust, and does
// it still describe the repo? Integrity first (every digest recomputed, the manifest covers every
// file and nothing else, report.json bound — see bundle.ts — and the DSSE signature over all of
// it, attest.ts), then internal consistency (status/exit code from the blockers, the events
// agree), and only for an intact bundle signed by a trusted key, freshness (repo HEAD and tree
// unchanged, not too old): a planted bundle never gets us to look at the repo it names.
// Every file is read through bundleFs.ts: regular files only, within size limits.
import { existsSync, realpathSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkEnvelope, statementProblems, type SignatureCheck, type SignatureState } from "./attest";
import { CORE_LINE, parseManifest, reportCoreSha256, serializeReport } from "./bundle";
import { BUNDLE_LIMITS, listBundle, readRegularFile, type BundleFile, type BundleLimits } from "./bundleFs";
import { ARTIFACTS, BLOCKER_IDS, EVENT_SCHEMA, outcomeOf, REPORT_SCHEMA, UNHASHED, type Report } from "./contract";
import { sha256Hex, sha256RegularFile } from "./digest";
import { locateGit, readGitSource } from "./gitsource";
import { loadTrustStore, shortKeyId, TRUSTED_KEYS_FILE, type TrustStore } from "./keys";
import { plainTreeOf } from "./sandbox";

/** Exit codes of `cto verify` (docs/harness.md). */
export const VERIFY_EXIT = { verified: 0, internal: 1, usage: 2, tampered: 3, stale: 4, unsigned: 5, untrusted: 6 } as const;

/** In precedence order: the first that applies is the verdict. */
export type Verdict = "tampered" | "unsigned" | "untrusted" | "stale" | "verified";

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
  /** The keys whose signatures count (keys.ts loadTrustStore); default: the local key only. */
  trust?: TrustStore;
  /** Size and count limits for reading the bundle (default BUNDLE_LIMITS). */
  limits?: BundleLimits;
}

export type RepoState = { kind: "git"; top: string; head?: string; tree?: string; dirty: number } | { kind: "plain"; tree: string };

export interface VerifyProblem {
  kind: Exclude<Verdict, "verified">;
  /** Bundle-relative file the problem is about, when there is one. */
  file?: string;
  message: string;
}

export interface SignatureSummary {
  state: SignatureState;
  /** The signing key (trusted), or the key the envelope names (untrusted, bad). */
  keyid: string | null;
  /** The trusted key's name (trusted only). */
  name: string | null;
  /** Why the key is trusted: "local key (<path>)", "<workspace>/.cto/trusted-keys:<line>". */
  sources: string[];
}

export interface VerifyResult {
  verdict: Verdict;
  exitCode: number;
  problems: VerifyProblem[];
  notes: string[];
  report?: Report;
  signature: SignatureSummary;
  /** sha256 (hex) of attestation.json as read and checked here: what a person's review names. */
  attestationSha256?: string;
  repoChecked: string | null;
  hashedBytes: number;
  durationMs: number;
}

export class VerifyUsageError extends Error {}

export const DEFAULT_MAX_AGE_DAYS = 30;

/** Who signed, for people: "signed by NAME (key 0123456789abcdef)", or why nobody we trust did. */
export function describeSignature(s: SignatureSummary): string {
  const id = s.keyid ? shortKeyId(s.keyid) : "";
  switch (s.state) {
    case "trusted":
      return `signed by ${s.name} (key ${id})`;
    case "untrusted":
      return id ? `signed by an untrusted key ${id}` : "signed by no trusted key";
    case "unsigned":
      return "not signed";
    case "bad":
      return `bad signature${id ? ` (key ${id})` : ""}`;
  }
}

export async function verifyBundle(bundleDir: string, o: VerifyOptions = {}): Promise<VerifyResult> {
  const t0 = performance.now();
  const dir = resolve(bundleDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new VerifyUsageError(`${bundleDir} is not a folder`);
  if (o.repo && (!existsSync(o.repo) || !statSync(o.repo).isDirectory())) throw new VerifyUsageError(`--repo ${o.repo} is not a folder`);
  const limits = o.limits ?? BUNDLE_LIMITS;
  const trust = o.trust ?? loadTrustStore();
  const problems: VerifyProblem[] = [];
  const notes: string[] = trust.problems.map((p) => `trusted keys: ${p}`);
  const tamper = (message: string, file?: string) => problems.push({ kind: "tampered", message, ...(file ? { file } : {}) });
  let hashedBytes = 0;
  let signature: SignatureSummary = { state: "unsigned", keyid: null, name: null, sources: [] };
  let attestationSha256: string | undefined;
  const done = (report?: Report, repoChecked: string | null = null): VerifyResult => {
    const order: Verdict[] = ["tampered", "unsigned", "untrusted", "stale"];
    const verdict = order.find((k) => problems.some((p) => p.kind === k)) ?? "verified";
    return { verdict, exitCode: VERIFY_EXIT[verdict], problems, notes, report, signature, ...(attestationSha256 ? { attestationSha256 } : {}), repoChecked, hashedBytes, durationMs: performance.now() - t0 };
  };

  // What is there: regular files (with their identity), and anything else, which is refused.
  const listing = listBundle(dir, limits);
  listing.problems.forEach((m) => tamper(m));
  listing.odd.forEach((f) => tamper(`${f.rel} is ${f.kind}, not a regular file (only regular files are read)`, f.rel));
  const odd = new Set(listing.odd.map((f) => f.rel));
  const byRel = new Map<string, BundleFile>(listing.files.map((f) => [f.rel, f]));
  const path = (rel: string) => join(dir, ...rel.split("/"));
  /** A parsed file's text; undefined when absent (odd files count as present), null when refused. */
  const readText = async (rel: string): Promise<string | null | undefined> => {
    const f = byRel.get(rel);
    if (!f) return odd.has(rel) ? null : undefined;
    try {
      return (await readRegularFile(path(rel), { maxBytes: limits.maxParsedBytes, expect: f })).toString("utf8");
    } catch (e) {
      tamper(`${rel} ${(e as Error).message}`, rel);
      return null;
    }
  };

  // report.json: parses, is canonical, has the contract's shape.
  const reportText = await readText(ARTIFACTS.report);
  if (reportText === undefined) tamper("report.json is missing", ARTIFACTS.report);
  if (typeof reportText !== "string") return done();
  let report: Report;
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

  // SHA256SUMS, bound by report.json.
  const manifestText = await readText(ARTIFACTS.manifest);
  if (manifestText === undefined) tamper("SHA256SUMS is missing", ARTIFACTS.manifest);
  if (typeof manifestText !== "string") return done(report);
  if (`${sha256Hex(manifestText)}` !== report.freshness.manifest_sha256) tamper("SHA256SUMS does not match report.json's freshness.manifest_sha256", ARTIFACTS.manifest);
  const { entries, errors } = parseManifest(manifestText);
  errors.forEach((m) => tamper(`SHA256SUMS ${m}`, ARTIFACTS.manifest));

  // Every file listed, nothing else; every digest recomputed.
  for (const f of byRel.keys()) if (!UNHASHED.has(f) && !entries.has(f)) tamper(`${f} is not listed in SHA256SUMS (an added file)`, f);
  for (const f of entries.keys()) if (!byRel.has(f) && !odd.has(f)) tamper(`${f} is listed in SHA256SUMS but missing (a deleted file)`, f);
  const toHash = [...entries.keys()].filter((f) => byRel.has(f));
  const actual = await hashAll(toHash.map((f) => ({ path: path(f), file: byRel.get(f)! })), limits.maxFileBytes);
  const now = new Map<string, string>([
    [ARTIFACTS.report, sha256Hex(reportText)],
    [ARTIFACTS.manifest, sha256Hex(manifestText)],
  ]);
  toHash.forEach((f, i) => {
    const a = actual[i]!;
    hashedBytes += a.size;
    if (a.error) tamper(`${f} ${a.error}`, f);
    else {
      now.set(f, a.hex);
      if (a.hex !== entries.get(f)) tamper(`${f} changed (its sha256 differs from SHA256SUMS)`, f);
    }
  });

  // report.json's digests and artifacts agree with the manifest.
  const digestKeys = Object.keys(report.digests);
  for (const k of digestKeys) if (entries.get(k) === undefined || report.digests[k] !== `sha256:${entries.get(k)}`) tamper(`report.json's digest for ${k} disagrees with SHA256SUMS`, ARTIFACTS.report);
  for (const k of entries.keys()) if (!(k in report.digests)) tamper(`report.json has no digest for ${k}`, ARTIFACTS.report);
  const artifactPaths = new Set(Object.values(report.artifacts));
  for (const p of artifactPaths) if (!UNHASHED.has(p) && !entries.has(p)) tamper(`report.json names artifact ${p}, which SHA256SUMS does not list`, ARTIFACTS.report);
  for (const k of entries.keys()) if (!artifactPaths.has(k)) tamper(`${k} is not one of report.json's artifacts`, ARTIFACTS.report);

  // report.json's remaining fields are bound through report.md's "Report core" line.
  const md = await readText(ARTIFACTS.report_md);
  if (md === undefined) tamper("report.md is missing, so report.json cannot be bound", ARTIFACTS.report_md);
  else if (md !== null) {
    const m = CORE_LINE.exec(md);
    if (!m) tamper("report.md has no 'Report core' line", ARTIFACTS.report_md);
    else if (m[1] !== reportCoreSha256(report)) tamper("report.json's content differs from what report.md binds (Report core digest)", ARTIFACTS.report);
  }

  // The signature over all of it: checked against the trusted keys, then against the files.
  const named = artifactPaths.has(ARTIFACTS.attestation);
  const envelope = await readText(ARTIFACTS.attestation);
  if (envelope === undefined) {
    if (named) tamper("attestation.json is missing, yet report.json names it (the signature was removed)", ARTIFACTS.attestation);
  } else if (envelope === null) signature = { ...signature, state: "bad" };
  else {
    attestationSha256 = sha256Hex(envelope);
    if (!named) tamper("attestation.json is not one of report.json's artifacts", ARTIFACTS.attestation);
    const c: SignatureCheck = checkEnvelope(envelope, trust);
    signature = { state: c.state, keyid: c.keyid, name: c.name, sources: c.sources };
    c.problems.forEach((m) => tamper(m, ARTIFACTS.attestation));
    if (c.state === "trusted" && c.statement && c.problems.length === 0) statementProblems(c.statement, now, report).forEach((p) => tamper(p.message, p.file));
  }

  // Internal consistency.
  const expected = outcomeOf(report.blockers);
  if (expected.status !== report.status) tamper(`status '${report.status}' but the blockers make it '${expected.status}' (pass iff no blockers)`, ARTIFACTS.report);
  if (expected.exit_code !== report.exit_code) tamper(`exit_code ${report.exit_code} but the blockers make it ${expected.exit_code}`, ARTIFACTS.report);
  const events = await readText(ARTIFACTS.events);
  if (typeof events === "string") eventProblems(events, report).forEach((m) => tamper(m, ARTIFACTS.events));
  else if (events === undefined && !report.blockers.some((b) => b.id === "artifact_write_failed")) tamper("events.normalized.jsonl is missing", ARTIFACTS.events);

  if (problems.length) return done(report);
  if (signature.state === "unsigned") {
    problems.push({ kind: "unsigned", file: ARTIFACTS.attestation, message: "the bundle is not signed (no attestation.json): anyone could have written it" });
    return done(report);
  }
  if (signature.state !== "trusted") {
    const id = signature.keyid ? `key ${shortKeyId(signature.keyid)}` : "a key it does not name";
    problems.push({ kind: "untrusted", file: ARTIFACTS.attestation, message: `signed by ${id}, which is not trusted here (trust it by adding its \`cto key show\` line to ${TRUSTED_KEYS_FILE})` });
    return done(report);
  }

  // Freshness, only now: age, then the repo's HEAD and tree.
  const at = o.now ?? new Date();
  const maxAge = o.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS;
  const gen = Date.parse(report.freshness.generated_at);
  const ageDays = (at.getTime() - gen) / 86_400_000;
  if (ageDays > maxAge) problems.push({ kind: "stale", message: `the bundle is ${ageDays.toFixed(1)} days old (max ${maxAge})` });
  if (gen - at.getTime() > 5 * 60_000) problems.push({ kind: "stale", message: `the bundle claims to be generated in the future (${report.freshness.generated_at})` });
  const repo = o.repo ?? (existsSync(report.task.repo) ? report.task.repo : undefined);
  if (!repo) notes.push(`repo ${report.task.repo} is not reachable: HEAD and tree were not checked (pass --repo)`);
  else {
    const repoProblems = await repoStaleness(resolve(repo), report, notes, o.repoStates).catch((e: Error) => [{ kind: "stale" as const, message: `the repo cannot be checked: ${e.message}` }]);
    problems.push(...repoProblems);
  }
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

/** Hashes files concurrently (I/O overlaps; the hashing itself is OpenSSL's); regular files only. */
async function hashAll(files: { path: string; file: BundleFile }[], maxBytes: number): Promise<{ hex: string; size: number; error?: string }[]> {
  const out: { hex: string; size: number; error?: string }[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const { path, file } = files[i]!;
      try {
        out[i] = await sha256RegularFile(path, { maxBytes, expect: file });
      } catch (e) {
        out[i] = { hex: "", size: 0, error: (e as Error).message };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
  return out;
}
