// Seeding an engine's per-run home from the user's own configuration. Each
// adapter names the folder its CLI reads (codex: CODEX_HOME or ~/.codex; pi:
// PI_CODING_AGENT_DIR or ~/.pi/agent; case: its data folder) and the entries
// worth copying (config and credentials, never sessions, logs or history). The
// copy takes regular files only: a symlink is skipped, never followed (it could
// point at ~/.ssh), and sizes are bounded. What was copied is reported by name
// only; the harness puts the names in the bundle, never the contents.
import { copyFileSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export interface SeedReport {
  /** The user's folder the copy came from, or null when it does not exist. */
  from: string | null;
  /** Where it went (inside the per-run home). */
  to: string;
  /** Relative names copied. */
  copied: string[];
  /** Relative names left out, with why (symlink, too large, not a regular file). */
  skipped: string[];
}

export const SEED_LIMITS = { fileBytes: 8 * 1024 * 1024, totalBytes: 64 * 1024 * 1024, files: 2000, depth: 8 };

/** The user's home for locating their config: HOME from their environment, else the OS's. */
export function userHome(userEnv: NodeJS.ProcessEnv): string {
  const h = userEnv.HOME;
  return h && isAbsolute(h) ? h : homedir();
}

/** `env[name]` when it is an absolute path, else `fallback` (a relative override is not trusted). */
export function configDir(userEnv: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const v = userEnv[name];
  return v && isAbsolute(v) ? resolve(v) : fallback;
}

/**
 * Copies the allow-listed `entries` (file or folder names, relative to `from`)
 * into `to`, which is created. Missing entries are simply absent.
 */
export function seedFolder(from: string, to: string, entries: readonly string[]): SeedReport {
  mkdirSync(to, { recursive: true });
  const report: SeedReport = { from: null, to, copied: [], skipped: [] };
  let st;
  try {
    st = lstatSync(from);
  } catch {
    return report;
  }
  if (!st.isDirectory()) {
    report.skipped.push(`${from} (not a folder)`);
    return report;
  }
  report.from = from;
  const budget = { bytes: SEED_LIMITS.totalBytes, files: SEED_LIMITS.files };
  for (const name of entries) copyEntry(from, to, name, 0, report, budget);
  return report;
}

function copyEntry(fromRoot: string, toRoot: string, rel: string, depth: number, report: SeedReport, budget: { bytes: number; files: number }): void {
  const src = join(fromRoot, rel);
  let st;
  try {
    st = lstatSync(src);
  } catch {
    return; // not there: nothing to seed
  }
  if (st.isSymbolicLink()) return void report.skipped.push(`${rel} (symlink, not followed)`);
  if (st.isDirectory()) {
    if (depth >= SEED_LIMITS.depth) return void report.skipped.push(`${rel} (too deep)`);
    mkdirSync(join(toRoot, rel), { recursive: true });
    let names: string[];
    try {
      names = readdirSync(src).sort();
    } catch {
      return void report.skipped.push(`${rel} (unreadable)`);
    }
    for (const n of names) copyEntry(fromRoot, toRoot, join(rel, n), depth + 1, report, budget);
    return;
  }
  if (!st.isFile()) return void report.skipped.push(`${rel} (not a regular file)`);
  if (st.size > SEED_LIMITS.fileBytes) return void report.skipped.push(`${rel} (${st.size} bytes, over ${SEED_LIMITS.fileBytes})`);
  if (budget.files <= 0 || budget.bytes < st.size) return void report.skipped.push(`${rel} (seed budget spent)`);
  try {
    copyFileSync(src, join(toRoot, rel));
  } catch (e) {
    return void report.skipped.push(`${rel} (${(e as NodeJS.ErrnoException).code ?? "copy failed"})`);
  }
  budget.files--;
  budget.bytes -= st.size;
  report.copied.push(rel);
}

/** Environment variable names that an engine config file names as holding a credential. */
export function namedEnvVars(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === "string" && /^[A-Z_][A-Z0-9_]{0,127}$/.test(v)))];
}

/** The variables of `names` that the user's environment sets, for the engine's launch env. */
export function passThrough(userEnv: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = userEnv[n];
    if (typeof v === "string") out[n] = v;
  }
  return out;
}

/** Proxy and CA variables a CLI needs to reach a provider through the user's network setup. */
export const NETWORK_ENV = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "all_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"];
