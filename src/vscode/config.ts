// Typed reads of the `cto.*` settings.
import * as vscode from "vscode";
import { RULE_IDS, resolveOptions, todayUtc, type RuleId, type SeveritySetting, type ValidateOptions } from "../core";

export const SECTION = "cto";

export function validateOptions(scope?: vscode.Uri): ValidateOptions {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const rules = c.get<Record<string, string>>("validate.rules") ?? {};
  const severities: Partial<Record<RuleId, SeveritySetting>> = {};
  for (const [id, sev] of Object.entries(rules)) {
    if ((RULE_IDS as readonly string[]).includes(id) && ["error", "warning", "info", "off"].includes(sev)) severities[id as RuleId] = sev as SeveritySetting;
  }
  const pinned = c.get<string>("validate.today") ?? "";
  return resolveOptions({
    today: /^\d{4}-\d{2}-\d{2}$/.test(pinned) ? pinned : todayUtc(),
    maxReviewAgeDays: c.get<number>("validate.maxReviewAgeDays") ?? 90,
    severities,
  });
}

export function validationEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>("validate.enable") ?? true;
}

export function debounceMs(): number {
  return Math.max(0, vscode.workspace.getConfiguration(SECTION).get<number>("validate.debounceMs") ?? 300);
}
