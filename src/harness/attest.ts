// Signed evidence (CONTRACT §4): `attestation.json` is a DSSE envelope
// (https://github.com/secure-systems-lab/dsse, protocol v1) around an in-toto Statement v1 whose
// subjects are every file of the bundle but attestation.json itself (SHA256SUMS and report.json
// included) and whose predicate is the report. Signed with the harness's Ed25519 key (keys.ts).
// A bundle whose digests anyone re-computed without the key no longer matches the subjects, and
// they cannot sign new ones with a key the verifier trusts.
import { sign, verify } from "node:crypto";
import { canonical, serializeReport } from "./bundle";
import { ARTIFACTS, type Report } from "./contract";
import { sha256Hex } from "./digest";
import { loadSigningKey, shortKeyId, type SigningKey, type TrustStore } from "./keys";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const PREDICATE_TYPE = "https://cto-workbench.dev/report/v1";
export const PAYLOAD_TYPE = "application/vnd.in-toto+json";
const MAX_SIGNATURES = 16;

/**
 * Any in-toto Statement v1 the harness signs (bundles, reviews, comparisons, done records, …),
 * each with its own predicateType; the bundle's is `Statement` (predicate: the report).
 */
export interface SignedStatement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: P;
}

export interface Statement extends SignedStatement<Report> {
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof PREDICATE_TYPE;
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/** DSSE's pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** The statement over `subjects` (bundle-relative path → sha256 hex), predicate the report. */
export function buildStatement(subjects: Record<string, string>, report: Report): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: Object.keys(subjects)
      .sort()
      .map((name) => ({ name, digest: { sha256: subjects[name]! } })),
    predicateType: PREDICATE_TYPE,
    predicate: report,
  };
}

/** Every signed record (bundles, reviews, comparisons, done records, …) goes through here: one DSSE scheme, one key. */
export function signStatement(statement: SignedStatement, key: SigningKey): string {
  const payload = Buffer.from(JSON.stringify(statement), "utf8");
  const sig = sign(null, pae(PAYLOAD_TYPE, payload), key.privateKey);
  const env: Envelope = { payloadType: PAYLOAD_TYPE, payload: payload.toString("base64"), signatures: [{ keyid: key.keyid, sig: sig.toString("base64") }] };
  return JSON.stringify(env, null, 2) + "\n";
}

/**
 * The runner's signer: the harness's key (created on first use), refused inside `forbiddenDirs`.
 * On failure `onError` gets the reason and the bundle is written unsigned (it never verifies).
 */
