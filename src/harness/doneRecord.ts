// Done records (CONTRACT §5, docs/gates.md "Done"): `.cto/done/<ID>.json` is a DSSE envelope
// (attest.ts, the bundles' signing scheme) around an in-toto Statement v1 of its own predicateType,
// saying: at commit C, with a clean worktree, the issue read as it reads (section digest,
// criteria all checked), and its Validator: argv, run in the sandbox, exited 0 with this output.
// `<ID>.recheck.json` is the signed result of re-running that validator later (`cto done
// --recheck`). Reading them (readDoneRecords) is what the editor and `cto validate` do: files,
// signatures and history only — cheap; no validator ever runs here.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { allChecked, DONE_DIR, type CtoWorkspace, type DoneRecordSummary, type DoneRecordView } from "../core";
import { picomatch } from "../core/libs";
import { checkEnvelope, STATEMENT_TYPE, type SignedStatement, type StatementCheck } from "./attest";
import { readRegularFileSync, UnsafeFileError } from "./bundleFs";
import { findGitTop, HistoryReader } from "./gitHistory";
import { readHead } from "./gitsource";
import { loadTrustStore, shortKeyId, TRUSTED_KEYS_FILE, type TrustStore } from "./keys";

export const DONE_PREDICATE_TYPE = "https://cto-workbench.dev/done/v1";
export const RECHECK_PREDICATE_TYPE = "https://cto-workbench.dev/done-recheck/v1";
export const DONE_SCHEMA = "cto.done/v1";
export const RECHECK_SCHEMA = "cto.done-recheck/v1";
/** A record is small; anything larger is not one of ours. */
export const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_ENTRIES = 10_000;
const ID_FILE = /^(CTO-WORK-\d{3,})\.json$/;
const RECHECK_FILE = /^(CTO-WORK-\d{3,})\.recheck\.json$/;

/** One captured stream: the digest of what was kept (after the sandbox path was replaced). */
export interface OutputDigest {
  sha256: string;
  bytes: number;
  cut_bytes: number;
}

export interface DonePredicate {
  schema: typeof DONE_SCHEMA;
  issue: {
    id: string;
    title: string;
    /** The issue artifact, relative to the workspace root. */
    doc: string;
    line: number;
    section_sha256: string;
    criteria: { text: string; checked: true }[];
    validator_line: string;
    allowed_files: string | null;
  };
  /** The workspace root relative to the repository's top ("." when it is the top). */
  workspace: string;
  validator: {
    argv: string[];
    /** Repository-relative folder it ran in (the workspace root). */
    cwd: string;
    exit_code: number;
    duration_ms: number;
    isolation: string;
    stdout: OutputDigest;
    stderr: OutputDigest;
  };
  commit: string;
  tree: string;
  worktree_clean: true;
  /** What a later change voids it for, repository-relative: `include` globs (null: every file) minus `exclude`. */
  scope: { include: string[] | null; exclude: string[] };
  /** The key that signed it, inside what is signed (the envelope's key id is only a hint). */
  signer: { keyid: string };
  recorded_at: string;
  harness_version: string;
}

export interface RecheckPredicate {
  schema: typeof RECHECK_SCHEMA;
  issue_id: string;
  /** sha256 of the record file this re-ran (a newer record is not judged by an older recheck). */
  record_sha256: string;
  commit: string;
  validator: { argv: string[]; exit_code: number | null; isolation: string; stdout: OutputDigest; stderr: OutputDigest };
  matches: boolean;
  differences: string[];
  checked_at: string;
  harness_version: string;
}

export function doneStatement(p: DonePredicate, docRepoPath: string): SignedStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [
      { name: "git-commit", digest: { gitCommit: p.commit } },
      { name: `${docRepoPath}#${p.issue.id}`, digest: { sha256: p.issue.section_sha256 } },
      { name: "validator.stdout", digest: { sha256: p.validator.stdout.sha256 } },
    ],
    predicateType: DONE_PREDICATE_TYPE,
    predicate: p,
  };
}

export function recheckStatement(p: RecheckPredicate): SignedStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [
      { name: `${DONE_DIR}/${p.issue_id}.json`, digest: { sha256: p.record_sha256 } },
      { name: "git-commit", digest: { gitCommit: p.commit } },
    ],
    predicateType: RECHECK_PREDICATE_TYPE,
    predicate: p,
  };
}

export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

