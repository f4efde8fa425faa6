// The report view: a bundle's report.md with its patch.diff appended, shown in the markdown
// preview (read-only, virtual document `cto-report:`), headed by what `cto verify` says now —
// the verdict and who signed it — so a report that claims PASS is never shown without it.
// Artifacts open read-only as `cto-artifact:` documents. Both read through the harness's safe
// reader: regular files inside the bundle only (no FIFO, device or symlink), size-capped.
import * as path from "node:path";
import * as vscode from "vscode";
import { describeSignature, readRegularFile, readRegularFileHead, type VerifyResult } from "../../harness";

export const REPORT_SCHEME = "cto-report";
export const ARTIFACT_SCHEME = "cto-artifact";
const MAX_DIFF_CHARS = 200_000;
const MAX_REPORT_BYTES = 4 * 1024 * 1024;
const MAX_SHOWN_BYTES = 8 * 1024 * 1024;

/** A bundle file's text, or why it cannot be shown. */
async function readShown(dir: string, file: string, maxBytes: number): Promise<{ text?: string; why?: string }> {
  try {
    return { text: (await readRegularFile(path.join(dir, ...file.split("/")), { maxBytes })).toString("utf8") };
  } catch (e) {
    return { why: `${file} ${(e as Error).message}` };
  }
}

export class ReportContent implements vscode.TextDocumentContentProvider {
  constructor(private readonly verify: (bundleDir: string) => Promise<VerifyResult>) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const dir = uri.path.replace(/\/report\.md$/, "");
    const md = await readShown(dir, "report.md", MAX_REPORT_BYTES);
    const report = md.text ?? `# No report\n\n${dir} holds no readable report.md (${md.why ?? "an incomplete or failed run"}).`;
    const diff = await readShown(dir, "patch.diff", MAX_DIFF_CHARS * 4);
    const d = diff.text;
    const shown = d === undefined ? `(${diff.why ?? "no patch.diff"})` : d.length > MAX_DIFF_CHARS ? d.slice(0, MAX_DIFF_CHARS) + "\n… (truncated)" : d || "(empty: no changes)";
    return `${await this.banner(dir)}\n\n${report}\n\n## Diff\n\n\`\`\`diff\n${shown}\n\`\`\`\n`;
  }

  /** One quoted line: the verdict now and the signer, first problem when it does not verify. */
  private async banner(dir: string): Promise<string> {
    let v: VerifyResult;
    try {
      v = await this.verify(dir);
    } catch (e) {
      return `> **Cannot be verified:** ${(e as Error).message}`;
    }
    const sig = describeSignature(v.signature);
    if (v.verdict === "verified") return `> **Verified** — ${sig}${v.signature.sources.length ? `, trusted by ${v.signature.sources.join("; ")}` : ""}.`;
    const first = v.problems[0];
    return `> **${v.verdict.toUpperCase()}** — ${sig}. ${first ? `${first.file ? `${first.file}: ` : ""}${first.message}` : ""} Do not rely on this report.`;
  }
}

/** Bundle artifacts, read-only, through the safe reader (a large one is cut, and says so). */
export class ArtifactContent implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    try {
      const { data, size } = await readRegularFileHead(uri.path, { maxBytes: MAX_SHOWN_BYTES });
      const text = data.toString("utf8");
      return size > data.length ? `${text}\n… (cut: ${data.length} of ${size} bytes shown)\n` : text;
    } catch (e) {
      return `${path.basename(uri.path)} cannot be shown: ${(e as Error).message}`;
    }
  }
}

export function reportUri(bundleDir: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REPORT_SCHEME, path: path.join(bundleDir, "report.md") });
}

export function artifactUri(bundleDir: string, file: string): vscode.Uri {
  return vscode.Uri.from({ scheme: ARTIFACT_SCHEME, path: path.join(bundleDir, ...file.split("/")) });
}

export async function openReport(bundleDir: string): Promise<void> {
  await vscode.commands.executeCommand("markdown.showPreview", reportUri(bundleDir));
}
