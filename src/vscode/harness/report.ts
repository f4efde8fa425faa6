// The report view: a bundle's report.md with its patch.diff appended, shown in the markdown
// preview (read-only, virtual document `cto-report:`).
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";

export const REPORT_SCHEME = "cto-report";
const MAX_DIFF_CHARS = 200_000;

export class ReportContent implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const dir = uri.path.replace(/\/report\.md$/, "");
    const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8") : undefined);
    const report = read("report.md") ?? `# No report\n\n${dir} holds no report.md (an incomplete or failed run).`;
    const diff = read("patch.diff");
    const shown = diff === undefined ? "(no patch.diff)" : diff.length > MAX_DIFF_CHARS ? diff.slice(0, MAX_DIFF_CHARS) + "\n… (truncated)" : diff || "(empty: no changes)";
    return `${report}\n\n## Diff\n\n\`\`\`diff\n${shown}\n\`\`\`\n`;
  }
}

export function reportUri(bundleDir: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REPORT_SCHEME, path: path.join(bundleDir, "report.md") });
}

export async function openReport(bundleDir: string): Promise<void> {
  await vscode.commands.executeCommand("markdown.showPreview", reportUri(bundleDir));
}
