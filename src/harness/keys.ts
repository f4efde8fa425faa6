// The harness's signing key and the keys it trusts (docs/harness.md, "Signed evidence").
//
// The signing key is an Ed25519 private key (PKCS#8 PEM), mode 0600, at
//   $CTO_SIGNING_KEY                                   (must exist: CI points at its own key), else
//   ${XDG_CONFIG_HOME:-~/.config}/cto-workbench/signing-key.pem   (created on first use).
// It lives outside every workspace, repo, sandbox and evidence folder; a key found inside the
// task's repo or the runs folder is refused (the repo is copied into the sandbox).
//
// Trusted keys: the local key, plus `.cto/trusted-keys` of the workspace the user works in — one
// key a line, `ed25519 <base64 of the 32-byte public key> <name>` (`cto key show` prints the line).
// The key id is the sha256 (hex) of the public key's SubjectPublicKeyInfo DER, what
// `openssl pkey -pubout -outform DER | sha256sum` prints.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, realpathSync, statSync, unlinkSync, writeSync } from "node:fs";
import { homedir, hostname, userInfo } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { readRegularFileSync, UnsafeFileError } from "./bundleFs";

export const KEY_ALGORITHM = "ed25519";
export const TRUSTED_KEYS_FILE = ".cto/trusted-keys";
const MAX_KEY_FILE_BYTES = 64 * 1024;
const MAX_TRUST_FILE_BYTES = 1024 * 1024;

export class SigningKeyError extends Error {}

export interface PublicKeyInfo {
  keyid: string;
  /** Base64 of the raw 32-byte Ed25519 public key (the trusted-keys format). */
  publicKey: string;
}

export interface SigningKey extends PublicKeyInfo {
  path: string;
  privateKey: KeyObject;
  publicKeyObject: KeyObject;
  /** Created by this call (first use). */
  created: boolean;
}

/** Where the signing key is, from the environment: CTO_SIGNING_KEY, else the config folder. */
export function signingKeyPath(env: NodeJS.ProcessEnv = process.env): { path: string; explicit: boolean } {
  const explicit = env.CTO_SIGNING_KEY;
  if (explicit) return { path: resolve(explicit), explicit: true };
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), ".config");
  return { path: join(config, "cto-workbench", "signing-key.pem"), explicit: false };
}

export function publicKeyInfo(pub: KeyObject): PublicKeyInfo {
  const der = pub.export({ type: "spki", format: "der" });
  const jwk = pub.export({ format: "jwk" });
  return { keyid: createHash("sha256").update(der).digest("hex"), publicKey: Buffer.from(String(jwk.x), "base64url").toString("base64") };
}

export interface LoadKeyOptions {
  /** Create the key when the default location holds none (default true). Never for CTO_SIGNING_KEY. */
  create?: boolean;
  /** Folders the key must not be inside (the task's repo, the runs folder). */
  forbiddenDirs?: string[];
}

/** The harness's signing key. Throws SigningKeyError saying what is wrong and how to fix it. */
export function loadSigningKey(env: NodeJS.ProcessEnv = process.env, o: LoadKeyOptions = {}): SigningKey {
  const { path, explicit } = signingKeyPath(env);
  let created = false;
  if (!existsSync(path)) {
    if (explicit) throw new SigningKeyError(`CTO_SIGNING_KEY names ${path}, which does not exist`);
    if (o.create === false) throw new SigningKeyError(`no signing key at ${path} yet (a run or \`cto key show\` creates it)`);
    created = createKeyFile(path);
  }
  for (const d of o.forbiddenDirs ?? []) {
    if (isInside(path, d)) throw new SigningKeyError(`the signing key ${path} is inside ${d}: the engine could read it there; keep it outside every repo and evidence folder`);
  }
  let pem: Buffer;
  try {
    pem = readRegularFileSync(path, { maxBytes: MAX_KEY_FILE_BYTES, follow: true });
  } catch (e) {
    throw new SigningKeyError(`the signing key ${path} ${e instanceof UnsafeFileError ? e.message : (e as Error).message}`);
  }
  checkMode(path);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    throw new SigningKeyError(`the signing key ${path} is not a PEM private key: ${(e as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== KEY_ALGORITHM) throw new SigningKeyError(`the signing key ${path} is ${privateKey.asymmetricKeyType ?? "not an asymmetric key"}, not ed25519`);
  const publicKeyObject = createPublicKey(privateKey);
  return { path, privateKey, publicKeyObject, created, ...publicKeyInfo(publicKeyObject) };
}

/** Like ssh: a private key others can read is refused. */
function checkMode(path: string): void {
  if (process.platform === "win32") return;
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new SigningKeyError(`the signing key ${path} is readable by others (mode ${mode.toString(8).padStart(4, "0")}); chmod 600 it`);
}

/** Writes a new key without ever replacing one: temp file, then link (fails if another run won). */
function createKeyFile(path: string): boolean {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new SigningKeyError(`cannot create ${dir} for the signing key: ${(e as Error).message}`);
  }
  const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const tmp = join(dir, `.signing-key.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, pem);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false; // a concurrent first use won: use its key
      throw e;
    }
  } catch (e) {
    throw new SigningKeyError(`cannot create the signing key ${path}: ${(e as Error).message}`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
  }
}

