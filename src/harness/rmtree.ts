// Removing folders an engine filled. fs.rmSync walks by full path: a tree nested deeper than
// PATH_MAX (4096 bytes: 30 folders of 200-character names) fails with ENAMETOOLONG, a name that is
// not UTF-8 is decoded to one that does not exist, and a folder its owner made unreadable (mode
// 000, not as root) cannot be listed — each left the sandbox behind and threw out of the run. Here
// names are bytes (Buffer paths), a folder whose path grows long is first moved up to the top of
// the removal (a rename on the same filesystem, so every path stays short), and an unreadable
// folder of ours is made readable. Symlinks are never followed (they are unlinked, as entries).
import { chmodSync, lstatSync, readdirSync, renameSync, rmdirSync, unlinkSync } from "node:fs";

/** Paths longer than this (bytes) are moved up before they are walked. Far below PATH_MAX. */
const FLATTEN_AT = 1024;

const cat = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, Buffer.from("/"), name]);

function lstatOrNull(p: Buffer) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function list(dir: Buffer): Buffer[] {
  try {
    return readdirSync(dir, { encoding: "buffer" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EACCES") throw e;
    chmodSync(dir, 0o700); // ours to remove: an owner-only folder mode lets us list it
    return readdirSync(dir, { encoding: "buffer" });
  }
}

/** Removes `root` and everything below it, however deep or oddly named. Missing is fine. */
export function removeTree(root: string | Buffer): void {
  const top = Buffer.isBuffer(root) ? root : Buffer.from(root);
  const st = lstatOrNull(top);
  if (!st) return;
  if (!st.isDirectory()) return unlinkSync(top);
  let moved = 0;
  // Depth-first, folders removed after their content (post-order through an explicit stack).
  const stack: { dir: Buffer; listed: boolean }[] = [{ dir: top, listed: false }];
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    if (frame.listed) {
      stack.pop();
      try {
        rmdirSync(frame.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
      continue;
    }
    frame.listed = true;
    for (const name of list(frame.dir)) {
      let p: Buffer = cat(frame.dir, name);
      const s = lstatOrNull(p);
      if (!s) continue;
      if (!s.isDirectory()) {
        unlinkSync(p);
        continue;
      }
      if (p.length > FLATTEN_AT) {
        // Up to the top, under a fresh name: its own subtree starts short again.
        let to: Buffer;
        do to = cat(top, Buffer.from(`.cto-rm-${process.pid}-${moved++}`));
        while (lstatOrNull(to));
        renameSync(p, to);
        p = to;
      }
      stack.push({ dir: p, listed: false });
    }
  }
}

/** Empties `dir` (keeps the folder itself). */
export function emptyFolder(dir: string): void {
  const d = Buffer.from(dir);
  for (const name of list(d)) removeTree(cat(d, name));
}
