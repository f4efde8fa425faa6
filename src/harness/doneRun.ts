// `cto done` and an issue's validator, run "in the sandbox, as any run" (CONTRACT §5): the
// repository's committed tree is unpacked into a disposable sandbox (sandbox.ts, never a git
// command in the user's repo), the Validator: argv runs there under the harness's isolation
// (isolation.ts: bubblewrap where it works, no network, unprivileged) with an allow-listed
// environment and an empty home (childenv.ts), and only its exit code and output come back. The
// worktree's cleanliness and HEAD are read by the same safe reader (gitsource.ts). A done record
// is written only for a run that exited 0 on a clean worktree, signed like a bundle.
import { lstatSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { allChecked, DONE_DIR, doneEvidence, issueScope, parseDoc, sectionDigest, validatorCommand, type CtoWorkspace, type Issue } from "../core";
import { allowedPatternProblem } from "./allowed";
import { writeFileAtomic } from "./atomic";
import { signStatement } from "./attest";
import { homeEnv } from "./childenv";
import type { IsolationKind } from "./contract";
import { doneStatement, readDoneRecords, recheckStatement, sha256, type DonePredicate, type OutputDigest, type RecheckPredicate } from "./doneRecord";
import { findGitTop } from "./gitHistory";
import { readGitSource, type GitLocation } from "./gitsource";
import { installationOf } from "./installation";
import { planIsolation, SANDBOX_GID, SANDBOX_UID, wrapCommand, type IsolationRequest } from "./isolation";
import { loadSigningKey, type SigningKey, type TrustStore } from "./keys";
import { collectLeftovers, ownerTag } from "./leftovers";
import { startProc, whichSync, type Captured } from "./proc";
import { createSandbox, type Sandbox, type SourceInfo } from "./sandbox";
import { HARNESS_VERSION } from "./version";

/** Exit codes of `cto done` (README, docs/gates.md "Done"). */
export const DONE_EXIT = { recorded: 0, internal: 1, usage: 2, notChecked: 3, dirty: 4, validatorFailed: 5, noLongerHolds: 6, cannotSign: 7 } as const;

export const DEFAULT_VALIDATOR_TIMEOUT_S = 600;
/** What replaces the sandbox's folder in the validator's output before it is hashed. */
export const SANDBOX_PLACEHOLDER = "$SANDBOX";
const SANDBOX_PREFIX = "cto-run-";
const ID = /^CTO-WORK-\d{3,}$/;

/** A refusal with its exit code and, where it has one, its place in a file. */
export class DoneError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly location?: { file: string; line: number; column: number },
  ) {
    super(message);
  }
}

export interface CapturedOutput extends OutputDigest {
  /** What was kept, as text (for the terminal; the digest is over these bytes). */
  text: string;
}

export interface ValidatorRun {
  repo: { kind: "git" | "plain"; top: string; head?: string; tree?: string; dirty: string[] };
  /** The workspace root relative to the repo's top ("." at the top). */
  workspace: string;
  argv: string[];
  /** The program that ran (resolved on PATH or in the committed copy). */
  program?: string;
  isolation: IsolationKind;
  isolationNote?: string;
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Why the program could not start (not found, exec failure). */
  spawnError?: string;
  durationMs: number;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
}

export interface ValidatorRunOptions {
  /** The CTO workspace root (absolute): the validator's working folder, inside the copy. */
  wsRoot: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  isolation?: IsolationRequest;
  timeoutMs?: number;
  tmpRoot?: string;
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  /**
   * `cto done`: the repo must be a git work tree with a commit and no uncommitted change but the
   * paths `ignore` accepts (the done records). Absent: any folder, dirty or not (the validator task);
   * the copy is still the committed tree of a git repo, and `repo.dirty` says what it lacks.
   */
  requireClean?: { ignore: (repoPath: string) => boolean };
  /** Called with the sandbox before the validator starts (cto done compares the committed doc). */
  beforeRun?: (sb: Sandbox, cwd: string) => void;
}

