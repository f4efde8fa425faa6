// Finding and loading CTO child workspaces from a file system (any FsLike).
import * as path from "node:path";
import type { FsLike } from "./fs";
import { decodeText, MAX_DOC_BYTES, opensWithFence } from "./parse";
import type { PlanningDoc } from "./model";
import { mustValidateUnreadable } from "./validate";
import { WORKBOARD_FILE } from "./workboard";
import { readConfigFile } from "./config";
import { CtoWorkspace, LEXICON_FILE } from "./workspace";

/** Folders never searched: VCS data, dependencies, our own run output. */
export const SKIP_DIRS = new Set([".git", ".hg", ".svn", "node_modules", ".cto", ".vscode-test"]);
/** Past this many files the search stops, and says so (an error, not a silent cut). */
export const MAX_FILES = 200_000;
const READ_CONCURRENCY = 32;

/**
 * A symlink in a workspace. A symlinked `.md` whose target lies inside the workspace is
 * validated under the link's path; one pointing outside (or nowhere) is not read and is an error
 * on the link; a symlinked folder is not followed (it could leave the workspace or loop) and is
 * listed as skipped. See docs/DESIGN.md "Discovery".
 */
export interface WorkspaceLink {
  path: string;
  kind: "inside" | "outside" | "broken" | "folder";
  target?: string;
}

export interface DiscoveredWorkspace {
  root: string;
  /** Workspace-relative posix paths of every file in it (nested workspaces excluded). */
  files: string[];
  links?: WorkspaceLink[];
  /** Folders that could not be read, or the search stopped: none of it is silent. */
  problems?: { path: string; message: string }[];
}

export interface Skipped {
  file: string;
  reason: string;
}

/** Workspaces at or below `dir`; when there are none, the nearest one above it. */
export async function discoverWorkspaces(dir: string, fs: FsLike): Promise<DiscoveredWorkspace[]> {
  const found: DiscoveredWorkspace[] = [];
  let count = 0;
  let stopped = false;
  // Depth first, with a stack rather than recursion: any depth is searched (no folder cut-off).
  const stack: { abs: string; ws: DiscoveredWorkspace | undefined }[] = [{ abs: dir, ws: undefined }];
  while (stack.length > 0) {
    const { abs, ws: current } = stack.pop()!;
    if (count > MAX_FILES) {
      if (!stopped && current) (current.problems ??= []).push({ path: toRel(current.root, abs) || ".", message: `more than ${MAX_FILES.toLocaleString("en")} files: the search stopped here, and the rest of the workspace was not validated` });
      stopped = true;
      continue;
    }
    let entries: [string, string][];
    try {
      entries = await fs.readDirectory(abs);
    } catch (e) {
      if (current) (current.problems ??= []).push({ path: toRel(current.root, abs), message: `cannot read this folder (${e instanceof Error ? e.message.split("\n")[0] : String(e)}): planning docs in it are not validated` });
      continue;
    }
    let ws = current;
    if (entries.some(([n, t]) => n === WORKBOARD_FILE && t === "file")) {
      ws = { root: abs, files: [], links: [], problems: [] };
      found.push(ws);
    }
    const subdirs: string[] = [];
    for (const [name, type] of entries) {
      const full = path.join(abs, name);
      if (type === "file") {
        count++;
        if (ws) ws.files.push(toRel(ws.root, full));
      } else if (type === "directory" && !SKIP_DIRS.has(name)) subdirs.push(name);
      else if (type === "symlink" && ws) {
        count++;
        const link = await classifyLink(fs, ws.root, full);
        (ws.links ??= []).push(link);
        if (link.kind === "inside") ws.files.push(link.path);
      }
    }
    for (const name of subdirs.sort().reverse()) stack.push({ abs: path.join(abs, name), ws });
  }
  if (found.length > 0) return found;
  const above = await findRootAbove(dir, fs);
  return above ? discoverWorkspaces(above, fs).then((list) => list.filter((w) => w.root === above)) : [];
}

