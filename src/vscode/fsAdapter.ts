// FsLike over vscode.workspace.fs, so the core reads files the way the editor does.
import { realpathSync, statSync } from "node:fs";
import * as vscode from "vscode";
import type { EntryType, FsLike } from "../core";

function entryType(t: vscode.FileType): EntryType {
  if (t & vscode.FileType.SymbolicLink) return "symlink";
  if (t & vscode.FileType.Directory) return "directory";
  if (t & vscode.FileType.File) return "file";
  return "other";
}

export const vscodeFs: FsLike = {
  readFile: async (p) => vscode.workspace.fs.readFile(vscode.Uri.file(p)),
  async readDirectory(p) {
    const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.file(p));
    return entries.map(([name, t]) => [name, entryType(t)] as [string, EntryType]);
  },
  // vscode.workspace.fs has no realpath; workspaces are local folders (virtual ones are not supported).
  async resolveLink(p) {
    try {
      const target = realpathSync(p);
      const s = statSync(target);
      return { target, type: s.isFile() ? "file" : s.isDirectory() ? "directory" : "other" };
    } catch {
      return undefined;
    }
  },
  async stat(p) {
    try {
      const s = await vscode.workspace.fs.stat(vscode.Uri.file(p));
      return { type: entryType(s.type), size: s.size };
    } catch {
      return undefined;
    }
  },
};