/** Runs a validator argv in a disposable copy of the workspace's repository (see the file comment). */
export async function runValidator(o: ValidatorRunOptions): Promise<ValidatorRun> {
  const env = o.env ?? process.env;
  const loc = findGitTop(o.wsRoot);
  let source: SourceInfo;
  let dirty: string[] = [];
  let top: string;
  if (loc) {
    top = loc.top;
    let s;
    try {
      s = readGitSource(loc);
    } catch (e) {
      throw new DoneError(`the repository at ${loc.top} cannot be read: ${(e as Error).message}`, DONE_EXIT.usage);
    }
    if (!s.head) throw new DoneError(`the repository at ${loc.top} has no commit yet: commit the work first`, o.requireClean ? DONE_EXIT.dirty : DONE_EXIT.usage);
    dirty = s.dirty.filter((e) => !o.requireClean?.ignore(entryPath(e)));
    if (o.requireClean && dirty.length > 0) {
      const list = dirty.slice(0, 8).map((e) => e.slice(3)).join(", ");
      throw new DoneError(`the worktree is not clean (${dirty.length} uncommitted change${dirty.length === 1 ? "" : "s"}: ${list}${dirty.length > 8 ? ", …" : ""}): commit or stash them — a done record names a commit`, DONE_EXIT.dirty);
    }
    source = { kind: "git", path: loc.top, head: s.head, tree: s.tree, objects: s.objects };
  } else {
    if (o.requireClean) throw new DoneError(`${o.wsRoot} is not in a git work tree: a done record names a commit`, DONE_EXIT.usage);
    top = o.wsRoot;
    source = { kind: "plain", path: o.wsRoot };
  }
  const wsRel = relative(top, o.wsRoot).split(sep).join("/") || ".";
  const plan = planIsolation(o.isolation ?? "auto", env);
  if (o.isolation === "required" && plan.kind === "none") throw new DoneError(`isolation is required but unavailable: ${plan.reason}`, DONE_EXIT.usage);
  const owner = plan.dropRoot ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : undefined;
  const tmpRoot = o.tmpRoot ?? tmpdir();
  collectLeftovers(tmpRoot, SANDBOX_PREFIX); // a killed `cto done` leaves its sandbox like a killed run
  const sb = createSandbox(source, { tmpRoot, owner, prefix: `${SANDBOX_PREFIX}${ownerTag()}-done-` });
  try {
    const cwd = wsRel === "." ? sb.workTree : join(sb.workTree, ...wsRel.split("/"));
    if (!isDir(cwd)) throw new DoneError(`the workspace folder '${wsRel}' is not in the committed tree${source.head ? ` of ${source.head.slice(0, 12)}` : ""} (not committed, or ignored)`, DONE_EXIT.dirty);
    o.beforeRun?.(sb, cwd);
    const base = {
      repo: { kind: source.kind, top, ...(source.head ? { head: source.head, tree: source.tree } : {}), dirty },
      workspace: wsRel,
      argv: o.argv,
      isolation: plan.kind,
      ...(plan.reason && plan.kind === "none" ? { isolationNote: plan.reason } : {}),
    };
    const exe = whichSync(o.argv[0]!, cwd, env);
    if (!exe) {
      const none = capture({ data: Buffer.alloc(0), totalBytes: 0, cutBytes: 0 }, sb.root);
      return { ...base, exitCode: null, timedOut: false, cancelled: false, spawnError: `'${o.argv[0]}' is not found${o.argv[0]!.includes("/") ? " in the committed workspace" : " on PATH"}`, durationMs: 0, stdout: none, stderr: none };
    }
    const inside = exe === sb.workTree || exe.startsWith(sb.workTree + sep);
    const forbidden = [env.HOME ?? "", homedir(), top, sb.root].filter(Boolean);
    const readOnly = inside ? [] : installationOf(exe, env, forbidden).paths;
    const wrapped = wrapCommand(plan, [exe, ...o.argv.slice(1)], { writable: [sb.workTree, sb.testHome, sb.tmp], readOnly, network: false, cwd });
    const r = await startProc({
      argv: wrapped.argv,
      uid: wrapped.uid,
      gid: wrapped.gid,
      cwd,
      env: homeEnv(env, sb.testHome, sb.tmp),
      timeoutMs: o.timeoutMs ?? DEFAULT_VALIDATOR_TIMEOUT_S * 1000,
      stdin: "ignore",
      marker: `${ownerTag()}/done-${process.pid}/validator`,
      signal: o.signal,
      ...(o.onStdoutLine ? { onStdoutLine: (l: string) => o.onStdoutLine!(l.split(sb.root).join(SANDBOX_PLACEHOLDER)) } : {}),
    }).done;
    return {
      ...base,
      program: exe.split(sb.root).join(SANDBOX_PLACEHOLDER),
      exitCode: r.spawnError ? null : r.exitCode,
      timedOut: r.timedOut,
      cancelled: r.cancelled,
      ...(r.spawnError ? { spawnError: `'${o.argv[0]}' could not be started: ${r.spawnError.message}` } : {}),
      durationMs: Math.round(r.durationMs),
      stdout: capture(r.stdout, sb.root),
      stderr: capture(r.stderr, sb.root),
    };
  } finally {
    sb.dispose();
  }
}

