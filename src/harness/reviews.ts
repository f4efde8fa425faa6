// Reviews by a person (issue 12, CONTRACT §5): `cto review BUNDLE --approve|--reject --by NAME`
// and VS Code's "CTO: Review Patch…" write a review record beside the bundle — never inside it
// (the bundle is immutable: a file added there fails `cto verify`):
//
//   <runs>/.reviews/<run_id>/<review_id>.json
//
// The record is a DSSE envelope around an in-toto Statement v1 (attest.ts, the one signing
// scheme), predicateType REVIEW_PREDICATE_TYPE, signed with the harness's key. Its subject is the
// bundle's attestation.json by digest, so a review names exactly the bundle it saw: re-sign or
// change the bundle and the review stops counting. The `.reviews` folder starts with a dot, so
// readEvidence never mistakes it for a bundle.
//
// A review never comes from an engine or a run's own process:
//   1. `reviewRefusal` refuses in a run's process: CTO_RUN_MARKER / CTO_RUN_ID in the environment,
//      an ancestor process started with CTO_RUN_MARKER (a child that clears its environment is still
//      the engine's descendant), the sandbox's user (uid 65534, USER=cto-sandbox);
//   2. the record must be signed by the harness's key, which a sandboxed engine cannot read (it
//      gets a per-run home; bubblewrap hides the rest) — a key it makes for itself is not trusted;
//   3. the gates count a review only when signed by a trusted key, naming the bundle's attestation
//      digest as it is now, and by a reviewer who is not the engine (core gateTaskSets.ts).
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, type Dirent } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { isSelfReview, type ReviewEvidence } from "../core";
import { checkEnvelope, signStatement, STATEMENT_TYPE, type SignedStatement } from "./attest";
import { writeFileAtomic, fsyncDir } from "./atomic";
import { readRegularFile } from "./bundleFs";
import { SANDBOX_UID } from "./isolation";
import { loadSigningKey, loadTrustStore, type TrustStore } from "./keys";
import { MARKER_VAR } from "./proc";
import { verifyBundle, VERIFY_EXIT, type VerifyResult } from "./verify";
import { HARNESS_VERSION } from "./version";

export const REVIEW_PREDICATE_TYPE = "https://cto-workbench.dev/review/v1";
export const REVIEW_SCHEMA = "cto.review/v1";
/** Beside the bundles, in the runs folder: `<runs>/.reviews/<run_id>/`. */
export const REVIEWS_DIR = ".reviews";
const MAX_REVIEW_BYTES = 256 * 1024;
const MAX_REVIEWS_PER_RUN = 1000;
const MAX_RUN_FOLDERS = 100_000;
const LIMITS = { name: 200, email: 254, note: 4000 };

export interface ReviewPredicate {
  schema: typeof REVIEW_SCHEMA;
  review_id: string;
  run_id: string;
  bundle: { attestation_sha256: string; engine: string; task: { id: string; sha256: string }; status: string };
  verdict: "approve" | "reject";
  reviewer: { name: string; email: string | null };
  note: string | null;
  reviewed_at: string;
  /** What made it: "cto review" or "vscode". */
  tool: string;
  harness_version: string;
}

/** Refused (not written): `exitCode` is what `cto review` exits with. */
export class ReviewError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The review folder of a bundle: `<runs>/.reviews/<run_id>/`. */
export function reviewsDirOf(bundleDir: string): string {
  const dir = resolve(bundleDir);
  return join(dirname(dir), REVIEWS_DIR, basename(dir));
}

/**
 * Why this process must not record a review (it is a run's own process), or undefined.
 * `procRoot` is /proc (a test seam); ancestry is read only where it exists (Linux).
 */
export function reviewRefusal(env: NodeJS.ProcessEnv = process.env, procRoot = "/proc"): string | undefined {
  if (env[MARKER_VAR]) return `${MARKER_VAR} is set: this is a process of a harness run (an engine, its tests or its reviewer), and a review comes only from a person`;
  if (env.CTO_RUN_ID) return "CTO_RUN_ID is set: this is a process of a harness run (its tests or its reviewer), and a review comes only from a person";
  if (process.getuid?.() === SANDBOX_UID) return `this runs as the sandbox's unprivileged user (uid ${SANDBOX_UID}): a review comes only from a person, never from inside a sandbox`;
  if (env.USER === "cto-sandbox" || env.LOGNAME === "cto-sandbox") return "this runs as the sandbox user (USER=cto-sandbox): a review comes only from a person, never from inside a sandbox";
  const marked = markedAncestor(procRoot);
  if (marked) return `an ancestor process (pid ${marked}) was started by a harness run (${MARKER_VAR} in its environment): a review comes only from a person`;
  return undefined;
}

