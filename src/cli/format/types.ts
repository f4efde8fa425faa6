// What a `cto validate` run produced, handed to the output formats.
import type { Finding, SuppressedFinding } from "../../core";
import type { Skipped } from "../../core/load";

/** A finding with the file relative to the run's root, and the absolute root of its workspace. */
export type RunFinding = Finding & { relFile: string; wsRoot: string };
export type RunSuppressed = SuppressedFinding & { relFile: string; wsRoot: string };

export interface ValidateRun {
  /** Absolute folder the JSON paths are relative to. */
  root: string;
  files: string[];
  findings: RunFinding[];
  suppressed: RunSuppressed[];
  skipped: Skipped[];
  /** false under --no-inline-config. */
  inlineConfig: boolean;
}

export interface FormatContext {
  cwd: string;
  env: Record<string, string | undefined>;
  today: string;
  version: string;
}

/** Lines for stdout and for stderr. */
export interface Formatted {
  out: string[];
  err: string[];
}

export type Formatter = (run: ValidateRun, ctx: FormatContext) => Formatted;

export interface Summary {
  errors: number;
  warnings: number;
  infos: number;
  suppressed: number;
}

export function summarize(run: ValidateRun): Summary {
  const errors = run.findings.filter((f) => f.severity === "error").length;
  const warnings = run.findings.filter((f) => f.severity === "warning").length;
  return { errors, warnings, infos: run.findings.length - errors - warnings, suppressed: run.suppressed.length };
}
