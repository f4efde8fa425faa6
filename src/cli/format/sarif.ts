// `--format sarif`: SARIF 2.1.0 for code scanning. One run; the driver lists every rule with
// its description, default level and a help link to its section of docs/rules.md; results carry
// exact regions (UTF-16 columns, end-exclusive, as SARIF's default columnKind says), our quick
// fixes as SARIF fixes, and inline-suppressed findings with `suppressions` (kind inSource,
// the reason as justification). Paths are relative to the current folder (%SRCROOT%).
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Finding, Range, Severity } from "../../core";
import { shownPath } from "./paths";
import { ruleMetas, rulesDocUri } from "./rules";
import { text } from "./text";
import type { Formatter, RunFinding, RunSuppressed, ValidateRun } from "./types";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };
const BASE = "%SRCROOT%";

const uriOf = (p: string) => p.split("/").map(encodeURIComponent).join("/");
const region = (r: Range) => ({ startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn });

export const sarif: Formatter = (run, ctx) => {
  const rules = ruleMetas(ctx.env);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const location = (wsRoot: string, rel: string, r: Range) => ({
    physicalLocation: { artifactLocation: { uri: uriOf(shownPath(ctx.cwd, wsRoot, rel)), uriBaseId: BASE }, region: region(r) },
  });
  const result = (f: RunFinding | RunSuppressed, suppressed?: RunSuppressed) => ({
    ruleId: f.rule,
    ruleIndex: index.get(f.rule)!,
    level: LEVEL[f.severity],
    message: { text: f.message },
    locations: [location(run.root, f.relFile, f.range)],
    ...(f.fixes?.length ? { fixes: f.fixes.map((x) => fix(x, f.wsRoot, ctx.cwd)) } : {}),
    ...(suppressed
      ? {
          suppressions: [
            {
              kind: "inSource",
              justification: suppressed.reason,
              location: location(run.root, f.relFile, { line: suppressed.suppression.line, column: suppressed.suppression.column, endLine: suppressed.suppression.line, endColumn: suppressed.suppression.column + 4 }),
            },
          ],
        }
      : {}),
  });
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "cto-validate",
            fullName: "CTO Workbench planning-doc validator",
            version: ctx.version,
            semanticVersion: ctx.version,
            informationUri: rulesDocUri(ctx.env),
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()).replace(/^[a-z]/, (c) => c.toUpperCase()),
              shortDescription: { text: r.description },
              fullDescription: { text: r.description },
              helpUri: r.helpUri,
              help: { text: `${r.description} See ${r.helpUri}`, markdown: `${r.description}\n\n[Rule docs](${r.helpUri})` },
              defaultConfiguration: { level: LEVEL[r.defaultSeverity] },
            })),
          },
        },
        originalUriBaseIds: { [BASE]: { uri: dirUri(ctx.cwd) } },
        columnKind: "utf16CodeUnits",
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: run.skipped.map((s) => ({
              level: "note",
              message: { text: `skipped: ${s.reason}` },
              locations: [{ physicalLocation: { artifactLocation: { uri: uriOf(shownPath(ctx.cwd, run.root, s.file)), uriBaseId: BASE } } }],
            })),
          },
        ],
        results: [...run.findings.map((f) => result(f)), ...run.suppressed.map((f) => result(f, f))],
        properties: { scope: "planning-only", backend_ready: false, today: ctx.today, inline_config: run.inlineConfig, files: run.files.length },
      },
    ],
  };
  return { out: [JSON.stringify(log, null, 2)], err: text(run, ctx).err };
};

function fix(x: NonNullable<Finding["fixes"]>[number], wsRoot: string, cwd: string) {
  const byFile = new Map<string, typeof x.edits>();
  for (const e of x.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return {
    description: { text: x.title },
    artifactChanges: [...byFile].map(([file, edits]) => ({
      artifactLocation: { uri: uriOf(shownPath(cwd, wsRoot, file)), uriBaseId: BASE },
      replacements: edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
    })),
  };
}

function dirUri(dir: string): string {
  const href = pathToFileURL(path.resolve(dir)).href;
  return href.endsWith("/") ? href : `${href}/`;
}

export type { ValidateRun };
