// The file-system port of the core: the CLI passes Node's fs, the extension passes an adapter
// over vscode.workspace.fs (so unsaved buffers and remote file systems work the same way).
export type EntryType = "file" | "directory" | "symlink" | "other";

export interface FsLike {
  readFile(path: string): Promise<Uint8Array>;
  readDirectory(path: string): Promise<[name: string, type: EntryType][]>;
  /** undefined when the path does not exist. Does not follow a symlink (its type is "symlink"). */
  stat(path: string): Promise<{ type: EntryType; size: number } | undefined>;
  /** Where a symlink finally points (absolute, resolved) and what is there; undefined when broken. */
  resolveLink?(path: string): Promise<{ target: string; type: EntryType } | undefined>;
  /** The first `n` bytes of a file (to look at the head of one too large to read whole). */
  readHead?(path: string, n: number): Promise<Uint8Array>;
}
