// `cto validate [PATH...] [--format text|json|sarif|github]`: the validator for CI.
// Exit 0 clean, 1 errors, 2 usage. Each workspace's .cto/config.yaml applies; flags override it.
import * as path from "node:path";
import {
  CtoWorkspace,
  discoverWorkspaces,
  findRootAbove,
  ignoreMatcher,
  isValidDate,
  loadWorkspace,
  nodeFs,
  optionsFor,
  RULE_IDS,
  skippedDocs,
  todayUtc,
  UNCONFIGURABLE_RULES,
  validateWorkspaceDetailed,
  CONFIG_FILE,
  configFolder,
  type RuleId,
  type SeveritySetting,
  type ValidateOptions,
} from "../../core";
import { toRel, validatedDocs } from "../../core/load";
import { loadTaskFacts } from "../../harness/taskFacts";
import { FORMATS, type ValidateRun } from "../format";
import { attachDoneRecords } from "../../harness/doneRecord";
import { VERSION_STRING } from "../version";
import { parseCommandArgs, UsageError, type CliIo } from "../io";

export type { ValidateRun } from "../format";

const HELP = `usage: cto validate [PATH...] [options]

Validates the CTO child workspaces (folders holding WORKBOARD.yaml) at or below each PATH
(default: .), or the workspace holding each given file. Each workspace's .cto/config.yaml
applies (rule severities, maxReviewAgeDays, candidates, ignore); the options below override it.

options:
  --format FORMAT             text (default: path:line:column: severity rule-id message),
                              json, sarif (SARIF 2.1.0) or github (workflow annotations)
  --json                      the same as --format json
  --today YYYY-MM-DD          pin the clock (also: env CTO_TODAY)
  --max-review-age-days N     stale-review threshold (default 90, or the config's)
  --rule ID=SEVERITY          error | warning | info | off (repeatable)
  --no-inline-config          ignore inline suppression comments (for audits)
  -h, --help                  this help

exit: 0 no errors, 1 errors found, 2 usage or internal error`;

export default async function validate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      json: { type: "boolean", default: false },
      format: { type: "string" },
      today: { type: "string" },
      "max-review-age-days": { type: "string" },
      rule: { type: "string", multiple: true },
      "no-inline-config": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    HELP,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (values.json && values.format !== undefined && values.format !== "json") throw new UsageError(`--json and --format ${values.format} contradict each other`);
  const format = values.format ?? (values.json ? "json" : "text");
  const formatter = FORMATS[format];
  if (!formatter) throw new UsageError(`--format must be one of ${Object.keys(FORMATS).join(", ")} (got '${format}')`);
  const overrides = overridesFrom(values, io.env);
  const targets = positionals.length > 0 ? positionals : ["."];
  const run = await runValidate(targets.map((t) => path.resolve(io.cwd, t)), overrides, positionals.length > 1 ? io.cwd : undefined, io.env);
  const today = overrides.today ?? todayUtc();
  const printed = formatter(run, { cwd: io.cwd, env: io.env, today, version: VERSION_STRING });
  for (const l of printed.out) io.out(l);
  for (const l of printed.err) io.err(l);
  return run.findings.some((f) => f.severity === "error") ? 1 : 0;
}