/** The first ancestor whose initial environment carries the run marker (a descendant cannot clear that). */
function markedAncestor(procRoot: string): number | undefined {
  const needle = Buffer.from(`${MARKER_VAR}=`);
  let pid = process.pid;
  for (let depth = 0; depth < 64; depth++) {
    let stat: string;
    try {
      stat = readFileSync(join(procRoot, String(pid), "stat"), "utf8");
    } catch {
      return undefined; // no /proc: nothing more to learn here
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!Number.isInteger(ppid) || ppid <= 0) return undefined;
    try {
      const environ = readFileSync(join(procRoot, String(ppid), "environ"));
      if (environ.subarray(0, needle.length).equals(needle) || environ.includes(Buffer.concat([Buffer.from([0]), needle]))) return ppid;
    } catch {
      /* another user's process (sudo, the init system): not a run's */
    }
    pid = ppid;
  }
  return undefined;
}

export interface CreateReviewOptions {
  verdict: "approve" | "reject";
  /** The reviewer's name (required) and e-mail (optional). */
  name: string;
  email?: string;
  note?: string;
  /** What records it ("cto review", "vscode"). */
  tool: string;
  env?: NodeJS.ProcessEnv;
  /** Whose signatures make the bundle worth reviewing (default: the local key). */
  trust?: TrustStore;
  now?: Date;
}

export interface CreatedReview {
  file: string;
  predicate: ReviewPredicate;
  verify: VerifyResult;
}

/** Refuses the identity a review must not carry; returns it cleaned. */
export function checkReviewer(name: string, email: string | undefined, note: string | undefined): { name: string; email: string | null; note: string | null } {
  const n = name.trim();
  const bad = /[\u0000-\u001f\u007f]/;
  if (!n) throw new ReviewError("the reviewer needs a name (--by NAME): a review says who made it", VERIFY_EXIT.usage);
  if (n.length > LIMITS.name || bad.test(n)) throw new ReviewError(`the reviewer's name must be one line of at most ${LIMITS.name} characters`, VERIFY_EXIT.usage);
  const e = email?.trim() || null;
  if (e && (e.length > LIMITS.email || bad.test(e) || !/^[^\s@<>]+@[^\s@<>]+$/.test(e))) throw new ReviewError(`'${e}' is not an e-mail address`, VERIFY_EXIT.usage);
  const t = note?.replace(/\r\n/g, "\n").trim() || null;
  if (t && (t.length > LIMITS.note || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(t))) throw new ReviewError(`the note must be text of at most ${LIMITS.note} characters`, VERIFY_EXIT.usage);
  return { name: n, email: e, note: t };
}

