// FsLike over node:fs (CLI, tests, benchmark).
import { promises as fsp } from "node:fs";
import type { EntryType, FsLike } from "./fs";

export const nodeFs: FsLike = {
  readFile: (p) => fsp.readFile(p),
  async readDirectory(p) {
    const entries = await fsp.readdir(p, { withFileTypes: true });
    return entries.map((e) => [e.name, e.isFile() ? "file" : e.isDirectory() ? "directory" : e.isSymbolicLink() ? "symlink" : "other"] as [string, EntryType]);
  },
  async stat(p) {
    try {
      const s = await fsp.lstat(p);
      return { type: s.isFile() ? "file" : s.isDirectory() ? "directory" : s.isSymbolicLink() ? "symlink" : "other", size: s.size };
    } catch {
      return undefined;
    }
  },
};
