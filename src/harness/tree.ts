// Git trees built and unpacked by the harness itself, never by `git add`,
// `checkout` or `archive`: those honour the repo's .gitignore, .gitattributes
// (eol conversion, filters, export-subst) and treat a nested repo as a gitlink,
// so a change could hide from the evidence or differ from what the tests ran
// on. Here a tree is exactly the bytes on disk: every regular file, symlink
// and folder below the root, modes as git records them (100644, 100755,
// 120000, 40000; 160000 kept for a submodule folder left as it was).
import { createHash } from "node:crypto";
import { chmodSync, closeSync, constants, existsSync, fstatSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, renameSync, symlinkSync, writeFileSync, type BigIntStats } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { gitRaw } from "./git";

export const MODE = { file: "100644", exec: "100755", link: "120000", tree: "40000", gitlink: "160000" } as const;

export interface TreeProblem {
  path: string;
  reason: string;
}

/** Bounds on what one capture may read (a hostile engine can write a lot). */
export interface TreeLimits {
  files: number;
  bytes: number;
  fileBytes: number;
  depth: number;
}

export const DEFAULT_TREE_LIMITS: TreeLimits = { files: 200_000, bytes: 4 * 1024 ** 3, fileBytes: 256 * 1024 ** 2, depth: 256 };

/** path → what its bytes hashed to, keyed by the stat data that would change with them. */
export type StatCache = Map<string, { key: string; sha: string }>;