async function classifyLink(fs: FsLike, root: string, full: string): Promise<WorkspaceLink> {
  const rel = toRel(root, full);
  const to = fs.resolveLink ? await fs.resolveLink(full) : undefined;
  if (!to) return { path: rel, kind: "broken" };
  if (to.type === "directory") return { path: rel, kind: "folder", target: to.target };
  const realRoot = fs.resolveLink ? ((await fs.resolveLink(root))?.target ?? root) : root;
  const inside = to.target === realRoot || to.target.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
  return { path: rel, kind: inside && to.type === "file" ? "inside" : "outside", target: to.target };
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
  ws.setWorkboard(await readTextOrWhy(fs, path.join(found.root, WORKBOARD_FILE)));
  const lex = await readTextOrWhy(fs, path.join(found.root, LEXICON_FILE));
  if (lex !== undefined) ws.setLexicon(lex);
  ws.setConfig(await readConfigFile(fs, found.root));
  for (const p of found.problems ?? []) ws.searchProblems.push(p);
  for (const l of found.links ?? []) {
    if (l.kind === "folder") ws.notSearched.push({ path: l.path, reason: `symlinked folder, not followed (it points to ${l.target})` });
    else if (l.kind !== "inside" && l.path.toLowerCase().endsWith(".md")) {
      // Not read, and an error on the link: a doc we cannot check must not pass unseen.
      ws.setDoc(l.path, new Uint8Array(), true);
      const doc = ws.docs.get(l.path)!;
      doc.unreadable = l.kind === "broken" ? "a broken symlink" : `a symlink to ${l.target}, outside the workspace: not followed`;
      doc.unreadableLooksPlanning = true;
    }
  }
  const md = found.files.filter((f) => f.toLowerCase().endsWith(".md"));
  let next = 0;
  const worker = async () => {
    while (next < md.length) {
      const rel = md[next++];
      try {
        const abs = path.join(found.root, rel);
        const st = fs.readHead ? await fs.stat(abs) : undefined;
        if (st && st.type === "file" && st.size > MAX_DOC_BYTES && fs.readHead) {
          // Too large to be a planning doc: read its head only, to tell whether it claims to be one.
          ws.setDoc(rel, new Uint8Array(), true);
          const doc = ws.docs.get(rel)!;
          doc.unreadable = `file is ${(st.size / 1048576).toFixed(1)} MB, over the ${MAX_DOC_BYTES / 1048576} MB limit for planning docs`;
          doc.unreadableLooksPlanning = opensWithFence(await fs.readHead(abs, 64));
          continue;
        }
        ws.setDoc(rel, await fs.readFile(abs), true);
      } catch (e) {
        ws.setDoc(rel, new Uint8Array(), true);
        const doc = ws.docs.get(rel);
        if (doc) {
          doc.unreadable = `cannot read: ${e instanceof Error ? e.message : String(e)}`;
          doc.unreadableLooksPlanning = true; // we cannot tell: fail closed
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, md.length) }, worker));
  return ws;
}

export async function readText(fs: FsLike, abs: string): Promise<string | undefined> {
  const r = await readTextOrWhy(fs, abs);
  return typeof r === "string" ? r : undefined;
}

/** The file's text; undefined when it does not exist; why, when it exists but is not text. */
export async function readTextOrWhy(fs: FsLike, abs: string): Promise<string | undefined | { unreadable: string }> {
  const s = await fs.stat(abs);
  if (s === undefined) return undefined;
  if (s.type !== "file") return { unreadable: `it is a ${s.type}, not a file` };
  const d = decodeText(await fs.readFile(abs));
  return "text" in d ? d.text : { unreadable: d.unreadable + (d.at ? ` at ${d.at.line}:${d.at.column}` : "") };
}

/**
 * Markdown files that were not validated, and why. Every markdown doc is either here or in
 * `validatedDocs` (never both, never neither): an unreadable doc that looks like a planning doc
 * (frontmatter fence, named in WORKBOARD.yaml, or a `source:` target) is validated — as an error.
 */
export function skippedDocs(ws: CtoWorkspace): Skipped[] {
  const out: Skipped[] = [];
  for (const doc of ws.docs.values()) {
    const why = skipReason(ws, doc);
    if (why) out.push({ file: doc.path, reason: why });
  }
  for (const n of ws.notSearched) out.push({ file: n.path, reason: n.reason });
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Docs the validator checks (what `cto validate` lists under `files`). */
export function validatedDocs(ws: CtoWorkspace): PlanningDoc[] {
  return [...ws.docs.values()].filter((d) => skipReason(ws, d) === undefined);
}

function skipReason(ws: CtoWorkspace, doc: PlanningDoc): string | undefined {
  if (doc.unreadable) return mustValidateUnreadable(ws, doc) ? undefined : doc.unreadable;
  if (!doc.frontmatter.present && ws.docsSourcedBy(doc.path).length === 0) return doc.text.trim() === "" ? "empty file" : "no YAML frontmatter: not a planning doc";
  return undefined;
}
