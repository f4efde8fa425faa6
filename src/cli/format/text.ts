// `--format text` (default): one line per finding, `path:line:column: severity rule-id message`
// — what the `$cto` problem matcher reads. Skipped files and the summary go to stderr.
import { shownPath } from "./paths";
import { summarize, type Formatter } from "./types";

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

export const text: Formatter = (run, ctx) => {
  const out = run.findings.map((f) => `${shownPath(ctx.cwd, run.root, f.relFile)}:${f.range.line}:${f.range.column}: ${f.severity} ${f.rule} ${f.message}`);
  const err = run.skipped.map((s) => `skipped ${s.file}: ${s.reason}`);
  const s = summarize(run);
  const suppressed = run.inlineConfig ? (s.suppressed ? `; ${s.suppressed} suppressed inline (listed by --format json)` : "") : "; inline suppressions ignored (--no-inline-config)";
  err.push(
    `cto validate: ${plural(s.errors, "error")}, ${plural(s.warnings, "warning")}, ${plural(s.infos, "info")} in ${plural(run.files.length, "planning doc")} (today ${ctx.today})${suppressed}`,
  );
  return { out, err };
};
