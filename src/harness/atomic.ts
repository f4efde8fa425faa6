// Atomic artifact writes: temp file in the same folder, fsync, rename, then
// fsync the folder. A crash leaves either the old state or the new file, never
// half a file. The fault seam (CTO_FAULT_ARTIFACT_WRITE) lets the fixtures and
// tests prove that a failed write can never end in a bundle that claims pass.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

export interface Faults {
  /**
   * Bundle-relative artifact paths whose write fails ("patch.diff", "raw/engine.stdout.log"),
   * or "*" for every write. From env CTO_FAULT_ARTIFACT_WRITE (comma-separated; "1" = "*").
   */
  artifactWrite?: string[];
}

export function faultsFromEnv(env: NodeJS.ProcessEnv): Faults {
  const v = env.CTO_FAULT_ARTIFACT_WRITE;
  if (!v) return {};
  return { artifactWrite: v === "1" ? ["*"] : v.split(",").map((s) => s.trim()).filter(Boolean) };
}

export function faultHits(f: Faults | undefined, rel: string): boolean {
  return !!f?.artifactWrite && (f.artifactWrite.includes("*") || f.artifactWrite.includes(rel));
}

export class ArtifactWriteError extends Error {
  constructor(
    readonly rel: string,
    cause: string,
  ) {
    super(`cannot write ${rel}: ${cause}`);
  }
}

export function writeFileAtomic(path: string, data: Buffer | string, rel = basename(path), faults?: Faults): void {
  if (faultHits(faults, rel)) throw new ArtifactWriteError(rel, "injected fault (CTO_FAULT_ARTIFACT_WRITE)");
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw new ArtifactWriteError(rel, (e as Error).message);
  }
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    /* some filesystems refuse directory fsync; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
