// Runs the rules over a workspace (or some of its docs) and returns findings per file.
import { CONFIG_FILE, ignoreMatcher, UNCONFIGURABLE_RULES } from "./config";
import { isPlanningDoc } from "./parse";
import { applySuppressions } from "./suppressions";
import { RULES } from "./rules";
import type { RuleContext } from "./rules/context";
import { DEFAULT_MAX_REVIEW_AGE_DAYS, DEFAULT_SEVERITIES, type Finding, type RuleId, type Severity, type SuppressedFinding, type ValidateOptions } from "./types";
import type { CtoWorkspace } from "./workspace";
import { todayUtc } from "./rules/dates";

export function resolveOptions(partial: Partial<ValidateOptions> = {}): ValidateOptions {
  return {
    today: partial.today ?? todayUtc(),
    maxReviewAgeDays: partial.maxReviewAgeDays ?? DEFAULT_MAX_REVIEW_AGE_DAYS,
    severities: partial.severities ?? {},
    ...(partial.ignore ? { ignore: partial.ignore } : {}),
    ...(partial.inlineConfig !== undefined ? { inlineConfig: partial.inlineConfig } : {}),
  };
}

function severityOf(rule: RuleId, options: ValidateOptions): Severity | undefined {
  if (UNCONFIGURABLE_RULES.includes(rule)) return DEFAULT_SEVERITIES[rule];
  const s = options.severities[rule] ?? DEFAULT_SEVERITIES[rule];
  return s === "off" ? undefined : s;
}

/**
 * Findings for the given docs (default: every doc) plus the workspace-level files
 * (WORKBOARD.yaml, .cto/lexicon.yaml). Every requested doc gets an entry, empty when clean,
 * so callers can clear stale diagnostics.
 */
export function validateWorkspace(ws: CtoWorkspace, options: ValidateOptions, docs?: Iterable<string>): Map<string, Finding[]> {
  return validateWorkspaceDetailed(ws, options, docs).findings;
}

/**
 * As validateWorkspace, and also the findings inline suppressions silenced (per file), for
 * audits. Ignored docs (`ignore` globs) get an empty entry: nothing is reported on them.
 */
export function validateWorkspaceDetailed(
  ws: CtoWorkspace,
  options: ValidateOptions,
  docs?: Iterable<string>,
): { findings: Map<string, Finding[]>; suppressed: Map<string, SuppressedFinding[]> } {
  const out = new Map<string, Finding[]>();
  const suppressed = new Map<string, SuppressedFinding[]>();
  const ignored = ignoreMatcher(options.ignore);
  const ctx: RuleContext = {
    ws,
    options,
    report(rule, file, range, message, fixes) {
      const severity = severityOf(rule, options);
      if (!severity) return;
      const f: Finding = { rule, severity, file, range, message, ...(fixes && fixes.length > 0 ? { fixes } : {}) };
      const list = out.get(file);
      if (list) list.push(f);
      else out.set(file, [f]);
    },
  };
  for (const rule of RULES) if (severityOf(rule.id, options)) rule.checkWorkspace?.(ctx);
  for (const p of ws.configProblems) ctx.report("config", CONFIG_FILE, p.range, p.message);
  for (const path of docs ?? ws.docs.keys()) {
    const doc = ws.docs.get(path);
    if (!out.has(path)) out.set(path, []);
    if (!doc || ignored?.(path)) continue;
    if (isPlanningDoc(doc)) {
      for (const rule of RULES) if (severityOf(rule.id, options)) rule.checkDoc?.(doc, ctx);
    } else if (!doc.unreadable && ws.docsSourcedBy(path).length > 0) {
      RULES.find((r) => r.id === "frontmatter")?.checkDoc?.(doc, ctx);
    }
  }
  // Nothing is reported on an ignored doc, whichever rule found it.
  if (ignored) for (const [file, list] of out) if (file.toLowerCase().endsWith(".md") && ignored(file) && list.length > 0) out.set(file, []);
  if (options.inlineConfig !== false) {
    for (const [file, list] of out) {
      const doc = ws.docs.get(file);
      if (!doc || doc.unreadable) continue;
      const r = applySuppressions(doc, list, (rule) => !severityOf(rule, options));
      const kept = r.kept;
      for (const m of r.meta) {
        const severity = severityOf(m.rule, options);
        if (severity) kept.push({ rule: m.rule, severity, file, range: m.range, message: m.message });
      }
      out.set(file, kept);
      if (r.suppressed.length > 0) suppressed.set(file, r.suppressed.sort(compareFindings));
    }
  }
  for (const list of out.values()) list.sort(compareFindings);
  return { findings: out, suppressed };
}

export function compareFindings(a: Finding, b: Finding): number {
  return a.range.line - b.range.line || a.range.column - b.range.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}