export function bundleSigner(forbiddenDirs: string[], onError: (message: string) => void, env: NodeJS.ProcessEnv = process.env): SigningKey | undefined {
  try {
    return loadSigningKey(env, { forbiddenDirs });
  } catch (e) {
    onError(`cannot sign the bundle: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * attestation.json for a bundle: its subjects are the manifest's entries (`digests`, hex) plus
 * SHA256SUMS and report.json as written.
 */
export function bundleAttestation(key: SigningKey, report: Report, digests: Record<string, string>, manifestText: string): string {
  const subjects = { ...digests, [ARTIFACTS.manifest]: sha256Hex(manifestText), [ARTIFACTS.report]: sha256Hex(serializeReport(report)) };
  return signStatement(buildStatement(subjects, report), key);
}

// ------------------------------------------------------------------------------ verifying

export type SignatureState = "trusted" | "untrusted" | "unsigned" | "bad";

export interface SignatureCheck {
  state: SignatureState;
  /** The key that signed (trusted), or the key ids the envelope names (untrusted, bad). */
  keyid: string | null;
  /** The trusted key's name. */
  name: string | null;
  /** Where the trust comes from (trusted only). */
  sources: string[];
  /** Integrity problems (state "bad", or a trusted statement that does not match the bundle). */
  problems: string[];
  /** The authenticated statement (trusted only). */
  statement?: Statement;
}

/** The same check for a statement of another predicate type (a comparison, a review, …). */
export interface StatementCheck<P = unknown> extends Omit<SignatureCheck, "statement"> {
  statement?: SignedStatement<P>;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** Strict standard base64 (Buffer.from ignores characters it does not know). */
function fromBase64(s: unknown): Buffer | undefined {
  if (typeof s !== "string") return undefined;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : undefined;
}

/**
 * Checks an envelope against the trusted keys. "bad": malformed, or a signature that names a
 * trusted key and does not verify with it; "untrusted": no signature verifies with a trusted key.
 * `predicateType` is the kind of statement expected (default: a bundle's report).
 */
export function checkEnvelope(text: string, trust: TrustStore): SignatureCheck;
export function checkEnvelope<P = unknown>(text: string, trust: TrustStore, expect: string | ((statement: unknown) => string[])): StatementCheck<P>;
export function checkEnvelope(text: string, trust: TrustStore, expect: string | ((statement: unknown) => string[]) = PREDICATE_TYPE): StatementCheck {
  // The expected statement: a predicateType (the shape every statement has), or a record's own check.
  const shape = typeof expect === "string" ? (st: unknown) => statementShape(st, expect) : expect;
  const bad = (problem: string, keyid: string | null = null): SignatureCheck => ({ state: "bad", keyid, name: null, sources: [], problems: [problem] });
  let env: unknown;
  try {
    env = JSON.parse(text);
  } catch (e) {
    return bad(`attestation.json does not parse: ${(e as Error).message}`);
  }
  if (!isObj(env) || typeof env.payloadType !== "string" || typeof env.payload !== "string" || !Array.isArray(env.signatures)) return bad("attestation.json is not a DSSE envelope (payloadType, payload, signatures)");
  if (env.payloadType !== PAYLOAD_TYPE) return bad(`attestation.json's payloadType is '${env.payloadType}', not ${PAYLOAD_TYPE}`);
  const payload = fromBase64(env.payload);
  if (!payload) return bad("attestation.json's payload is not base64");
  const sigs = env.signatures;
  if (sigs.length === 0) return bad("attestation.json carries no signature");
  if (sigs.length > MAX_SIGNATURES) return bad(`attestation.json carries ${sigs.length} signatures (at most ${MAX_SIGNATURES})`);
  const message = pae(PAYLOAD_TYPE, payload);
  let good: { keyid: string; name: string; sources: string[] } | undefined;
  const named: string[] = [];
  for (const s of sigs) {
    if (!isObj(s) || (s.keyid !== undefined && typeof s.keyid !== "string")) return bad("attestation.json has a malformed signature entry");
    const sig = fromBase64(s.sig);
    const keyid = typeof s.keyid === "string" ? s.keyid : "";
    if (!sig || sig.length !== 64) return bad(`attestation.json: the signature${keyid ? ` of key ${shortKeyId(keyid)}` : ""} is not 64 bytes of base64`, keyid || null);
    if (keyid) named.push(keyid);
    // The key id is an unauthenticated hint: a named trusted key must verify; without a hint, any may.
    const candidates = keyid ? trust.keys.filter((k) => k.keyid === keyid) : trust.keys;
    const hit = candidates.find((k) => verify(null, message, k.key, sig));
    if (hit) good ??= { keyid: hit.keyid, name: hit.name, sources: hit.sources };
    else if (keyid && candidates.length) return bad(`attestation.json: the signature does not verify with the trusted key ${shortKeyId(keyid)} (${candidates[0]!.name}) — the bundle or its attestation was changed after signing`, keyid);
  }
  if (!good) return { state: "untrusted", keyid: named[0] ?? null, name: null, sources: [], problems: [] };
  let statement: unknown;
  try {
    statement = JSON.parse(payload.toString("utf8"));
  } catch (e) {
    return { ...bad(`the signed statement does not parse: ${(e as Error).message}`, good.keyid), name: good.name };
  }
  return { state: "trusted", ...good, problems: shape(statement), statement: statement as SignedStatement };
}

function statementShape(s: unknown, predicateType: string): string[] {
  if (!isObj(s)) return ["the signed statement is not a JSON object"];
  const out: string[] = [];
  if (s._type !== STATEMENT_TYPE) out.push(`the signed statement's _type is not ${STATEMENT_TYPE}`);
  if (s.predicateType !== predicateType) out.push(`the signed statement's predicateType is not ${predicateType}`);
  if (!Array.isArray(s.subject) || s.subject.some((x) => !isObj(x) || typeof x.name !== "string" || !isObj(x.digest) || typeof x.digest.sha256 !== "string")) out.push("the signed statement's subjects are malformed");
  if (!isObj(s.predicate)) out.push("the signed statement has no predicate");
  return out;
}

/**
 * What the signed statement says against what the bundle holds: `actual` is every file of the
 * bundle but attestation.json, with its sha256 as computed now.
 */
export function statementProblems(statement: Statement, actual: Map<string, string>, report: Report): { file?: string; message: string }[] {
  const out: { file?: string; message: string }[] = [];
  const subjects = new Map<string, string>();
  for (const s of statement.subject) {
    if (subjects.has(s.name)) out.push({ file: ARTIFACTS.attestation, message: `the signature lists ${s.name} twice` });
    subjects.set(s.name, s.digest.sha256);
  }
  for (const [name, hex] of subjects) {
    const now = actual.get(name);
    if (now === undefined) out.push({ file: name, message: `${name} is signed but not in the bundle (deleted?)` });
    else if (now !== hex) out.push({ file: name, message: `${name} differs from what was signed (its sha256 is not the attestation's)` });
  }
  for (const name of actual.keys()) if (!subjects.has(name)) out.push({ file: name, message: `${name} is not covered by the signature (added after signing?)` });
  // Equal serializations are equal reports (the runner signs the very object it writes); only
  // when they differ does key order need ruling out, with the canonical form.
  if (JSON.stringify(statement.predicate) !== JSON.stringify(report) && canonical(statement.predicate) !== canonical(report)) out.push({ file: ARTIFACTS.report, message: "report.json differs from the report that was signed (the attestation's predicate)" });
  return out;
}
