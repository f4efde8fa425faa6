// Helpers for the matrix / evidence / gates / compare tests (plain Node, mocha).
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join, sep } from "node:path";
import { ROOT, tempDir } from "./helpers";

export const WORKSPACE = join(ROOT, "fixtures", "workspace");
export const MATRIX_REL = ".sot/03-PROTOCOLS/CTO-CASE-FAILURE-FIXTURE-MATRIX.md";

/** A copy of the fixture workspace (without its runs) whose matrix doc is `edit(text)`. */
export function workspaceCopy(edit: (text: string) => string = (t) => t): { root: string; doc: string } {
  const root = join(tempDir("cto-ws-"), "workspace");
  cpSync(WORKSPACE, root, { recursive: true, filter: (s) => !s.includes(`${sep}.cto${sep}runs`) });
  const doc = join(root, MATRIX_REL);
  writeFileSync(doc, edit(readFileSync(doc, "utf8")));
  return { root, doc };
}

/** Flips one bit of the byte at `at` (negative: from the end) of a file. */
export function flipByte(file: string, at = 10): void {
  const b = readFileSync(file);
  const i = at < 0 ? b.length + at : at;
  b[i] = b[i]! ^ 1;
  writeFileSync(file, b);
}
