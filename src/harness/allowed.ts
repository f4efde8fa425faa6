// `allowed_files`: an ordered list of picomatch globs, matched against the whole
// repo-relative path (dotfiles included). A pattern starting with `!` excludes
// what it matches. As in .gitignore, the last pattern that matches a path
// decides: `["src/**", "!src/secret.js"]` allows every file under src/ but
// src/secret.js; a path no pattern matches is not allowed, so a list of only
// exclusions allows nothing. Patterns are checked when the task file is parsed
// (allowedPatternProblem), so a pattern that could never mean what it says is a
// located usage error rather than a silently wider or narrower run.
import { compileAllowed, type AllowedDecision, type AllowedMatcher } from "../core/allowedFiles";

// The matcher itself lives in the core (the stage gates re-check changed files with it).
export { compileAllowed, type AllowedDecision, type AllowedMatcher };

/** Bounds on allowed_files (also in docs/harness.md and the task schema). */
export const ALLOWED_LIMITS = { patterns: 1000, pattern_chars: 1024 } as const;

/** Why a pattern is refused, or undefined when it is usable. */
export function allowedPatternProblem(p: string): string | undefined {
  if (p.length === 0) return "an empty pattern matches nothing";
  if (p.length > ALLOWED_LIMITS.pattern_chars) return `a pattern is at most ${ALLOWED_LIMITS.pattern_chars} characters`;
  if (p.includes("\0")) return "a pattern may not contain a NUL character";
  const neg = p.startsWith("!");
  const body = neg ? p.slice(1) : p;
  if (neg && body.length === 0) return "'!' alone excludes nothing: write '!' followed by a pattern";
  if (neg && body.startsWith("!")) return "a double '!' is not supported: one leading '!' excludes, none includes";
  // picomatch reads a leading '!(…)' as an extglob ("anything but …"), a positive pattern:
  // the opposite of an exclusion. Refused rather than guessed.
  if (neg && body.startsWith("(")) return "a leading '!(' is ambiguous: write '!' + a pattern that does not start with '(' to exclude, or put the extglob after a folder ('src/!(x).js')";
  if (body.startsWith("/")) return "patterns are relative to the repo root: drop the leading '/'";
  if (body.endsWith("/")) return `a pattern ending in '/' matches no file: write '${body}**'`;
  if (body.split("/").includes("..")) return "a pattern with '..' can never match a path inside the repo";
  return undefined;
}