/** What the flags set; everything else comes from each workspace's config, then the defaults. */
function overridesFrom(
  values: { today?: string; "max-review-age-days"?: string; rule?: string[]; "no-inline-config"?: boolean },
  env: CliIo["env"],
): Partial<ValidateOptions> {
  const today = values.today ?? env.CTO_TODAY;
  if (today !== undefined && !isValidDate(today)) throw new UsageError(`--today must be a date as YYYY-MM-DD (got '${today}')`);
  let maxReviewAgeDays: number | undefined;
  if (values["max-review-age-days"] !== undefined) {
    maxReviewAgeDays = Number(values["max-review-age-days"]);
    if (!Number.isInteger(maxReviewAgeDays) || maxReviewAgeDays < 0) throw new UsageError("--max-review-age-days must be a whole number of days");
  }
  const severities: Partial<Record<RuleId, SeveritySetting>> = {};
  const configurable = RULE_IDS.filter((r) => !UNCONFIGURABLE_RULES.includes(r));
  for (const spec of values.rule ?? []) {
    const m = /^([a-z-]+)=(error|warning|info|off)$/.exec(spec);
    if (!m || !(configurable as readonly string[]).includes(m[1])) {
      throw new UsageError(`--rule takes ID=SEVERITY with ID one of ${configurable.join(", ")} and SEVERITY error|warning|info|off (got '${spec}')`);
    }
    severities[m[1] as RuleId] = m[2] as SeveritySetting;
  }
  return {
    ...(today ? { today } : {}),
    ...(maxReviewAgeDays !== undefined ? { maxReviewAgeDays } : {}),
    severities,
    ...(values["no-inline-config"] ? { inlineConfig: false } : {}),
  };
}

/**
 * Validates targets (absolute paths of folders or files), each workspace with its own config
 * under `overrides`. Findings are reported relative to `reportRoot` (default: the single target
 * folder, or the workspace root of a single file).
 */
export async function runValidate(targets: string[], overrides: Partial<ValidateOptions>, reportRoot?: string, env: NodeJS.ProcessEnv = process.env): Promise<ValidateRun> {
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
  const run: ValidateRun = { root: base, files: [], findings: [], suppressed: [], skipped: [], inlineConfig: overrides.inlineConfig !== false };
  for (const [root, { ws, only }] of byRoot) {
    const rel = (f: string) => toRel(base, path.join(root, f));
    // Task sets name task files and repos: whether they exist and are clean is read the harness's way.
    await loadTaskFacts(ws, { runsDir: configFolder(root, ws.config.evidenceFolder, ".cto/runs") });
    const options = optionsFor(ws.config, overrides);
    const ignored = ignoreMatcher(options.ignore);
    // A file named on the command line reports its workspace's config problems too.
    const wanted = (file: string) => !only || only.has(file) || file === CONFIG_FILE;
    const results = validateWorkspaceDetailed(ws, options, only);
    for (const [file, list] of results.findings) {
      if (!wanted(file)) continue;
      for (const f of list) run.findings.push({ ...f, relFile: rel(file), wsRoot: root });
    }
    for (const [file, list] of results.suppressed) {
      if (!wanted(file)) continue;
      for (const f of list) run.suppressed.push({ ...f, relFile: rel(file), wsRoot: root });
    }
    for (const d of validatedDocs(ws)) if ((!only || only.has(d.path)) && !ignored?.(d.path)) run.files.push(rel(d.path));
    const skipped = new Map(skippedDocs(ws).map((s) => [s.file, s.reason]));
    for (const file of ws.docs.keys()) {
      const pattern = ignored?.(file);
      if (pattern) skipped.set(file, `ignored by ${CONFIG_FILE} ('${pattern}')`);
    }
    for (const [file, reason] of [...skipped].sort(([a], [b]) => (a < b ? -1 : 1))) if (!only || only.has(file)) run.skipped.push({ file: rel(file), reason });
  }
  run.files.sort();
  const order = (a: { relFile: string; range: { line: number; column: number } }, b: typeof a) =>
    a.relFile < b.relFile ? -1 : a.relFile > b.relFile ? 1 : a.range.line - b.range.line || a.range.column - b.range.column;
  run.findings.sort(order);
  run.suppressed.sort(order);
  return run;
}

/** A lone file with no WORKBOARD.yaml above it: validated by itself (workboard-entry says why). */
async function singleFileWorkspace(root: string, file: string): Promise<CtoWorkspace> {
  const ws = new CtoWorkspace(root);
  ws.setDoc(toRel(root, file), await nodeFs.readFile(file));
  return ws;
}
