// SHA-256 of files, fast: Node's hash is OpenSSL's (SHA extensions included),
// so the cost is in I/O. Files are read in large chunks with two buffers, the
// next read in flight while the current chunk is hashed.
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";

const CHUNK = 4 * 1024 * 1024;
const SMALL = 1024 * 1024;

export async function sha256File(path: string): Promise<string> {
  const fh = await fsp.open(path, "r");
  try {
    const hash = createHash("sha256");
    // Small files (most of a bundle) in one read: two 4 MiB buffers each would cost more than the hashing.
    const { size } = await fh.stat();
    if (size < SMALL) return hash.update(await fh.readFile()).digest("hex");
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let i = 0;
    let pending = fh.read(bufs[0]!, 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const cur = bufs[i]!;
      i ^= 1;
      pending = fh.read(bufs[i]!, 0, CHUNK, null);
      hash.update(bytesRead === CHUNK ? cur : cur.subarray(0, bytesRead));
    }
    return hash.digest("hex");
  } finally {
    await fh.close();
  }
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}
