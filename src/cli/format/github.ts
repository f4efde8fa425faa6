// `--format github`: GitHub Actions workflow commands, one annotation per finding:
//   ::error file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=TITLE::MESSAGE
// GitHub's escaping: in the message %, CR and LF; in properties also ':' and ','.
// endColumn is given only for one-line findings (GitHub ignores columns across lines) and is
// the last column of the finding (ours are end-exclusive).
import type { Severity } from "../../core";
import { shownPath } from "./paths";
import { text } from "./text";
import type { Formatter } from "./types";

const COMMAND: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };

export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export const github: Formatter = (run, ctx) => {
  const out = run.findings.map((f) => {
    const r = f.range;
    const props: [string, string | number][] = [["file", shownPath(ctx.cwd, run.root, f.relFile)], ["line", r.line], ["col", r.column], ["endLine", r.endLine]];
    if (r.endLine === r.line) props.push(["endColumn", Math.max(r.column, r.endColumn - 1)]);
    props.push(["title", `cto ${f.rule}`]);
    return `::${COMMAND[f.severity]} ${props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(",")}::${escapeData(f.message)}`;
  });
  return { out, err: text(run, ctx).err };
};
