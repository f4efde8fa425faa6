// What an attacker who can write a bundle — but does not hold the harness's key — can do: edit
// it, recompute every digest the product checks (SHA256SUMS, report.json `digests`,
// `manifest_sha256`, report.md's "Report core" line) with the product's own (public) code, and
// sign a statement with a key of their own. The DSSE pieces here are written from the spec,
// independently of src/harness/attest.ts, so the tests also check the product against them.
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatManifest, reportCoreSha256, serializeReport } from "../../../src/harness/bundle";
import type { Report } from "../../../src/harness";

/** DSSE v1 pre-authentication encoding, from the spec: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
export function testPae(payloadType: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType, "utf8")} ${payloadType} ${body.length} `, "utf8"), body]);
}

export const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** The key id the product promises: sha256 of the SubjectPublicKeyInfo DER (fixed Ed25519 prefix + 32 bytes). */
export function keyIdOfRaw(raw: Buffer): string {
  return sha256(Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]));
}

/** A public key from a `.cto/trusted-keys` line ("ed25519 <base64> name"). */
export function publicKeyOfLine(line: string): { key: KeyObject; raw: Buffer; name: string } {
  const [alg, b64, ...name] = line.trim().split(/\s+/);
  if (alg !== "ed25519") throw new Error(`not an ed25519 line: ${line}`);
  const raw = Buffer.from(b64!, "base64");
  return { key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" }), raw, name: name.join(" ") };
}

/** Every file of a bundle but attestation.json, bundle-relative. */
export function bundleFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    if (statSync(join(dir, r)).isDirectory()) out.push(...bundleFiles(dir, r));
    else if (r !== "attestation.json") out.push(r);
  }
  return out;
}

export const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;

/**
 * Turns a failing bundle into one that claims pass, consistently: report fields, the events
 * (blocker.raised and the row event dropped, run.finished rewritten), report.md's core line,
 * SHA256SUMS, report.json's digests and manifest_sha256. The attestation is left as it was.
 */
export function forgePass(dir: string, edit: (r: Report) => void = () => {}): void {
  const r = readReport(dir);
  const raised = new Set(r.blockers.map((b) => b.id));
  Object.assign(r, { status: "pass", exit_code: 0, blockers: [] });
  edit(r);
  const events = readFileSync(join(dir, "events.normalized.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.type !== "blocker.raised" && !(e.type === "tests.failed" && raised.has("tests_failed")))
    .map((e) => (e.type === "run.finished" ? { ...e, data: { status: "pass", exit_code: 0, blockers: [] } } : e));
  writeFileSync(join(dir, "events.normalized.jsonl"), events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  redigest(dir, r);
}

/** Recomputes every digest the product checks for `r` and writes report.json. */
export function redigest(dir: string, r: Report = readReport(dir)): void {
  const md = readFileSync(join(dir, "report.md"), "utf8").replace(/^Report core: sha256:[0-9a-f]{64}$/m, `Report core: sha256:${reportCoreSha256(r)}`);
  writeFileSync(join(dir, "report.md"), md);
  const digests: Record<string, string> = {};
  for (const f of bundleFiles(dir)) if (f !== "report.json" && f !== "SHA256SUMS") digests[f] = sha256(readFileSync(join(dir, f)));
  const manifest = formatManifest(digests);
  writeFileSync(join(dir, "SHA256SUMS"), manifest);
  r.digests = Object.fromEntries(Object.entries(digests).map(([k, v]) => [k, `sha256:${v}`]));
  r.freshness.manifest_sha256 = sha256(manifest);
  writeFileSync(join(dir, "report.json"), serializeReport(r));
}

/** Drops the signature, and report.json's mention of it, then re-digests: an unsigned bundle. */
export function stripSignature(dir: string): void {
  rmSync(join(dir, "attestation.json"));
  const r = readReport(dir);
  delete (r.artifacts as Record<string, string>).attestation;
  redigest(dir, r);
}

export function attackerKey(): { privateKey: KeyObject; publicKey: KeyObject; raw: Buffer; keyid: string; line: (name: string) => string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(String(publicKey.export({ format: "jwk" }).x), "base64url");
  return { privateKey, publicKey, raw, keyid: keyIdOfRaw(raw), line: (name) => `ed25519 ${raw.toString("base64")} ${name}` };
}

/** Signs the bundle as it is now (every file but attestation.json) with `key`, claiming `keyid`. */
export function resign(dir: string, key: KeyObject, keyid: string): void {
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: bundleFiles(dir).map((name) => ({ name, digest: { sha256: sha256(readFileSync(join(dir, name))) } })),
    predicateType: "https://cto-workbench.dev/report/v1",
    predicate: readReport(dir),
  };
  const payload = Buffer.from(JSON.stringify(statement));
  const type = "application/vnd.in-toto+json";
  const sig = sign(null, testPae(type, payload), key);
  writeFileSync(join(dir, "attestation.json"), JSON.stringify({ payloadType: type, payload: payload.toString("base64"), signatures: [{ keyid, sig: sig.toString("base64") }] }, null, 2) + "\n");
}
