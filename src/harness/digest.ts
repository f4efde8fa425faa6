// SHA-256 of files, fast: Node's hash is OpenSSL's (SHA extensions included),
// so the cost is in I/O. Files are read in large chunks with two buffers, the
// next read in flight while the current chunk is hashed.
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { openRegularFile, readSmallRegularFileSync, UnsafeFileError, type ReadLimit } from "./bundleFs";

const CHUNK = 4 * 1024 * 1024;
const SMALL = 1024 * 1024;

/** sha256 of a file the harness wrote itself. */
export async function sha256File(path: string): Promise<string> {
  const fh = await fsp.open(path, "r");
  try {
    return await sha256Handle(fh, (await fh.stat()).size, Infinity);
  } finally {
    await fh.close();
  }
}

/**
 * sha256 of a file that may be hostile (a bundle's): only a regular file, within the limit
 * (bundleFs.ts). Throws UnsafeFileError.
 */
export async function sha256RegularFile(path: string, limit: ReadLimit): Promise<{ hex: string; size: number }> {
  // A small file (most of a bundle) is read at once, synchronously (bundleFs.ts SYNC_READ_BELOW);
  // a large one is streamed, pinned to the file just checked.
  const small = readSmallRegularFileSync(path, limit);
  if ("data" in small) return { hex: createHash("sha256").update(small.data).digest("hex"), size: small.data.length };
  const { fh, size } = await openRegularFile(path, { ...limit, expect: limit.expect ?? small.large });
  try {
    return { hex: await sha256Handle(fh, size, limit.maxBytes), size };
  } finally {
    await fh.close();
  }
}

async function sha256Handle(fh: fsp.FileHandle, size: number, maxBytes: number): Promise<string> {
  const hash = createHash("sha256");
  // Small files (most of a bundle) in one read: two 4 MiB buffers each would cost more than the hashing.
  if (size < SMALL) {
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) return hashRest(fh, hash.update(buf), n, maxBytes);
    }
    return hash.update(buf.subarray(0, n)).digest("hex");
  }
  return hashRest(fh, hash, 0, maxBytes);
}

/** Streams the rest of the file into `hash` (it grew, or it is large), never past maxBytes. */
async function hashRest(fh: fsp.FileHandle, hash: ReturnType<typeof createHash>, already: number, maxBytes: number): Promise<string> {
  let total = already;
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let i = 0;
  let pending = fh.read(bufs[0]!, 0, CHUNK, null);
  for (;;) {
    const { bytesRead } = await pending;
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) throw new UnsafeFileError(`grew past the limit of ${maxBytes} bytes while it was read`);
    const cur = bufs[i]!;
    i ^= 1;
    pending = fh.read(bufs[i]!, 0, CHUNK, null);
    hash.update(bytesRead === CHUNK ? cur : cur.subarray(0, bytesRead));
  }
  return hash.digest("hex");
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