/** A porcelain v1 -z entry's path ("XY path"). */
const entryPath = (e: string) => e.slice(3);

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The sandbox's folder, wherever it shows in the output, becomes $SANDBOX: runs in different temp folders compare. */
function capture(c: Captured, sandboxRoot: string): CapturedOutput {
  const data = replaceAll(c.data, Buffer.from(sandboxRoot), Buffer.from(SANDBOX_PLACEHOLDER));
  return { sha256: sha256(data), bytes: data.length, cut_bytes: c.cutBytes, text: data.toString("utf8") };
}

function replaceAll(data: Buffer, from: Buffer, to: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = data.indexOf(from); i >= 0; i = data.indexOf(from, at)) {
    parts.push(data.subarray(at, i), to);
    at = i + from.length;
  }
  if (parts.length === 0) return data;
  parts.push(data.subarray(at));
  return Buffer.concat(parts);
}

/** Why a validator run does not count as passing, or undefined when it exited 0. */
export function runFailure(r: ValidatorRun): string | undefined {
  if (r.spawnError) return r.spawnError;
  if (r.timedOut) return "the validator ran past its timeout and was killed";
  if (r.cancelled) return "the validator was cancelled";
  if (r.exitCode !== 0) return `the validator exited ${r.exitCode}`;
  return undefined;
}

// ------------------------------------------------------------------------------ cto done

export interface DoneOptions {
  /** The workspace, loaded from disk (the CLI's loader; the editor saves the doc first). */
  ws: CtoWorkspace;
  id: string;
  env?: NodeJS.ProcessEnv;
  isolation?: IsolationRequest;
  timeoutS?: number;
  tmpRoot?: string;
  signal?: AbortSignal;
  onStdoutLine?: (line: string) => void;
  now?: () => Date;
}

export interface DoneOutcome {
  exitCode: number;
  status: "recorded" | "validator-failed" | "holds" | "no-longer-holds";
  message: string;
  /** The record (or recheck) file written, absolute. */
  file?: string;
  predicate?: DonePredicate;
  recheck?: RecheckPredicate;
  run?: ValidatorRun;
}

interface Prepared {
  issue: Issue;
  doc: string;
  argv: string[];
  loc: GitLocation;
  wsRel: string;
  scope: DonePredicate["scope"];
}

/** Everything `cto done` checks before anything runs; each refusal is located where it can be. */
export function prepareDone(ws: CtoWorkspace, id: string): Prepared {
  if (!ID.test(id)) throw new DoneError(`'${id}' is not a CTO-WORK ID (CTO-WORK-NNN)`, DONE_EXIT.usage);
  const defs = ws.definitions(id);
  if (defs.length === 0) {
    const known = ws.workboard?.items.has(id);
    throw new DoneError(known ? `${id} is known only from WORKBOARD.yaml: a done record needs its section (### ${id} - …) with criteria and a Validator: line` : `no section '### ${id} - …' in the workspace ${ws.root}`, DONE_EXIT.usage);
  }
  const { doc, issue } = defs[0]!;
  const at = (r: { line: number; column: number }) => ({ file: join(ws.root, doc), line: r.line, column: r.column });
  if (defs.length > 1) throw new DoneError(`${id} is defined more than once (${defs.map((d) => `${d.doc}:${d.issue.idRange.line}`).join(", ")}): one section per issue`, DONE_EXIT.usage, at(issue.idRange));
  if (!allChecked(issue)) {
    const open = issue.criteria.filter((c) => !c.checked);
    const first = open[0];
    if (!first) throw new DoneError(`${id} has no acceptance criteria: there is nothing to evidence`, DONE_EXIT.notChecked, at(issue.headingRange));
    throw new DoneError(`${id} has ${open.length} of ${issue.criteria.length} acceptance criteria unchecked ('${first.text}'): check them first — the record holds the criteria as checked`, DONE_EXIT.notChecked, at(first.markRange));
  }
  const cmd = validatorCommand(issue);
  if ("problem" in cmd) throw new DoneError(cmd.problem.message, DONE_EXIT.usage, at(cmd.problem.range));
  const globs = issueScope(issue);
  for (const g of globs ?? []) {
    const why = allowedPatternProblem(g.glob);
    if (why) throw new DoneError(`${id}'s Allowed files: '${g.glob}': ${why}`, DONE_EXIT.usage, at(g.range));
  }
  const loc = findGitTop(ws.root);
  if (!loc) throw new DoneError(`${ws.root} is not in a git work tree: a done record names a commit`, DONE_EXIT.usage);
  const wsRel = relative(loc.top, ws.root).split(sep).join("/") || ".";
  const prefix = wsRel === "." ? "" : `${wsRel}/`;
  // Each issue's own section is compared by the core (digest, criteria, Validator line); the docs
  // that hold issues are left out here, so checking another issue's box voids no other record.
  const issueDocs = [...new Set([...ws.allDefinitions().values()].map((d) => d[0]!.doc))].sort();
  const scope = { include: globs ? globs.map((g) => g.glob) : null, exclude: [`${globEscape(prefix)}${DONE_DIR}/**`, ...issueDocs.map((d) => globEscape(prefix + d))] };
  return { issue, doc, argv: cmd.argv, loc, wsRel, scope };
}

