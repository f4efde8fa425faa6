// `--format json` (also `--json`): the contract's object (snake_case), plus `suppressed` — every
// finding an inline suppression silenced, with its reason, so an audit sees them.
import type { Range } from "../../core";
import { summarize, type Formatter, type RunFinding } from "./types";

const position = (r: Range) => ({ line: r.line, column: r.column, end_line: r.endLine, end_column: r.endColumn });
const finding = (f: RunFinding) => ({ rule: f.rule, severity: f.severity, file: f.relFile, ...position(f.range), message: f.message });

export const json: Formatter = (run, ctx) => {
  const s = summarize(run);
  const body = {
    tool: "cto-validate",
    version: ctx.version,
    scope: "planning-only",
    backend_ready: false,
    ok: s.errors === 0,
    root: run.root,
    files: run.files,
    findings: run.findings.map(finding),
    suppressed: run.suppressed.map((f) => ({
      ...finding(f),
      reason: f.reason,
      suppression: { kind: f.suppression.kind, line: f.suppression.line, column: f.suppression.column },
    })),
    inline_config: run.inlineConfig,
    skipped: run.skipped,
    summary: s,
  };
  return { out: [JSON.stringify(body, null, 2)], err: [] };
};
