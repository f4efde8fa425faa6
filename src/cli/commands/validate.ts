// `cto validate [PATH...] [--json]`: the validator for CI. Exit 0 clean, 1 errors, 2 usage.
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
  CtoWorkspace,
  discoverWorkspaces,
  findRootAbove,
  isValidDate,
  loadWorkspace,
  nodeFs,
  resolveOptions,
  RULE_IDS,
  skippedDocs,
  validateWorkspace,
  type Finding,
  type RuleId,
  type SeveritySetting,
  type ValidateOptions,
} from "../../core";
import { toRel, type Skipped } from "../../core/load";
import { attachDoneRecords } from "../../harness/doneRecord";
import { VERSION_STRING } from "../version";
import { UsageError, type CliIo } from "../io";

const HELP = `usage: cto validate [PATH...] [options]

Validates the CTO child workspaces (folders holding WORKBOARD.yaml) at or below each PATH
(default: .), or the workspace holding each given file.

options:
  --json                      print one JSON object (schema in the README)
  --today YYYY-MM-DD          pin the clock (also: env CTO_TODAY)
  --max-review-age-days N     stale-review threshold (default 90)
  --rule ID=SEVERITY          error | warning | info | off (repeatable)
  -h, --help                  this help

exit: 0 no errors, 1 errors found, 2 usage or internal error`;

export interface ValidateRun {
  root: string;
  files: string[];
  findings: (Finding & { relFile: string })[];
  skipped: Skipped[];
}

export default async function validate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      today: { type: "string" },
      "max-review-age-days": { type: "string" },
      rule: { type: "string", multiple: true },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const options = optionsFrom(values, io.env);
  const targets = positionals.length > 0 ? positionals : ["."];
  const run = await runValidate(targets.map((t) => path.resolve(io.cwd, t)), options, positionals.length > 1 ? io.cwd : undefined, io.env);
  const errors = run.findings.filter((f) => f.severity === "error").length;
  const warnings = run.findings.filter((f) => f.severity === "warning").length;
  const infos = run.findings.length - errors - warnings;
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          tool: "cto-validate",
          version: VERSION_STRING,
          scope: "planning-only",
          backend_ready: false,
          ok: errors === 0,
          root: run.root,
          files: run.files,
          findings: run.findings.map((f) => ({
            rule: f.rule,
            severity: f.severity,
            file: f.relFile,
            line: f.range.line,
            column: f.range.column,
            end_line: f.range.endLine,
            end_column: f.range.endColumn,
            message: f.message,
          })),
          skipped: run.skipped,
          summary: { errors, warnings, infos },
        },
        null,
        2,
      ),
    );
  } else {
    for (const f of run.findings) {
      const shown = path.relative(io.cwd, path.join(run.root, f.relFile)).split(path.sep).join("/") || f.relFile;
      io.out(`${shown}:${f.range.line}:${f.range.column}: ${f.severity} ${f.rule} ${f.message}`);
    }
    for (const s of run.skipped) io.err(`skipped ${s.file}: ${s.reason}`);
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
    io.err(`cto validate: ${plural(errors, "error")}, ${plural(warnings, "warning")}, ${plural(infos, "info")} in ${plural(run.files.length, "planning doc")} (today ${options.today})`);
  }
  return errors > 0 ? 1 : 0;
}

function optionsFrom(values: { today?: string; "max-review-age-days"?: string; rule?: string[] }, env: CliIo["env"]): ValidateOptions {
  const today = values.today ?? env.CTO_TODAY;
  if (today !== undefined && !isValidDate(today)) throw new UsageError(`--today must be a date as YYYY-MM-DD (got '${today}')`);
  let maxReviewAgeDays: number | undefined;
  if (values["max-review-age-days"] !== undefined) {
    maxReviewAgeDays = Number(values["max-review-age-days"]);
    if (!Number.isInteger(maxReviewAgeDays) || maxReviewAgeDays < 0) throw new UsageError("--max-review-age-days must be a whole number of days");
  }
  const severities: Partial<Record<RuleId, SeveritySetting>> = {};
  for (const spec of values.rule ?? []) {
    const m = /^([a-z-]+)=(error|warning|info|off)$/.exec(spec);
    if (!m || !(RULE_IDS as readonly string[]).includes(m[1])) {
      throw new UsageError(`--rule takes ID=SEVERITY with ID one of ${RULE_IDS.join(", ")} and SEVERITY error|warning|info|off (got '${spec}')`);
    }
    severities[m[1] as RuleId] = m[2] as SeveritySetting;
  }
  return resolveOptions({ ...(today ? { today } : {}), ...(maxReviewAgeDays !== undefined ? { maxReviewAgeDays } : {}), severities });
}

/**
 * Validates targets (absolute paths of folders or files). Findings are reported relative to
 * `reportRoot` (default: the single target folder, or the workspace root of a single file).
 */
export async function runValidate(targets: string[], options: ValidateOptions, reportRoot?: string, env: NodeJS.ProcessEnv = process.env): Promise<ValidateRun> {
  const byRoot = new Map<string, { ws: CtoWorkspace; only?: Set<string> }>();
  for (const target of targets) {
    const st = await nodeFs.stat(target);
    if (!st) throw new UsageError(`no such file or folder: ${target}`);
    if (st.type === "directory") {
      const found = await discoverWorkspaces(target, nodeFs);
      if (found.length === 0) throw new UsageError(`no CTO child workspace (${"WORKBOARD.yaml"}) at, below or above ${target}`);
      for (const f of found) if (!byRoot.has(f.root)) byRoot.set(f.root, { ws: await loadWorkspace(f, nodeFs) });
      reportRoot ??= targets.length === 1 ? target : undefined;
    } else {
      const root = (await findRootAbove(path.dirname(target), nodeFs)) ?? path.dirname(target);
      let entry = byRoot.get(root);
      if (!entry) {
        const found = (await discoverWorkspaces(root, nodeFs)).find((w) => w.root === root);
        entry = { ws: found ? await loadWorkspace(found, nodeFs) : await singleFileWorkspace(root, target), only: new Set() };
        byRoot.set(root, entry);
      }
      entry.only?.add(toRel(root, target));
      reportRoot ??= targets.length === 1 ? root : undefined;
    }
  }
  // done-evidence compares the docs with the done records, read and verified here (never re-run).
  for (const { ws } of byRoot.values()) attachDoneRecords(ws, env);
  const base = reportRoot ?? process.cwd();
  const run: ValidateRun = { root: base, files: [], findings: [], skipped: [] };
  for (const [root, { ws, only }] of byRoot) {
    const rel = (f: string) => toRel(base, path.join(root, f));
    const results = validateWorkspace(ws, options, only);
    for (const [file, list] of results) {
      if (only && !only.has(file)) continue;
      for (const f of list) run.findings.push({ ...f, relFile: rel(file) });
    }
    for (const d of ws.planningDocs()) if (!only || only.has(d.path)) run.files.push(rel(d.path));
    for (const s of skippedDocs(ws)) if (!only || only.has(s.file)) run.skipped.push({ file: rel(s.file), reason: s.reason });
  }
  run.files.sort();
  run.findings.sort((a, b) => (a.relFile < b.relFile ? -1 : a.relFile > b.relFile ? 1 : a.range.line - b.range.line || a.range.column - b.range.column));
  return run;
}

/** A lone file with no WORKBOARD.yaml above it: validated by itself (workboard-entry says why). */
async function singleFileWorkspace(root: string, file: string): Promise<CtoWorkspace> {
  const ws = new CtoWorkspace(root);
  ws.setDoc(toRel(root, file), await nodeFs.readFile(file));
  return ws;
}
