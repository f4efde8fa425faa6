// Rule metadata for the machine formats (SARIF): id, description, default severity, docs link.
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_SEVERITIES, RULE_IDS, RULES, type RuleId, type Severity } from "../../core";

/** The rules that are not in the rule registry (they judge our own inputs). */
const META: Partial<Record<RuleId, string>> = {
  config: "`.cto/config.yaml` parses and every key and value is known and well-formed (always an error).",
  suppression: "Inline suppression comments are well-formed: a known directive, known rule ids, and a reason after ` -- `.",
  "unused-suppression": "Every inline suppression silences at least one finding.",
};

export interface RuleMeta {
  id: RuleId;
  description: string;
  defaultSeverity: Severity;
  helpUri: string;
}

/**
 * Where the rules' docs live: docs/rules.md of this copy of CTO Workbench, one section per rule
 * (anchor = rule id). CTO_DOCS_URL (a web address of the same folder) replaces the file address,
 * for reports read on another machine.
 */
export function rulesDocUri(env: Record<string, string | undefined>, cliDir = __dirname): string {
  const base = env.CTO_DOCS_URL?.trim();
  if (base) return `${base.replace(/\/+$/, "")}/rules.md`;
  return pathToFileURL(path.join(findPackageRoot(cliDir), "docs", "rules.md")).href;
}

function findPackageRoot(from: string): string {
  const fs = require("node:fs") as typeof import("node:fs");
  for (let d = path.resolve(from); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "package.json")) && fs.existsSync(path.join(d, "docs", "rules.md"))) return d;
    if (path.dirname(d) === d) return path.resolve(from, "..");
  }
}

export function ruleMetas(env: Record<string, string | undefined>): RuleMeta[] {
  const doc = rulesDocUri(env);
  return RULE_IDS.map((id) => ({
    id,
    description: RULES.find((r) => r.id === id)?.description ?? META[id] ?? id,
    defaultSeverity: DEFAULT_SEVERITIES[id],
    helpUri: `${doc}#${id}`,
  }));
}
