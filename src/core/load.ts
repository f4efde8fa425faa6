// Finding and loading CTO child workspaces from a file system (any FsLike).
import * as path from "node:path";
import type { FsLike } from "./fs";
import { decodeText } from "./parse";
import { WORKBOARD_FILE } from "./workboard";
import { readConfigFile } from "./config";
import { CtoWorkspace, LEXICON_FILE } from "./workspace";

/** Folders never searched: VCS data, dependencies, our own run output. */
export const SKIP_DIRS = new Set([".git", ".hg", ".svn", "node_modules", ".cto", ".vscode-test"]);
const MAX_DEPTH = 40;
const MAX_FILES = 200_000;
const READ_CONCURRENCY = 32;

export interface DiscoveredWorkspace {
  root: string;
  /** Workspace-relative posix paths of every file in it (nested workspaces excluded). */
  files: string[];
}

export interface Skipped {
  file: string;
  reason: string;
}

/** Workspaces at or below `dir`; when there are none, the nearest one above it. */
export async function discoverWorkspaces(dir: string, fs: FsLike): Promise<DiscoveredWorkspace[]> {
  const found: DiscoveredWorkspace[] = [];
  let count = 0;
  const walk = async (abs: string, depth: number, current: DiscoveredWorkspace | undefined): Promise<void> => {
    if (depth > MAX_DEPTH || count > MAX_FILES) return;
    let entries: [string, string][];
    try {
      entries = await fs.readDirectory(abs);
    } catch {
      return; // unreadable folder: nothing of ours can be in it
    }
    let ws = current;
    if (entries.some(([n, t]) => n === WORKBOARD_FILE && t === "file")) {
      ws = { root: abs, files: [] };
      found.push(ws);
    }
    const subdirs: string[] = [];
    for (const [name, type] of entries) {
      if (type === "file") {
        count++;
        if (ws) ws.files.push(toRel(ws.root, path.join(abs, name)));
      } else if (type === "directory" && !SKIP_DIRS.has(name)) subdirs.push(name);
      // Symlinks are not followed: they could leave the workspace or loop.
    }
    for (const name of subdirs.sort()) await walk(path.join(abs, name), depth + 1, ws);
  };
  await walk(dir, 0, undefined);
  if (found.length > 0) return found;
  const above = await findRootAbove(dir, fs);
  return above ? discoverWorkspaces(above, fs).then((list) => list.filter((w) => w.root === above)) : [];
}

/** The nearest folder at or above `dir` holding WORKBOARD.yaml. */
export async function findRootAbove(dir: string, fs: FsLike): Promise<string | undefined> {
  for (let d = dir; ; ) {
    const s = await fs.stat(path.join(d, WORKBOARD_FILE));
    if (s?.type === "file") return d;
    const parent = path.dirname(d);
    if (parent === d) return undefined;
    d = parent;
  }
}

export function toRel(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join("/");
}

/** Reads a discovered workspace: WORKBOARD.yaml, the lexicon, every markdown file. */
export async function loadWorkspace(found: DiscoveredWorkspace, fs: FsLike): Promise<CtoWorkspace> {
  const ws = new CtoWorkspace(found.root);
  for (const f of found.files) ws.files.add(f);
  ws.setWorkboard(await readText(fs, path.join(found.root, WORKBOARD_FILE)));
  const lex = await readText(fs, path.join(found.root, LEXICON_FILE));
  if (lex !== undefined) ws.setLexicon(lex);
  ws.setConfig(await readConfigFile(fs, found.root));
  const md = found.files.filter((f) => f.toLowerCase().endsWith(".md"));
  let next = 0;
  const worker = async () => {
    while (next < md.length) {
      const rel = md[next++];
      try {
        ws.setDoc(rel, await fs.readFile(path.join(found.root, rel)), true);
      } catch (e) {
        ws.setDoc(rel, new Uint8Array(), true);
        const doc = ws.docs.get(rel);
        if (doc) doc.unreadable = `cannot read: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, md.length) }, worker));
  return ws;
}

export async function readText(fs: FsLike, abs: string): Promise<string | undefined> {
  const s = await fs.stat(abs);
  if (s?.type !== "file") return undefined;
  const d = decodeText(await fs.readFile(abs));
  return "text" in d ? d.text : undefined;
}

/** Markdown files that were not validated, and why. */
export function skippedDocs(ws: CtoWorkspace): Skipped[] {
  const out: Skipped[] = [];
  for (const doc of ws.docs.values()) {
    if (doc.unreadable) out.push({ file: doc.path, reason: doc.unreadable });
    else if (!doc.frontmatter.present && ws.docsSourcedBy(doc.path).length === 0) {
      out.push({ file: doc.path, reason: doc.text.trim() === "" ? "empty file" : "no YAML frontmatter: not a planning doc" });
    }
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : 1));
}
