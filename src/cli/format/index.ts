// The output formats of `cto validate --format`.
import { github } from "./github";
import { json } from "./json";
import { sarif } from "./sarif";
import { text } from "./text";
import type { Formatter } from "./types";

export const FORMATS: Record<string, Formatter> = { text, json, sarif, github };
export type { FormatContext, Formatted, Formatter, RunFinding, RunSuppressed, ValidateRun } from "./types";