/** Verifies the bundle, then writes a signed review record beside it. Throws ReviewError when refused. */
export async function createReview(bundleDir: string, o: CreateReviewOptions): Promise<CreatedReview> {
  const env = o.env ?? process.env;
  const refused = reviewRefusal(env);
  if (refused) throw new ReviewError(`refused: ${refused}`, 1);
  const who = checkReviewer(o.name, o.email, o.note);
  const dir = resolve(bundleDir);
  const v = await verifyBundle(dir, { trust: o.trust ?? loadTrustStore({ env }) });
  // Stale is fine to review (the gates will not count it until it is fresh); a bundle that is
  // not intact, or not signed by a key trusted here, is not worth a person's signature.
  if (v.verdict !== "verified" && v.verdict !== "stale") {
    const first = v.problems[0];
    throw new ReviewError(`the bundle is ${v.verdict}${first ? ` (${first.file ? `${first.file}: ` : ""}${first.message})` : ""}: only a bundle that verifies can be reviewed`, v.exitCode);
  }
  const r = v.report!;
  if (!v.attestationSha256) throw new ReviewError("the bundle has no attestation to name", VERIFY_EXIT.unsigned);
  if (isSelfReview(`${who.name} ${who.email ?? ""}`, r.engine.id)) throw new ReviewError(`refused: '${who.name}' names the engine '${r.engine.id}' — an engine never reviews its own patch`, VERIFY_EXIT.usage);
  const runsDir = dirname(dir);
  const key = (() => {
    try {
      return loadSigningKey(env, { forbiddenDirs: [runsDir] });
    } catch (e) {
      throw new ReviewError(`cannot sign the review: ${(e as Error).message}`, 1);
    }
  })();
  const now = o.now ?? new Date();
  const reviewId = `${now.toISOString().replace(/[-:]/g, "").replace(".", "")}-${randomBytes(5).toString("hex")}`;
  const predicate: ReviewPredicate = {
    schema: REVIEW_SCHEMA,
    review_id: reviewId,
    run_id: basename(dir),
    bundle: { attestation_sha256: v.attestationSha256, engine: r.engine.id, task: { id: r.task.id, sha256: r.task.sha256 }, status: r.status },
    verdict: o.verdict,
    reviewer: { name: who.name, email: who.email },
    note: who.note,
    reviewed_at: now.toISOString(),
    tool: o.tool,
    harness_version: HARNESS_VERSION,
  };
  const statement: SignedStatement<ReviewPredicate> = {
    _type: STATEMENT_TYPE,
    subject: [{ name: `${predicate.run_id}/attestation.json`, digest: { sha256: v.attestationSha256 } }],
    predicateType: REVIEW_PREDICATE_TYPE,
    predicate,
  };
  const out = reviewsDirOf(dir);
  try {
    // Real folders only: a `.reviews` (or run folder) planted as a symlink would send the record elsewhere.
    for (const d of [dirname(out), out]) {
      try {
        mkdirSync(d, { mode: 0o755 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      if (!lstatSync(d).isDirectory()) throw new Error(`${d} is not a folder (a symlink?)`);
    }
    const file = join(out, `${reviewId}.json`);
    writeFileAtomic(file, signStatement(statement, key), basename(file));
    fsyncDir(out);
    return { file, predicate, verify: v };
  } catch (e) {
    throw new ReviewError(`cannot write the review: ${(e as Error).message}`, 1);
  }
}

// ------------------------------------------------------------------------------ reading

/** Every review record under `<runsDir>/.reviews/`, each signature checked now. Never throws on content. */
export async function readReviews(runsDir: string, trust: TrustStore): Promise<ReviewEvidence[]> {
  const root = join(resolve(runsDir), REVIEWS_DIR);
  let runs: Dirent[];
  try {
    runs = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: ReviewEvidence[] = [];
  for (const run of runs.filter((d) => d.isDirectory() && /^[\w.-]+$/.test(d.name)).slice(0, MAX_RUN_FOLDERS)) {
    let files: Dirent[];
    try {
      files = readdirSync(join(root, run.name), { withFileTypes: true });
    } catch {
      continue;
    }
    // Regular files only (a link, FIFO or device planted here is not read).
    for (const f of files.filter((x) => x.isFile() && x.name.endsWith(".json")).slice(0, MAX_REVIEWS_PER_RUN)) {
      out.push(await readOne(join(root, run.name, f.name), run.name, trust));
    }
  }
  return out;
}

async function readOne(file: string, runId: string, trust: TrustStore): Promise<ReviewEvidence> {
  const blank: ReviewEvidence = { file, runId, attestationSha256: "", verdict: "reject", reviewer: "", at: "", signature: "bad" };
  let text: string;
  try {
    text = (await readRegularFile(file, { maxBytes: MAX_REVIEW_BYTES })).toString("utf8");
  } catch (e) {
    return { ...blank, problem: `cannot be read: ${(e as Error).message}` };
  }
  const c = checkEnvelope<ReviewPredicate>(text, trust, REVIEW_PREDICATE_TYPE);
  if (c.state !== "trusted" || !c.statement) return { ...blank, signature: c.state, ...(c.problems[0] ? { problem: c.problems[0] } : {}) };
  const p = c.statement.predicate;
  const shape = predicateProblem(p, runId, c.statement.subject);
  if (shape || c.problems.length) return { ...blank, signature: "trusted", signer: c.name ?? undefined, problem: shape ?? c.problems[0] };
  const reviewer = p.reviewer.email ? `${p.reviewer.name} <${p.reviewer.email}>` : p.reviewer.name;
  return {
    file,
    runId,
    attestationSha256: p.bundle.attestation_sha256,
    verdict: p.verdict,
    reviewer,
    ...(p.note ? { note: p.note } : {}),
    at: p.reviewed_at,
    signature: "trusted",
    ...(c.name ? { signer: c.name } : {}),
  };
}

/** What is wrong with a (well signed) review's content, or undefined. */
function predicateProblem(p: ReviewPredicate, runId: string, subject: { name: string; digest: Record<string, string> }[]): string | undefined {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
  if (!isObj(p) || p.schema !== REVIEW_SCHEMA) return `not a ${REVIEW_SCHEMA} record`;
  if (p.run_id !== runId) return `names run ${String(p.run_id)} but lies beside ${runId}`;
  if (p.verdict !== "approve" && p.verdict !== "reject") return "its verdict is neither approve nor reject";
  if (!isObj(p.reviewer) || typeof p.reviewer.name !== "string" || !p.reviewer.name.trim()) return "it names no reviewer";
  if (p.reviewer.email !== null && typeof p.reviewer.email !== "string") return "its reviewer's e-mail is malformed";
  if (!isObj(p.bundle) || typeof p.bundle.attestation_sha256 !== "string" || !/^[0-9a-f]{64}$/.test(p.bundle.attestation_sha256)) return "it names no attestation digest";
  if (typeof p.reviewed_at !== "string" || Number.isNaN(Date.parse(p.reviewed_at))) return "it has no valid date";
  if (p.note !== null && p.note !== undefined && typeof p.note !== "string") return "its note is malformed";
  if (subject.length !== 1 || subject[0]!.name !== `${runId}/attestation.json` || subject[0]!.digest.sha256 !== p.bundle.attestation_sha256) return "its signed subject is not the bundle's attestation it names";
  return undefined;
}