const globEscape = (p: string) => p.replace(/[*?[\]{}()!+@\\]/g, "\\$&");

/** The done folder, made if needed; a `.cto` or `.cto/done` that is a symlink is refused (a record is never written through one). */
function doneDir(wsRoot: string): string {
  let dir = wsRoot;
  for (const seg of DONE_DIR.split("/")) {
    dir = join(dir, seg);
    try {
      if (!lstatSync(dir).isDirectory()) throw new DoneError(`${dir} is not a folder (a symlink?): done records are written only into a real folder`, DONE_EXIT.usage);
    } catch (e) {
      if (e instanceof DoneError) throw e;
      mkdirSync(dir);
    }
  }
  return dir;
}

/** `cto done ID`: runs the validator on the clean committed tree and writes the signed record. */
export async function recordDone(o: DoneOptions): Promise<DoneOutcome> {
  const p = prepareDone(o.ws, o.id);
  const env = o.env ?? process.env;
  const key = signingKey(env, p.loc.top);
  const run = await runPrepared(o, p);
  const failure = runFailure(run);
  if (failure) return { exitCode: DONE_EXIT.validatorFailed, status: "validator-failed", message: `${o.id}: ${failure}; no done record was written`, run };
  const now = (o.now ?? (() => new Date()))();
  const docObj = o.ws.docs.get(p.doc)!;
  const predicate: DonePredicate = {
    schema: "cto.done/v1",
    issue: {
      id: o.id,
      title: p.issue.issueTitle,
      doc: p.doc,
      line: p.issue.idRange.line,
      section_sha256: sectionDigest(docObj, p.issue),
      criteria: p.issue.criteria.map((c) => ({ text: c.text, checked: true as const })),
      validator_line: p.issue.fields.find((f) => f.key.toLowerCase() === "validator")!.value,
      allowed_files: p.issue.fields.find((f) => f.key.toLowerCase() === "allowed files")?.value ?? null,
    },
    workspace: p.wsRel,
    validator: { argv: p.argv, cwd: p.wsRel, exit_code: 0, duration_ms: run.durationMs, isolation: run.isolation, stdout: digestOf(run.stdout), stderr: digestOf(run.stderr) },
    commit: run.repo.head!,
    tree: run.repo.tree!,
    worktree_clean: true,
    scope: p.scope,
    signer: { keyid: key.keyid },
    recorded_at: now.toISOString(),
    harness_version: HARNESS_VERSION,
  };
  const text = signStatement(doneStatement(predicate, p.wsRel === "." ? p.doc : `${p.wsRel}/${p.doc}`), key);
  const dir = doneDir(o.ws.root);
  const file = join(dir, `${o.id}.json`);
  writeFileAtomic(file, text);
  // A recheck judged the record this one replaces.
  rmSync(join(dir, `${o.id}.recheck.json`), { force: true });
  return { exitCode: DONE_EXIT.recorded, status: "recorded", message: `${o.id}: done record written (${DONE_DIR}/${o.id}.json), commit ${predicate.commit.slice(0, 12)}, validator exit 0`, file, predicate, run };
}

