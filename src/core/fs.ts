// The file-system port of the core: the CLI passes Node's fs, the extension passes an adapter
// over vscode.workspace.fs (so unsaved buffers and remote file systems work the same way).
export type EntryType = "file" | "directory" | "symlink" | "other";

export interface FsLike {
  readFile(path: string): Promise<Uint8Array>;
  readDirectory(path: string): Promise<[name: string, type: EntryType][]>;
  /** undefined when the path does not exist. */
  stat(path: string): Promise<{ type: EntryType; size: number } | undefined>;
}
