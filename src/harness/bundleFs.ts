// Reading files that someone else may have planted: an evidence bundle, a trusted-keys file.
// Only regular files are read — never a FIFO (it would block forever), a device (/dev/zero never
// ends) or a symlink (it leads out of the bundle). Each file is opened with O_NOFOLLOW|O_NONBLOCK
// (a FIFO opens at once instead of waiting for a writer; a symlink fails to open), then fstat'ed
// before one byte is read, and read only up to a size limit. A listed bundle file must also be the
// very file the listing saw (same device and inode), so swapping a folder for a symlink between
// listing and reading leads nowhere.
import { closeSync, constants, fstatSync, lstatSync, openSync, promises as fsp, readdirSync, readSync, type Stats } from "node:fs";
import { join, posix } from "node:path";

/** Limits for reading a bundle (docs/harness.md, "Hostile bundles"). */
export const BUNDLE_LIMITS = {
  /** A file read whole and parsed (report.json, SHA256SUMS, report.md, events, attestation.json). */
  maxParsedBytes: 64 * 1024 * 1024,
  /** Any one file that is hashed (streamed, never held in memory). */
  maxFileBytes: 4 * 1024 * 1024 * 1024,
  /** Files and folders in one bundle. */
  maxEntries: 10_000,
  /** Folder nesting below the bundle folder. */
  maxDepth: 8,
};
export type BundleLimits = typeof BUNDLE_LIMITS;

/** O_NOFOLLOW and O_NONBLOCK are POSIX; where they do not exist the fstat check still holds. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
/** For files the user names (a key in a secrets mount is often a symlink): follow, but never block. */
const OPEN_FOLLOW_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export class UnsafeFileError extends Error {}

export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface ReadLimit {
  maxBytes: number;
  /** The file must be this one (from a listing). */
  expect?: FileIdentity;
  /** Follow a symlink in the last component (files the user named; never bundle files). */
  follow?: boolean;
}

function kind(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  if (st.isDirectory()) return "a folder";
  if (st.isSymbolicLink()) return "a symlink";
  return "not a regular file";
}

function openError(e: NodeJS.ErrnoException): UnsafeFileError {
  if (e.code === "ELOOP" || e.code === "EMLINK") return new UnsafeFileError("is a symlink (only regular files are read)");
  if (e.code === "ENOENT") return new UnsafeFileError("does not exist");
  return new UnsafeFileError(`cannot be opened (${e.code ?? e.message})`);
}

/** Why an opened file may not be read, or undefined when it may. */
function refusal(st: Stats, o: ReadLimit): string | undefined {
  if (!st.isFile()) return `is ${kind(st)}, not a regular file`;
  if (o.expect && (st.dev !== o.expect.dev || st.ino !== o.expect.ino)) return "was replaced while the bundle was read";
  if (st.size > o.maxBytes) return `is ${st.size} bytes, over the limit of ${o.maxBytes}`;
  return undefined;
}

/**
 * Below this size a file is read with synchronous calls: a bundle is mostly small files, and five
 * promise round trips through the thread pool per file (open, fstat, read, read, close) cost far
 * more than the reading. Nothing can block: the open is O_NONBLOCK and only a regular file is read.
 */
export const SYNC_READ_BELOW = 1024 * 1024;

/**
 * Opens and checks the file synchronously; a small one is read whole (its bytes), a large one is
 * closed again and its identity returned, for the caller to stream it pinned to that identity.
 */
export function readSmallRegularFileSync(abs: string, o: ReadLimit): { data: Buffer } | { large: FileIdentity } {
  return withCheckedFdSync(abs, o, (fd, st) => (st.size >= SYNC_READ_BELOW ? { large: { dev: st.dev, ino: st.ino } } : { data: readFdSync(fd, st, o) }));
}

