// How `allowed_files` globs decide (CONTRACT §4): an ordered list of picomatch globs matched
// against the whole repo-relative path (dotfiles included); a leading `!` excludes; the last
// pattern that matches decides, and a path no pattern matches is not allowed. The harness's
// diff check and the stage gates' "no change outside allowed_files" use this one matcher.
import { picomatch } from "./libs";

export interface AllowedDecision {
  allowed: boolean;
  /** The pattern (as written) that decided, or undefined when none matched. */
  by?: string;
}

export type AllowedMatcher = (path: string) => AllowedDecision;

/** Compiles the list (the harness checks each pattern with allowedPatternProblem first). */
export function compileAllowed(patterns: readonly string[]): AllowedMatcher {
  const pm = picomatch();
  // nonegate: the leading '!' is ours (stripped here), never picomatch's own negation.
  const rules = patterns.map((p) => {
    const exclude = p.startsWith("!");
    return { p, exclude, match: pm(exclude ? p.slice(1) : p, { dot: true, nonegate: true }) };
  });
  return (path) => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i]!;
      if (r.match(path)) return { allowed: !r.exclude, by: r.p };
    }
    return { allowed: false };
  };
}
