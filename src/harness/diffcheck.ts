// Checks a captured change against the task's allowed-file globs and against
// the repo boundary: a path that escapes the repo, a symlink pointing outside
// it, or a write the engine itself reported outside the sandbox are all
// `disallowed_file` — whatever the globs say.
import { compileAllowed } from "./allowed";
import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { ChangedFile } from "./contract";

export interface Violation {
  path: string;
  reason: string;
}

/** true when `p` (absolute) lies inside `root` (absolute). */
export function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith(".." + sep) && rel !== ".." && !isAbsolute(rel));
}

export function checkChanges(workTree: string, changes: ChangedFile[], allowed: string[]): Violation[] {
  const decide = compileAllowed(allowed);
  const out: Violation[] = [];
  for (const c of changes) {
    const segs = c.path.split("/");
    if (isAbsolute(c.path) || segs.includes("..") || segs.includes(".git")) {
      out.push({ path: c.path, reason: "path escapes the repo" });
      continue;
    }
    const d = decide(c.path);
    if (!d.allowed) {
      const reason = d.by
        ? `excluded by '${d.by}' in allowed_files (the last pattern that matches decides)`
        : allowed.length
          ? `not matched by allowed_files (${listed(allowed)})`
          : "allowed_files is empty: no change is allowed";
      out.push({ path: c.path, reason });
      continue;
    }
    if (c.mode === "120000") {
      const abs = join(workTree, c.path);
      try {
        const target = readlinkSync(abs);
        const resolved = resolve(dirname(abs), target);
        if (!inside(workTree, resolved)) out.push({ path: c.path, reason: `symlink points outside the repo (-> ${target})` });
        else if (resolved.split(sep).includes(".git")) out.push({ path: c.path, reason: `symlink points into git metadata (-> ${target})` });
      } catch (e) {
        out.push({ path: c.path, reason: `symlink cannot be read: ${(e as Error).message}` });
      }
    }
  }
  return out;
}

/** The patterns for a reason, cut to a readable length. */
function listed(patterns: string[]): string {
  const all = patterns.join(", ");
  return all.length <= 200 ? all : `${all.slice(0, 200)}… (${patterns.length} patterns)`;
}

/**
 * A path an engine reported writing (relative to its cwd or absolute): does it
 * land outside the work tree, directly or through a symlinked directory?
 */
export function reportedWriteEscapes(workTree: string, reported: string): string | undefined {
  const abs = isAbsolute(reported) ? reported : resolve(workTree, reported);
  // Engines may report the work tree's real path (codex does): a sandbox reached through a link is still the sandbox.
  if (!inside(workTree, abs) && !inside(realOr(workTree), abs)) return "write outside the sandbox";
  // Resolve the deepest existing ancestor through symlinks.
  let probe = abs;
  for (;;) {
    try {
      lstatSync(probe);
      break;
    } catch {
      const up = dirname(probe);
      if (up === probe) return undefined;
      probe = up;
    }
  }
  try {
    const real = realpathSync(probe);
    const realRoot = realpathSync(workTree);
    if (!inside(realRoot, real)) return "write through a symlink that leaves the sandbox";
  } catch {
    /* a dangling link is caught by the diff check */
  }
  return undefined;
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
