// What a program needs to be visible inside the sandbox: its real installation
// (CONTRACT §4: "the engine's own installation, read-only"). A `.bin` link is
// resolved to its target; a program inside a node_modules tree brings that
// whole tree (its dependencies sit beside it); a script brings its `#!`
// interpreter. Nothing else of the folder it lives in is exposed: a program in
// ~/bin shows itself, not the rest of the home folder.
import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import { dirname, sep } from "node:path";
import { isSystemPath } from "./isolation";
import { whichSync } from "./proc";

export interface Installation {
  /** Host paths to bind read-only (outside the system view). */
  paths: string[];
  /** Paths that were not exposed, and why (e.g. they would show the whole home folder). */
  refused: { path: string; reason: string }[];
}

/**
 * `exe` is an absolute path. `forbidden` are folders that must never become
 * visible (the user's home, the evidence folder, the key folder): a path that
 * is one of them or contains one is refused.
 */
export function installationOf(exe: string, env: NodeJS.ProcessEnv, forbidden: string[] = []): Installation {
  const out: Installation = { paths: [], refused: [] };
  const seen = new Set<string>();
  const visit = (p: string, depth: number) => {
    let real: string;
    try {
      real = realpathSync(p);
    } catch {
      return;
    }
    if (seen.has(real) || depth > 4) return;
    seen.add(real);
    const root = nodeModulesRoot(real) ?? real;
    if (!isSystemPath(root)) {
      const bad = forbidden.find((f) => f && (root === f || f.startsWith(root.endsWith(sep) ? root : root + sep)));
      if (bad) out.refused.push({ path: root, reason: `exposing it would show ${bad}` });
      else if (!out.paths.includes(root)) out.paths.push(root);
    }
    const interp = shebangInterpreter(real, env);
    if (interp) visit(interp, depth + 1);
  };
  visit(exe, 0);
  return out;
}

/** The outermost `node_modules` folder on the path, if any. */
export function nodeModulesRoot(p: string): string | undefined {
  const parts = p.split(sep);
  const i = parts.indexOf("node_modules");
  return i > 0 ? parts.slice(0, i + 1).join(sep) : undefined;
}

/** `#!/usr/bin/env node` → node on PATH; `#!/abs/prog args` → /abs/prog. */
export function shebangInterpreter(file: string, env: NodeJS.ProcessEnv): string | undefined {
  let head = "";
  try {
    const fd = openSync(file, "r");
    try {
      const buf = Buffer.alloc(256);
      head = buf.subarray(0, readSync(fd, buf, 0, 256, 0)).toString("latin1");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (!head.startsWith("#!")) return undefined;
  const words = head.slice(2).split("\n")[0]!.trim().split(/\s+/);
  const prog = words[0];
  if (!prog || !prog.startsWith("/")) return undefined;
  if (prog.endsWith("/env")) {
    const name = words.slice(1).find((w) => !w.startsWith("-"));
    return name ? whichSync(name, dirname(file), env) : undefined;
  }
  return prog;
}