/** Opens without blocking, refuses anything but an acceptable regular file, then hands over the fd (closed after). */
function withCheckedFdSync<T>(abs: string, o: ReadLimit, use: (fd: number, st: Stats) => T): T {
  let fd: number;
  try {
    fd = openSync(abs, o.follow ? OPEN_FOLLOW_FLAGS : OPEN_FLAGS);
  } catch (e) {
    throw openError(e as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    const why = refusal(st, o);
    if (why) throw new UnsafeFileError(why);
    return use(fd, st);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an open regular file to EOF, never past the limit (a file that grows is cut off). Into one
 * buffer of the size fstat said (+1 to see EOF), grown only when the file grew: no copy otherwise.
 */
function readFdSync(fd: number, st: Stats, o: ReadLimit): Buffer {
  let buf = Buffer.allocUnsafe(Math.min(st.size + 1, o.maxBytes + 1));
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      if (n > o.maxBytes) throw new UnsafeFileError(`grew past the limit of ${o.maxBytes} bytes while it was read`);
      const bigger = Buffer.allocUnsafe(Math.min(Math.max(buf.length * 2, 4096), o.maxBytes + 1));
      buf.copy(bigger, 0, 0, n);
      buf = bigger;
    }
    const r = readSync(fd, buf, n, buf.length - n, null);
    if (r === 0) return buf.subarray(0, n);
    n += r;
  }
}

/** Reads a regular file whole (at most maxBytes). Throws UnsafeFileError with the reason. */
export async function readRegularFile(abs: string, o: ReadLimit): Promise<Buffer> {
  const small = readSmallRegularFileSync(abs, o);
  if ("data" in small) return small.data;
  return readRegularFileStreamed(abs, { ...o, expect: o.expect ?? small.large });
}

async function readRegularFileStreamed(abs: string, o: ReadLimit): Promise<Buffer> {
  const { fh, size } = await openRegularFile(abs, o);
  try {
    // Read until EOF but never past the limit: a file that grows while it is read is cut off.
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(Math.max(size + 1, 4096), o.maxBytes + 1, 4 * 1024 * 1024));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > o.maxBytes) throw new UnsafeFileError(`grew past the limit of ${o.maxBytes} bytes while it was read`);
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

/** The first `maxBytes` of a regular file (for showing a large log), and the file's size. */
export async function readRegularFileHead(abs: string, o: ReadLimit): Promise<{ data: Buffer; size: number }> {
  const { fh, size } = await openRegularFile(abs, { ...o, maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, o.maxBytes));
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return { data: buf.subarray(0, n), size };
  } finally {
    await fh.close();
  }
}

/** readRegularFile, synchronously (key files, task-file digests). */
export function readRegularFileSync(abs: string, o: ReadLimit): Buffer {
  return withCheckedFdSync(abs, o, (fd, st) => readFdSync(fd, st, o));
}

/**
 * Opens a regular file for streaming (hashing); the caller closes the handle and reads at most
 * `maxBytes`. Throws UnsafeFileError.
 */
export async function openRegularFile(abs: string, o: ReadLimit): Promise<{ fh: fsp.FileHandle; size: number }> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(abs, o.follow ? OPEN_FOLLOW_FLAGS : OPEN_FLAGS);
  } catch (e) {
    throw openError(e as NodeJS.ErrnoException);
  }
  try {
    const st = await fh.stat();
    const why = refusal(st, o);
    if (why) throw new UnsafeFileError(why);
    return { fh, size: st.size };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export interface BundleFile extends FileIdentity {
  /** Bundle-relative, posix. */
  rel: string;
  size: number;
}

export interface BundleListing {
  /** Regular files, sorted by path. */
  files: BundleFile[];
  /** Entries that are not regular files or folders (symlinks, FIFOs, devices, sockets). */
  odd: { rel: string; kind: string }[];
  /** The listing stopped early (too many entries, too deep, unreadable folder). */
  problems: string[];
}

/** Every entry below `dir` (lstat: nothing is followed), within the entry and depth limits. */
export function listBundle(dir: string, limits: BundleLimits = BUNDLE_LIMITS): BundleListing {
  const files: BundleFile[] = [];
  const odd: { rel: string; kind: string }[] = [];
  const problems: string[] = [];
  let entries = 0;
  const walk = (abs: string, rel: string, depth: number): boolean => {
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch (e) {
      problems.push(`${rel || "."} cannot be listed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return false;
    }
    for (const name of names.sort()) {
      if (++entries > limits.maxEntries) {
        problems.push(`the bundle holds more than ${limits.maxEntries} entries`);
        return false;
      }
      const a = join(abs, name);
      const r = rel ? posix.join(rel, name) : name;
      let st: Stats;
      try {
        st = lstatSync(a);
      } catch {
        problems.push(`${r} vanished while the bundle was listed`);
        continue;
      }
      if (st.isDirectory()) {
        if (depth + 1 > limits.maxDepth) {
          problems.push(`${r} is nested deeper than ${limits.maxDepth} folders`);
          return false;
        }
        if (!walk(a, r, depth + 1)) return false;
      } else if (st.isFile()) files.push({ rel: r, dev: st.dev, ino: st.ino, size: st.size });
      else odd.push({ rel: r, kind: kind(st) });
    }
    return true;
  };
  walk(dir, "", 0);
  files.sort((x, y) => (x.rel < y.rel ? -1 : x.rel > y.rel ? 1 : 0));
  return { files, odd, problems };
}
