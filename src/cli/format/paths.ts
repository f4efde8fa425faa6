// Where a finding's file is shown: relative to the current folder (what editors, problem
// matchers, GitHub annotations and code scanning resolve against), posix separators.
import * as path from "node:path";

export function shownPath(cwd: string, absRoot: string, rel: string): string {
  return path.relative(cwd, path.join(absRoot, rel)).split(path.sep).join("/") || rel;
}