/** `cto done ID --recheck`: re-runs the recorded validator at HEAD and signs whether it still gives the recorded result. */
export async function recheckDone(o: DoneOptions & { trust: TrustStore }): Promise<DoneOutcome> {
  const p = prepareDone(o.ws, o.id);
  const env = o.env ?? process.env;
  const key = signingKey(env, p.loc.top);
  const views = readDoneRecords(o.ws, { trust: o.trust, ignoreRechecks: true });
  o.ws.setDoneRecords(views);
  const ev = doneEvidence(o.ws, o.id);
  if (!ev || ev.state === "missing") return { exitCode: DONE_EXIT.noLongerHolds, status: "no-longer-holds", message: `${o.id}: ${ev?.reason ?? "no done record"}` };
  if (ev.state === "void") return { exitCode: DONE_EXIT.noLongerHolds, status: "no-longer-holds", message: `${o.id}: the done record no longer counts: ${ev.reason}` };
  const recordFile = join(o.ws.root, ...DONE_DIR.split("/"), `${o.id}.json`);
  const recordBytes = readFileSync(recordFile);
  const rec = ev.record!;
  const run = await runPrepared(o, p);
  const differences: string[] = [];
  const failure = runFailure(run);
  if (failure) differences.push(failure);
  else if (run.exitCode !== rec.exitCode) differences.push(`exit code ${run.exitCode}, recorded ${rec.exitCode}`);
  if (run.stdout.sha256 !== rec.stdoutSha256) differences.push(`its output (stdout) differs: sha256 ${run.stdout.sha256.slice(0, 12)}… (${run.stdout.bytes} bytes), recorded ${rec.stdoutSha256.slice(0, 12)}…`);
  const predicate: RecheckPredicate = {
    schema: "cto.done-recheck/v1",
    issue_id: o.id,
    record_sha256: sha256(recordBytes),
    commit: run.repo.head!,
    validator: { argv: p.argv, exit_code: run.exitCode, isolation: run.isolation, stdout: digestOf(run.stdout), stderr: digestOf(run.stderr) },
    matches: differences.length === 0,
    differences,
    checked_at: (o.now ?? (() => new Date()))().toISOString(),
    harness_version: HARNESS_VERSION,
  };
  const file = join(doneDir(o.ws.root), `${o.id}.recheck.json`);
  writeFileAtomic(file, signStatement(recheckStatement(predicate), key));
  return predicate.matches
    ? { exitCode: DONE_EXIT.recorded, status: "holds", message: `${o.id}: the done record holds: re-run at ${predicate.commit.slice(0, 12)} gave the recorded exit code and output`, file, recheck: predicate, run }
    : { exitCode: DONE_EXIT.noLongerHolds, status: "no-longer-holds", message: `${o.id}: the done record no longer holds: ${differences.join("; ")}`, file, recheck: predicate, run };
}

function runPrepared(o: DoneOptions, p: Prepared): Promise<ValidatorRun> {
  const prefix = p.wsRel === "." ? "" : `${p.wsRel}/`;
  const records = `${prefix}${DONE_DIR}/`;
  return runValidator({
    wsRoot: o.ws.root,
    argv: p.argv,
    env: o.env,
    isolation: o.isolation,
    timeoutMs: (o.timeoutS ?? DEFAULT_VALIDATOR_TIMEOUT_S) * 1000,
    tmpRoot: o.tmpRoot,
    signal: o.signal,
    onStdoutLine: o.onStdoutLine,
    requireClean: { ignore: (path) => path.startsWith(records) },
    beforeRun: (sb) => {
      // The section the record pins must be the committed one (a doc ignored by .gitignore is never "clean").
      const committed = join(sb.workTree, ...(prefix + p.doc).split("/"));
      let same = false;
      try {
        const doc = parseDoc(p.doc, readFileSync(committed));
        const issue = doc.issues.find((i) => i.id === o.id);
        same = issue !== undefined && sectionDigest(doc, issue) === sectionDigest(o.ws.docs.get(p.doc)!, p.issue);
      } catch {
        same = false;
      }
      if (!same) throw new DoneError(`${o.id}'s section in ${p.doc} differs from its committed version (is the doc ignored by .gitignore, or not committed?): commit it first`, DONE_EXIT.dirty);
    },
  });
}

const digestOf = (c: CapturedOutput): OutputDigest => ({ sha256: c.sha256, bytes: c.bytes, cut_bytes: c.cut_bytes });

/** This machine's key, before anything runs (a validator that cannot be recorded is not run). */
function signingKey(env: NodeJS.ProcessEnv, repoTop: string): SigningKey {
  try {
    return loadSigningKey(env, { forbiddenDirs: [repoTop] });
  } catch (e) {
    throw new DoneError(`cannot sign a done record: ${(e as Error).message}`, DONE_EXIT.cannotSign);
  }
}