// ------------------------------------------------------------------------------- shapes

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isHex = (v: unknown, n: number) => isStr(v) && v.length === n && /^[0-9a-f]+$/.test(v);
const isStrList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isOutput = (v: unknown) => isObj(v) && isHex(v.sha256, 64) && Number.isInteger(v.bytes) && Number.isInteger(v.cut_bytes);

function envelopeShape(type: string) {
  return (s: unknown): string[] => {
    if (!isObj(s)) return ["the signed statement is not a JSON object"];
    if (s._type !== STATEMENT_TYPE) return [`the signed statement's _type is not ${STATEMENT_TYPE}`];
    if (s.predicateType !== type) return [`the signed statement's predicateType is ${JSON.stringify(s.predicateType)}, not ${type}`];
    if (!Array.isArray(s.subject) || !isObj(s.predicate)) return ["the signed statement has no subject list or no predicate"];
    return [];
  };
}

/** Why a done predicate is malformed (it was signed by a trusted key, so this is a harness bug or an old format). */
function doneShape(p: Record<string, unknown>): string | undefined {
  const i = p.issue;
  const v = p.validator;
  const sc = p.scope;
  if (p.schema !== DONE_SCHEMA) return `its schema is ${JSON.stringify(p.schema)}, not ${DONE_SCHEMA}`;
  if (!isObj(i) || !isStr(i.id) || !isStr(i.doc) || !isHex(i.section_sha256, 64) || !Array.isArray(i.criteria) || !i.criteria.every((c) => isObj(c) && isStr(c.text) && c.checked === true)) return "its issue block is malformed";
  if (!isObj(v) || !isStrList(v.argv) || v.argv.length === 0 || v.exit_code !== 0 || !isOutput(v.stdout) || !isOutput(v.stderr) || !isStr(v.isolation)) return "its validator block is malformed (a done record needs exit code 0)";
  if (!isHex(p.commit, 40)) return "its commit is not a 40-hex commit id";
  if (p.worktree_clean !== true) return "it does not say the worktree was clean";
  if (!isStr(p.workspace)) return "it names no workspace";
  if (!isObj(sc) || !(sc.include === null || isStrList(sc.include)) || !isStrList(sc.exclude)) return "its scope is malformed";
  if (!isObj(p.signer) || !isHex(p.signer.keyid, 64)) return "it names no signer key";
  if (!isStr(p.recorded_at)) return "it has no recorded_at";
  return undefined;
}

// ------------------------------------------------------------------------------ reading

export interface ReadDoneOptions {
  /** The keys whose signatures count (loadTrustStore with the workspace's trusted-keys). */
  trust: TrustStore;
  /** Leave rechecks out (`cto done --recheck` judges the record itself, then writes a new one). */
  ignoreRechecks?: boolean;
}

interface Verified<P> {
  predicate?: P;
  signer?: string;
  keyid?: string;
  problem?: string;
}

/**
 * Signature checks by content: the editor reads every record again after each HEAD move, and an
 * Ed25519 verify costs far more than hashing the same bytes. Keyed by the bytes' digest, the
 * predicate type and the trusted keys (ids and names: other keys check afresh).
 */
const verified = new Map<string, StatementCheck>();
const MAX_VERIFIED = 4096;

function checkedEnvelope(bytes: Buffer, trust: TrustStore, type: string): StatementCheck {
  const keys = trust.keys.map((k) => `${k.keyid}:${k.name}`).sort().join(",");
  const key = `${keys}\0${type}\0${sha256(bytes)}`;
  const hit = verified.get(key);
  if (hit) return hit;
  const c = checkEnvelope(bytes.toString("utf8"), trust, envelopeShape(type));
  if (verified.size >= MAX_VERIFIED) verified.clear();
  verified.set(key, c);
  return c;
}

