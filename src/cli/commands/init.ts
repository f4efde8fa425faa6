// `cto init [DIR] [--ci github]`: starts a CTO child workspace — WORKBOARD.yaml, .cto/config.yaml
// and, with --ci github, the GitHub Actions workflow. Never overwrites a file; says what it skipped.
import * as path from "node:path";
import { initWorkspace } from "../../core/init";
import { parseCommandArgs, UsageError, type CliIo } from "../io";

const HELP = `usage: cto init [DIR] [--ci github]

Writes the starter files of a CTO child workspace into DIR (default: .):
  WORKBOARD.yaml        marks the workspace; lists its planning docs and work items
  .cto/config.yaml      one configuration for the editor and CI
  .github/workflows/cto.yaml   with --ci github: validate (annotations, SARIF), fixtures, gates

An existing file is never overwritten; it is listed as skipped.

exit: 0 (also when files were skipped), 2 usage`;

export default async function init(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { ci: { type: "string" }, help: { type: "boolean", short: "h", default: false } }, HELP);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`one folder at most (got ${positionals.length})\n${HELP}`);
  if (values.ci !== undefined && values.ci !== "github") throw new UsageError(`--ci takes 'github' (got '${values.ci}'); docs/ci.md has a GitLab CI job to copy`);
  const dir = path.resolve(io.cwd, positionals[0] ?? ".");
  const r = initWorkspace(dir, values.ci === "github" ? { ci: "github" } : {});
  const shown = (f: string) => path.relative(io.cwd, path.join(dir, f)) || f;
  for (const f of r.written) io.out(`wrote ${shown(f)}`);
  for (const s of r.skipped) io.out(`skipped ${shown(s.file)}: ${s.reason}`);
  if (r.written.includes("WORKBOARD.yaml")) io.err("next: add the PRD and the issue artifact it lists, then run `cto validate`");
  return 0;
}
