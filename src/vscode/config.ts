// Typed reads of the `cto.*` settings. Validation options are the workspace's .cto/config.yaml
// under the settings the user has set (a setting left at its default does not override it).
import * as vscode from "vscode";
import { optionsFor, RULE_IDS, UNCONFIGURABLE_RULES, type CtoWorkspace, type RuleId, type SeveritySetting, type ValidateOptions } from "../core";

export const SECTION = "cto";

/** The setting's value when the user set it anywhere (user, workspace, folder), else undefined. */
export function explicitSetting<T>(key: string, scope?: vscode.Uri): T | undefined {
  const i = vscode.workspace.getConfiguration(SECTION, scope).inspect<T>(key);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

export function validateOptions(scope?: vscode.Uri, ws?: CtoWorkspace): ValidateOptions {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  // An object setting: VS Code merges the scopes; its default is {} so every key was set by the user.
  const rules = c.get<Record<string, string>>("validate.rules") ?? {};
  const severities: Partial<Record<RuleId, SeveritySetting>> = {};
  for (const [id, sev] of Object.entries(rules)) {
    if ((RULE_IDS as readonly string[]).includes(id) && !UNCONFIGURABLE_RULES.includes(id as RuleId) && ["error", "warning", "info", "off"].includes(sev)) {
      severities[id as RuleId] = sev as SeveritySetting;
    }
  }
  const pinned = c.get<string>("validate.today") ?? "";
  const maxReviewAgeDays = explicitSetting<number>("validate.maxReviewAgeDays", scope);
  return optionsFor(ws?.config, {
    ...(/^\d{4}-\d{2}-\d{2}$/.test(pinned) ? { today: pinned } : {}),
    ...(typeof maxReviewAgeDays === "number" ? { maxReviewAgeDays } : {}),
    severities,
  });
}

export function validationEnabled(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>("validate.enable") ?? true;
}

export function debounceMs(): number {
  return Math.max(0, vscode.workspace.getConfiguration(SECTION).get<number>("validate.debounceMs") ?? 300);
}