/** Reads and checks one signed file of ours; a problem says why it cannot be used. */
function readSigned<P>(abs: string, type: string, trust: TrustStore): Verified<P> & { bytes?: Buffer } {
  let bytes: Buffer;
  try {
    bytes = readRegularFileSync(abs, { maxBytes: MAX_RECORD_BYTES });
  } catch (e) {
    return { problem: e instanceof UnsafeFileError ? `it ${e.message}` : `it cannot be read (${(e as Error).message})` };
  }
  // checkEnvelope words its findings for bundles ("attestation.json …"): say "the record".
  const c = checkedEnvelope(bytes, trust, type);
  const word = (s: string) =>
    s
      .replace(/^attestation\.json: /, "")
      .replace(/attestation\.json's /g, "its ")
      .replace(/attestation\.json/g, "the record")
      .replace(/ — the bundle or its attestation was changed after signing/, ": it was changed after signing");
  if (c.state === "bad") return { bytes, problem: `its signature is bad: ${word(c.problems[0] ?? "")}` };
  if (c.state === "untrusted") return { bytes, problem: `it is signed by a key not trusted here${c.keyid ? ` (${shortKeyId(c.keyid)})` : ""}: trust it in ${TRUSTED_KEYS_FILE} if it is yours (\`cto key show\` on the machine that signed)` };
  if (c.state !== "trusted" || !c.statement) return { bytes, problem: "it is not signed" };
  if (c.problems.length > 0) return { bytes, problem: `it is not a done record of ours: ${c.problems[0]}` };
  return { bytes, predicate: (c.statement as unknown as { predicate: P }).predicate, signer: c.name ?? shortKeyId(c.keyid ?? ""), keyid: c.keyid ?? "" };
}

/**
 * Every done record of a workspace, read and checked now: the signature against `trust`, the
 * shape, the ID, the commit against HEAD (an ancestor, with no file of the record's scope changed
 * since), and a recheck that found different output. What depends on the doc as typed (section,
 * criteria, Validator line) is the core's (doneEvidence). Never throws on content.
 */
export function readDoneRecords(ws: CtoWorkspace, o: ReadDoneOptions): Map<string, DoneRecordView> {
  const out = new Map<string, DoneRecordView>();
  const dir = join(ws.root, ...DONE_DIR.split("/"));
  // Each folder on the way must be a real one (never a link to records kept elsewhere).
  let odd: { path: string; link: boolean } | undefined;
  let at = ws.root;
  for (const seg of DONE_DIR.split("/")) {
    at = join(at, seg);
    let st;
    try {
      st = lstatSync(at);
    } catch {
      return out; // no records yet
    }
    if (!st.isDirectory()) {
      odd = { path: relative(ws.root, at).split(sep).join("/"), link: st.isSymbolicLink() };
      break;
    }
  }
  if (odd) {
    // Fail closed and say so on every issue that would need one.
    const why = `${odd.path} is ${odd.link ? "a symlink" : "not a folder"}: no record in ${DONE_DIR} is read`;
    for (const [id, defs] of ws.allDefinitions()) if (allChecked(defs[0]!.issue)) out.set(id, { id, file: `${DONE_DIR}/${id}.json`, problems: [why] });
    return out;
  }
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, MAX_ENTRIES).sort();
  } catch {
    return out;
  }
  const rechecks = new Set(names.filter((n) => RECHECK_FILE.test(n)));
  const loc = findGitTop(ws.root);
  let head: string | undefined;
  let headProblem: string | undefined;
  if (!loc) headProblem = "the workspace is not in a git work tree: the record's commit cannot be checked";
  else {
    try {
      head = readHead(loc);
      if (!head) headProblem = "the repository has no commit (HEAD is unborn)";
    } catch (e) {
      headProblem = `HEAD cannot be read: ${(e as Error).message}`;
    }
  }
  let history: HistoryReader | undefined;
  if (loc && head) {
    try {
      history = HistoryReader.of(loc);
    } catch (e) {
      headProblem = `the repository's objects cannot be read: ${(e as Error).message}`;
    }
  }
  const wsRel = loc ? relative(loc.top, ws.root).split(sep).join("/") || "." : ".";
  try {
    for (const name of names) {
      const m = ID_FILE.exec(name);
      if (!m) continue;
      const id = m[1]!;
      const file = `${DONE_DIR}/${name}`;
      const view: DoneRecordView = { id, file, problems: [] };
      out.set(id, view);
      const r = readSigned<DonePredicate>(join(dir, name), DONE_PREDICATE_TYPE, o.trust);
      if (!r.predicate) {
        view.problems.push(r.problem!);
        continue;
      }
      const p = r.predicate;
      const bad = doneShape(p as unknown as Record<string, unknown>);
      if (bad) {
        view.problems.push(`it is not a valid done record: ${bad}`);
        continue;
      }
      view.record = summary(p, r.signer!);
      if (p.signer.keyid !== r.keyid) view.problems.push(`it names the signer key ${shortKeyId(p.signer.keyid)} but is signed by ${shortKeyId(r.keyid ?? "")}`);
      if (p.issue.id !== id) view.problems.push(`it is the record of ${p.issue.id}, not of ${id} (a renamed file counts for nothing)`);
      if (p.workspace !== wsRel) view.problems.push(`it was made for the workspace at '${p.workspace}', not '${wsRel}' (moved?): run \`cto done ${id}\` again`);
      if (headProblem) view.problems.push(headProblem);
      else if (history && head) {
        const why = historyProblem(history, p, head);
        if (why) view.problems.push(why);
      }
      if (!o.ignoreRechecks && rechecks.has(`${id}.recheck.json`) && r.bytes) {
        const why = recheckProblem(join(dir, `${id}.recheck.json`), sha256(r.bytes), o.trust, view);
        if (why) view.problems.push(why);
      }
    }
  } finally {
    history?.dispose();
  }
  return out;
}