function isInside(path: string, dir: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const rel = relative(real(dir), real(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The `.cto/trusted-keys` line for a key. */
export function trustedKeyLine(key: PublicKeyInfo, name: string): string {
  return `${KEY_ALGORITHM} ${key.publicKey} ${name}`;
}

/** A default name for the local key's trusted-keys line: user@host. */
export function defaultKeyName(): string {
  let user = "user";
  try {
    user = userInfo().username || user;
  } catch {
    /* no passwd entry */
  }
  return `${user}@${hostname()}`;
}

// ------------------------------------------------------------------------------------- trust

export interface TrustedKey {
  keyid: string;
  key: KeyObject;
  /** Who it is: the trusted-keys name, or "local key". */
  name: string;
  /** Where the trust comes from: "local key (<path>)", "<file>:<line>". */
  sources: string[];
}

export interface TrustStore {
  keys: TrustedKey[];
  /** Lines that were not understood (their keys are not trusted), keys that could not be read. */
  problems: string[];
  /** The trusted-keys files read. */
  files: string[];
}

export interface TrustOptions {
  env?: NodeJS.ProcessEnv;
  /** Trust the local signing key (default true). It is read, never created, here. */
  local?: boolean;
  /** A CTO workspace root: its `.cto/trusted-keys` is read when it exists. */
  workspaceRoot?: string;
  /** More trusted-keys files (each must exist). */
  files?: string[];
  /**
   * Folders that come with the evidence (the bundle being checked, a task's folder and repo): a
   * workspace at or inside one of them is the evidence vouching for itself, so its
   * `.cto/trusted-keys` is not read (a problem says so). Files named in `files` are the caller's.
   */
  exclude?: string[];
}

/** The keys verify and the gates accept. Never throws on content: problems are listed. */
export function loadTrustStore(o: TrustOptions = {}): TrustStore {
  const store: TrustStore = { keys: [], problems: [], files: [] };
  const add = (keyid: string, key: KeyObject, name: string, source: string) => {
    const have = store.keys.find((k) => k.keyid === keyid);
    if (have) {
      have.sources.push(source);
      if (have.name === "local key") have.name = name;
    } else store.keys.push({ keyid, key, name, sources: [source] });
  };
  if (o.local !== false) {
    const { path } = signingKeyPath(o.env);
    if (existsSync(path)) {
      try {
        const k = loadSigningKey(o.env, { create: false });
        add(k.keyid, k.publicKeyObject, "local key", `local key (${k.path})`);
      } catch (e) {
        store.problems.push((e as Error).message);
      }
    }
  }
  let wsFile = o.workspaceRoot && existsSync(join(o.workspaceRoot, TRUSTED_KEYS_FILE)) ? join(o.workspaceRoot, TRUSTED_KEYS_FILE) : undefined;
  const carrier = wsFile ? (o.exclude ?? []).find((d) => isInside(o.workspaceRoot!, d)) : undefined;
  if (wsFile && carrier) {
    store.problems.push(`${wsFile} comes with the evidence (it lies in ${carrier}): no key of it is trusted; name the workspace whose keys you trust with --workspace, or --trusted-keys`);
    wsFile = undefined;
  }
  const files = [...(wsFile ? [wsFile] : []), ...(o.files ?? [])];
  for (const file of files) {
    let text: string;
    try {
      text = readRegularFileSync(file, { maxBytes: MAX_TRUST_FILE_BYTES }).toString("utf8");
    } catch (e) {
      store.problems.push(`${file}: ${(e as Error).message}; no key of it is trusted`);
      continue;
    }
    store.files.push(file);
    const parsed = parseTrustedKeys(text);
    for (const p of parsed.problems) store.problems.push(`${file}:${p.line}:${p.column}: ${p.message}`);
    for (const k of parsed.keys) add(k.keyid, k.key, k.name, `${file}:${k.line}`);
  }
  return store;
}

export interface ParsedTrustedKey {
  keyid: string;
  key: KeyObject;
  name: string;
  line: number;
}

/** Parses a trusted-keys file: `ed25519 <base64> <name>` lines, `#` comments, blank lines. */
export function parseTrustedKeys(text: string): { keys: ParsedTrustedKey[]; problems: { line: number; column: number; message: string }[] } {
  const keys: ParsedTrustedKey[] = [];
  const problems: { line: number; column: number; message: string }[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const l = raw.replace(/\r$/, "");
    const lead = l.length - l.trimStart().length;
    const body = l.trim();
    if (!body || body.startsWith("#")) return;
    const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(body);
    if (!m) return problems.push({ line, column: lead + 1, message: "expected `ed25519 <base64 public key> <name>`" });
    const [, alg, b64, name] = m;
    const keyCol = lead + 1 + body.indexOf(b64!, alg!.length);
    if (alg !== KEY_ALGORITHM) return problems.push({ line, column: lead + 1, message: `unknown key type '${alg}' (only ${KEY_ALGORITHM})` });
    const bytes = Buffer.from(b64!, "base64");
    if (bytes.length !== 32 || bytes.toString("base64") !== b64) return problems.push({ line, column: keyCol, message: "the public key is not the base64 of 32 bytes" });
    if (!name || !name.trim()) return problems.push({ line, column: lead + body.length + 1, message: "the key has no name (say whose key it is)" });
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: bytes.toString("base64url") }, format: "jwk" });
    } catch (e) {
      return problems.push({ line, column: keyCol, message: `not an Ed25519 public key: ${(e as Error).message}` });
    }
    const { keyid } = publicKeyInfo(key);
    const dup = keys.find((k) => k.keyid === keyid);
    if (dup) return problems.push({ line, column: keyCol, message: `the same key as line ${dup.line}` });
    keys.push({ keyid, key, name: name.trim(), line });
  });
  return { keys, problems };
}

/** The short form of a key id people read (the first 16 hex digits). */
export const shortKeyId = (keyid: string) => keyid.slice(0, 16);
