// Plain data shared by the core, the CLI and the editor layer. No editor types here:
// every position is 1-based line and column, columns counted in UTF-16 code units
// (what VS Code and JavaScript strings count), end column exclusive.

export type Severity = "error" | "warning" | "info";
export type SeveritySetting = Severity | "off";

export const RULE_IDS = [
  "required-artifact",
  "promotion-status",
  "local-disclaimer",
  "authority-drift",
  "workboard-entry",
  "stale-review",
  "frontmatter",
  "issue-structure",
  "dependency",
  "readiness-claim",
  "record-structure",
  // Ours, about the validator's own inputs: .cto/config.yaml and inline suppressions.
  "config",
  "suppression",
  "unused-suppression",
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export interface Position {
  line: number;
  column: number;
}

export interface Range {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** One text replacement; `file` is workspace-root-relative (posix). */
export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

/** A mechanical fix a user can apply (a VS Code quick fix). */
export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** workspace-root-relative posix path */
  file: string;
  range: Range;
  message: string;
  fixes?: Fix[];
}

export interface ValidateOptions {
  /** YYYY-MM-DD; the validator never reads the clock itself. */
  today: string;
  maxReviewAgeDays: number;
  /** Per-rule severity override; "off" disables the rule. */
  severities: Partial<Record<RuleId, SeveritySetting>>;
  /** Globs of workspace-relative docs not to validate (from `.cto/config.yaml`). */
  ignore?: string[];
  /** false: inline suppression comments are ignored (`cto validate --no-inline-config`). */
  inlineConfig?: boolean;
}

/** A finding an inline suppression silenced, with the suppression's reason and place. */
export interface SuppressedFinding extends Finding {
  reason: string;
  suppression: { kind: "next-line" | "block"; line: number; column: number };
}

export const DEFAULT_SEVERITIES: Record<RuleId, Severity> = {
  "required-artifact": "error",
  "promotion-status": "error",
  "local-disclaimer": "error",
  "authority-drift": "error",
  "workboard-entry": "error",
  "stale-review": "warning",
  frontmatter: "error",
  "issue-structure": "error",
  dependency: "error",
  "readiness-claim": "error",
  "record-structure": "error",
  config: "error",
  suppression: "warning",
  "unused-suppression": "warning",
};

export const DEFAULT_MAX_REVIEW_AGE_DAYS = 90;