function summary(p: DonePredicate, signer: string): DoneRecordSummary {
  return {
    issueId: p.issue.id,
    commit: p.commit,
    sectionSha256: p.issue.section_sha256,
    criteria: p.issue.criteria.map((c) => c.text),
    argv: p.validator.argv,
    exitCode: p.validator.exit_code,
    stdoutSha256: p.validator.stdout.sha256,
    isolation: p.validator.isolation,
    signer,
    recordedAt: p.recorded_at,
  };
}

/** The record's commit must be HEAD or an ancestor of it, with no file of its scope changed since. */
function historyProblem(history: HistoryReader, p: DonePredicate, head: string): string | undefined {
  const c = p.commit.slice(0, 12);
  let a;
  try {
    a = history.relate(p.commit, head);
  } catch (e) {
    return `its commit ${c} cannot be checked against HEAD: ${(e as Error).message}`;
  }
  if (a.missing) return `its commit ${c} is not in this repository (a shallow clone, or history rewritten): run \`cto done ${p.issue.id}\` again`;
  if (!a.ancestor) return `its commit ${c} is not an ancestor of HEAD ${head.slice(0, 12)} (the branch was reset, rebased or switched): run \`cto done ${p.issue.id}\` again`;
  const changed = inScope(a.changed, p.scope);
  if (changed.length > 0) {
    const what = p.scope.include ? "file(s) of the issue's Allowed files" : "file(s)";
    return `${changed.length} ${what} changed since its commit ${c}: ${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", …" : ""} — run \`cto done ${p.issue.id}\` again`;
  }
  return undefined;
}

/** Paths of `changed` the scope covers: matched by an include glob (or any, when null) and by no exclude. */
export function inScope(changed: string[], scope: DonePredicate["scope"]): string[] {
  if (changed.length === 0) return [];
  const inc = scope.include?.map(matcher);
  const exc = scope.exclude.map(matcher);
  return changed.filter((p) => (!inc || inc.some((m) => m(p))) && !exc.some((m) => m(p)));
}

/** Compiled globs, kept: every record of a workspace shares its exclusions. */
const matchers = new Map<string, (p: string) => boolean>();
function matcher(glob: string): (p: string) => boolean {
  let m = matchers.get(glob);
  if (!m) {
    if (matchers.size >= 2048) matchers.clear();
    matchers.set(glob, (m = picomatch()(glob, { dot: true, nonegate: true })));
  }
  return m;
}

function recheckProblem(abs: string, recordSha: string, trust: TrustStore, view: DoneRecordView): string | undefined {
  const r = readSigned<RecheckPredicate>(abs, RECHECK_PREDICATE_TYPE, trust);
  if (!r.predicate) return `its recheck file ${DONE_DIR}/${view.id}.recheck.json cannot be used (${r.problem}): remove it or run \`cto done ${view.id} --recheck\``;
  const p = r.predicate;
  if (p.schema !== RECHECK_SCHEMA || !isStr(p.record_sha256) || typeof p.matches !== "boolean" || !isStrList(p.differences)) return `its recheck file is malformed: run \`cto done ${view.id} --recheck\``;
  if (p.record_sha256 !== recordSha) return undefined; // about an earlier record
  if (!p.matches) return `re-run on ${String(p.checked_at).slice(0, 10)} at ${String(p.commit).slice(0, 12)}, its validator no longer gives the recorded result (${p.differences[0] ?? "different output"}): run \`cto done ${view.id}\` again`;
  if (view.record) view.record.recheck = { at: String(p.checked_at), commit: String(p.commit) };
  return undefined;
}

/**
 * Reads a workspace's done records with the keys trusted there (this machine's and the
 * workspace's .cto/trusted-keys) and hands them to the core — what the CLI does for every command
 * that shows issue status or validates.
 */
export function attachDoneRecords(ws: CtoWorkspace, env: NodeJS.ProcessEnv = process.env, trust?: TrustStore): void {
  ws.setDoneRecords(readDoneRecords(ws, { trust: trust ?? loadTrustStore({ env, workspaceRoot: ws.root }) }));
}