const statKey = (st: BigIntStats) => `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;

export function objectSha(type: string, body: Buffer): string {
  return createHash("sha1").update(`${type} ${body.length}\0`).update(body).digest("hex");
}

/** Writes a loose object unless it is already there; returns its id. */
export function writeObject(gitDir: string, type: string, body: Buffer): string {
  const sha = objectSha(type, body);
  const dir = join(gitDir, "objects", sha.slice(0, 2));
  const file = join(dir, sha.slice(2));
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, deflateSync(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body])), { mode: 0o444 });
    renameSync(tmp, file);
  }
  return sha;
}

interface Entry {
  mode: string;
  name: string;
  sha: string;
}

/** A tree object's body: entries in git's order (a folder sorts as if its name ended in "/"). */
export function treeBody(entries: Entry[]): Buffer {
  const key = (e: Entry) => (e.mode === MODE.tree ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b))));
  return Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, "hex")]));
}

export interface BuildOptions {
  /** Where objects are written; absent: hash only (nothing is written). */
  gitDir?: string;
  /** Root-relative posix paths to leave out (the top-level .git, an engine's state folder). */
  exclude?: (rel: string) => boolean;
  /** A `.git` below the top: "skip" it silently (a plain source's nested repos) or "report" it. */
  nestedGit: "skip" | "report";
  cache?: StatCache;
  /** Submodule folders of the base (path → commit): kept as gitlinks while still empty. */
  gitlinks?: Map<string, string>;
  limits?: TreeLimits;
}

export interface BuildResult {
  tree: string;
  problems: TreeProblem[];
  files: number;
  bytes: number;
}

export class TreeLimitError extends Error {}

const EMPTY_TREE = objectSha("tree", Buffer.alloc(0));

/** The tree of everything below `root`, as the bytes on disk say. */
export function buildTree(root: string, o: BuildOptions): BuildResult {
  const limits = o.limits ?? DEFAULT_TREE_LIMITS;
  const problems: TreeProblem[] = [];
  let files = 0;
  let bytes = 0;
  const put = (type: string, body: Buffer) => (o.gitDir ? writeObject(o.gitDir, type, body) : objectSha(type, body));

  const dir = (abs: string, rel: string, depth: number): string | null => {
    if (depth > limits.depth) throw new TreeLimitError(`${rel}: folders nested deeper than ${limits.depth} levels`);
    const entries: Entry[] = [];
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (o.exclude?.(r)) continue;
      const a = join(abs, name);
      if (name === ".git") {
        if (o.nestedGit === "report") problems.push({ path: r, reason: "nested git metadata cannot be represented in patch.diff" });
        continue;
      }
      const st = lstatSync(a, { bigint: true });
      if (st.isDirectory()) {
        const sub = dir(a, r, depth + 1);
        if (sub) entries.push({ mode: MODE.tree, name, sha: sub });
        else if (o.gitlinks?.has(r)) entries.push({ mode: MODE.gitlink, name, sha: o.gitlinks.get(r)! });
        continue;
      }
      if (++files > limits.files) throw new TreeLimitError(`more than ${limits.files} files`);
      if (st.isSymbolicLink()) {
        entries.push({ mode: MODE.link, name, sha: put("blob", Buffer.from(readlinkSync(a, { encoding: "buffer" }))) });
      } else if (st.isFile()) {
        if (st.size > BigInt(limits.fileBytes)) {
          problems.push({ path: r, reason: `file of ${st.size} bytes is larger than the ${limits.fileBytes}-byte capture limit` });
          continue;
        }
        bytes += Number(st.size);
        if (bytes > limits.bytes) throw new TreeLimitError(`more than ${limits.bytes} bytes of files`);
        const mode = (Number(st.mode) & 0o100) !== 0 ? MODE.exec : MODE.file;
        const key = statKey(st);
        const hit = o.cache?.get(r);
        let sha: string;
        // A cache entry is only ever made for an object that is in the store (base or written).
        if (hit && hit.key === key) sha = hit.sha;
        else {
          sha = put("blob", readRegular(a, Number(st.size)));
          o.cache?.set(r, { key, sha });
        }
        entries.push({ mode, name, sha });
      } else {
        problems.push({ path: r, reason: `not a regular file, folder or symlink (${kindOf(st)})` });
      }
    }
    if (entries.length === 0) return null;
    return put("tree", treeBody(entries));
  };
  const tree = dir(root, "", 0) ?? put("tree", Buffer.alloc(0));
  return { tree, problems, files, bytes };
}

export { EMPTY_TREE };

function kindOf(st: BigIntStats): string {
  return st.isFIFO() ? "fifo" : st.isSocket() ? "socket" : st.isCharacterDevice() ? "character device" : st.isBlockDevice() ? "block device" : "unknown";
}

/** Reads exactly `size` bytes of a regular file (opened without following links, never blocking). */
function readRegular(path: string, size: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is no longer a regular file`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== size) throw new Error(`${path} changed size while it was read`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

export interface TreeItem {
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  size: number;
  path: string;
}

export class UnsafeTreeError extends Error {}

/** Every entry of a tree, recursively, checked to be safe to write below a folder. */
export function listTree(gitDir: string, tree: string): TreeItem[] {
  const out = gitRaw(["ls-tree", "-r", "-z", "-l", "--full-tree", tree], { cwd: gitDir, gitDir });
  const items: TreeItem[] = [];
  const leaves = new Set<string>();
  for (const rec of out.toString("utf8").split("\0")) {
    if (!rec) continue;
    const tab = rec.indexOf("\t");
    const [mode = "", type = "", sha = "", size = "-"] = rec.slice(0, tab).split(/\s+/);
    const path = rec.slice(tab + 1);
    const segs = path.split("/");
    if (!path || segs.some((s) => s === "" || s === "." || s === ".." || s.toLowerCase() === ".git")) throw new UnsafeTreeError(`the repo's tree holds an unsafe path '${path}'`);
    // A path below a file or link would be written through it: never.
    for (let i = 1; i < segs.length; i++) if (leaves.has(segs.slice(0, i).join("/"))) throw new UnsafeTreeError(`the repo's tree holds '${path}' below the non-folder '${segs.slice(0, i).join("/")}'`);
    if (leaves.has(path)) throw new UnsafeTreeError(`the repo's tree holds '${path}' twice`);
    leaves.add(path);
    if (type !== "blob" && type !== "commit") throw new UnsafeTreeError(`unexpected '${type}' entry '${path}'`);
    items.push({ mode, type: type as TreeItem["type"], sha, size: size === "-" ? 0 : Number(size), path });
  }
  return items;
}

/**
 * Writes a tree's files below `dest` (an empty folder) from the object store, byte for
 * byte (no filters, no eol conversion); submodules become empty folders. Fills `cache`
 * so the next capture need not hash unchanged files again.
 */
export function materializeTree(gitDir: string, tree: string, dest: string, cache?: StatCache, owner?: { uid: number; gid: number }): Map<string, string> {
  const items = listTree(gitDir, tree);
  const gitlinks = new Map<string, string>();
  const blobs = items.filter((i) => i.type === "blob");
  for (const i of items) if (i.type === "commit") {
    mkdirSync(join(dest, i.path), { recursive: true });
    gitlinks.set(i.path, i.sha);
  }
  // In batches of bounded size: `git cat-file --batch` returns each object's raw bytes.
  let start = 0;
  while (start < blobs.length) {
    let end = start;
    let sum = 0;
    while (end < blobs.length && (end === start || sum + blobs[end]!.size < 64 * 1024 ** 2)) sum += blobs[end++]!.size;
    const batch = blobs.slice(start, end);
    const raw = gitRaw(["cat-file", "--batch"], { cwd: gitDir, gitDir, input: batch.map((b) => b.sha).join("\n") + "\n", binary: true });
    let off = 0;
    for (const b of batch) {
      const nl = raw.indexOf(0x0a, off);
      const header = raw.subarray(off, nl).toString("utf8").split(" ");
      if (header[0] !== b.sha || header[1] !== "blob") throw new UnsafeTreeError(`object ${b.sha} for '${b.path}' is missing or not a blob`);
      const size = Number(header[2]);
      const body = raw.subarray(nl + 1, nl + 1 + size);
      off = nl + 1 + size + 1;
      const abs = join(dest, ...b.path.split("/"));
      mkdirSync(join(abs, ".."), { recursive: true });
      if (b.mode === MODE.link) symlinkSync(body.toString("utf8"), abs);
      else {
        writeFileSync(abs, body, { flag: "wx" });
        chmodSync(abs, b.mode === MODE.exec ? 0o755 : 0o644);
      }
      // Owned before its stat is cached: a later chown would change ctime and void the cache.
      if (owner) lchownSync(abs, owner.uid, owner.gid);
      cache?.set(b.path, { key: statKey(lstatSync(abs, { bigint: true })), sha: b.sha });
    }
    start = end;
  }
  return gitlinks;
}
