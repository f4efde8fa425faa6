// `.cto/config.yaml`: one configuration for the editor and CI. The CLI and the extension both
// read it through this module; CLI flags and VS Code settings override it (see optionsFor).
// Every problem in the file is located (line and column) and reported by the `config` rule —
// a config that cannot be read is never silently ignored.
import type { Node, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import * as path from "node:path";
import type { FsLike } from "./fs";
import { decodeText } from "./parse";
import { picomatch, yaml } from "./libs";
import { LineTable } from "./text";
import { todayUtc } from "./rules/dates";
import { DEFAULT_MAX_REVIEW_AGE_DAYS, RULE_IDS, type Range, type RuleId, type SeveritySetting, type ValidateOptions } from "./types";

export const CONFIG_FILE = ".cto/config.yaml";

/** Rules whose findings are about our own inputs; `config` can be neither turned off nor suppressed. */
export const UNCONFIGURABLE_RULES: readonly RuleId[] = ["config"];
/** Rules that inline suppressions cannot silence (a suppression cannot vouch for itself). */
export const UNSUPPRESSIBLE_RULES: readonly RuleId[] = ["config", "suppression", "unused-suppression"];
export const SEVERITY_SETTINGS: readonly SeveritySetting[] = ["error", "warning", "info", "off"];
const KEYS = ["version", "rules", "maxReviewAgeDays", "candidates", "ignore", "evidenceFolder", "fixturesFolder"] as const;

export interface CtoConfig {
  rules: Partial<Record<RuleId, SeveritySetting>>;
  maxReviewAgeDays?: number;
  /** Extra names of candidate backends (single words, lower case), beside the lexicon's own. */
  candidates: string[];
  /** Globs (workspace-relative, posix) of docs that are not validated. */
  ignore: string[];
  /** Workspace-relative folders. */
  evidenceFolder?: string;
  fixturesFolder?: string;
}

export interface ConfigProblem {
  message: string;
  range: Range;
}

export function emptyConfig(): CtoConfig {
  return { rules: {}, candidates: [], ignore: [] };
}

/** Parses the file's text. Bad keys or values are problems and are left out; the rest applies. */
export function parseConfig(rawText: string): { config: CtoConfig; problems: ConfigProblem[] } {
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  const lines = new LineTable(text);
  const config = emptyConfig();
  const problems: ConfigProblem[] = [];
  const at = (node: { range?: [number, number, number] | null } | null | undefined): Range => {
    const r = node?.range;
    if (!r) return { line: 1, column: 1, endLine: 1, endColumn: Math.max(2, lines.lineText(1).length + 1) };
    return lines.range(r[0], Math.max(r[1], r[0] + 1));
  };
  const problem = (node: Parameters<typeof at>[0], message: string) => problems.push({ message, range: at(node) });

  const doc = yaml.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  for (const e of doc.errors) {
    const start = Math.min(e.pos[0], text.length);
    const end = Math.min(Math.max(e.pos[1], start + 1), text.length);
    problems.push({ message: `YAML: ${e.message.split("\n")[0]}`, range: lines.range(start, Math.max(end, start)) });
  }
  if (doc.errors.length > 0) return { config, problems };
  const root = doc.contents as Node | null;
  if (root === null || (yaml.isScalar(root) && (root.value === null || root.value === ""))) return { config, problems }; // empty file
  if (!yaml.isMap(root)) {
    problem(root, "the config must be a mapping of keys (rules, maxReviewAgeDays, candidates, ignore, evidenceFolder, fixturesFolder)");
    return { config, problems };
  }
  for (const pair of (root as YAMLMap).items as Pair<Node, Node>[]) {
    const keyNode = pair.key as Scalar;
    const key = String(yaml.isScalar(keyNode) ? keyNode.value : keyNode);
    const value = pair.value as Node | null;
    switch (key) {
      case "version":
        if (!yaml.isScalar(value) || value.value !== 1) problem(value ?? keyNode, "version must be 1");
        break;
      case "rules":
        readRules(value, keyNode, config, problem);
        break;
      case "maxReviewAgeDays": {
        const v = yaml.isScalar(value) ? value.value : undefined;
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0) problem(value ?? keyNode, "maxReviewAgeDays must be a whole number of days (0 or more)");
        else config.maxReviewAgeDays = v;
        break;
      }
      case "candidates":
        for (const item of stringList(value, keyNode, "candidates", problem)) {
          const name = String(item.value).trim().toLowerCase();
          // The drift rules match words; a name with a space or hyphen would never match as one.
          if (!/^[a-z0-9]+$/.test(name)) problem(item, `candidate name '${item.value}' must be one word of letters a-z and digits`);
          else if (!config.candidates.includes(name)) config.candidates.push(name);
        }
        break;
      case "ignore":
        for (const item of stringList(value, keyNode, "ignore", problem)) {
          const glob = String(item.value).trim();
          const why = globProblem(glob);
          if (why) problem(item, `ignore pattern '${glob}': ${why}`);
          else config.ignore.push(glob);
        }
        break;
      case "evidenceFolder":
      case "fixturesFolder": {
        const v = yaml.isScalar(value) ? value.value : undefined;
        const why = typeof v === "string" ? folderProblem(v) : "must be a folder path (a string)";
        if (why) problem(value ?? keyNode, `${key} ${why}`);
        else config[key] = normalizeFolder(v as string);
        break;
      }
      default:
        problem(keyNode, `unknown key '${key}' (known: ${KEYS.join(", ")})`);
    }
  }
  return { config, problems };
}

type ProblemFn = (node: Node | Scalar | null | undefined, message: string) => void;

function readRules(value: Node | null, keyNode: Node, config: CtoConfig, problem: ProblemFn): void {
  if (value === null || (yaml.isScalar(value) && value.value === null)) return;
  if (!yaml.isMap(value)) {
    problem(value, "rules must map rule ids to error, warning, info or off");
    return;
  }
  for (const pair of (value as YAMLMap).items as Pair<Node, Node>[]) {
    const k = pair.key as Scalar;
    const id = String(yaml.isScalar(k) ? k.value : k);
    const sev = yaml.isScalar(pair.value) ? pair.value.value : undefined;
    if (!(RULE_IDS as readonly string[]).includes(id)) problem(k, `unknown rule '${id}' (rules: ${RULE_IDS.filter((r) => !UNCONFIGURABLE_RULES.includes(r)).join(", ")})`);
    else if (UNCONFIGURABLE_RULES.includes(id as RuleId)) problem(k, `'${id}' reports problems in this file itself; it is always an error`);
    else if (typeof sev !== "string" || !(SEVERITY_SETTINGS as readonly string[]).includes(sev)) problem(pair.value ?? k, `severity of '${id}' must be error, warning, info or off`);
    else config.rules[id as RuleId] = sev as SeveritySetting;
  }
  void keyNode;
}

function stringList(value: Node | null, keyNode: Node, key: string, problem: ProblemFn): Scalar[] {
  if (value === null || (yaml.isScalar(value) && value.value === null)) return [];
  if (!yaml.isSeq(value)) {
    problem(value ?? keyNode, `${key} must be a list of strings`);
    return [];
  }
  const out: Scalar[] = [];
  for (const item of (value as YAMLSeq<Node>).items) {
    if (yaml.isScalar(item) && typeof item.value === "string" && item.value.trim() !== "") out.push(item);
    else problem(item, `${key}: every item must be a non-empty string`);
  }
  return out;
}

function globProblem(glob: string): string | undefined {
  if (glob.startsWith("!")) return "negated patterns are not supported (list what to ignore)";
  if (glob.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(glob)) return "must be relative to the workspace root";
  if (glob.split("/").includes("..")) return "must not climb out of the workspace with '..'";
  try {
    picomatch()(glob);
  } catch (e) {
    return `not a glob (${e instanceof Error ? e.message : String(e)})`;
  }
  return undefined;
}

/** A folder named in the config must lie inside the workspace: a shared file may not send runs elsewhere. */
function folderProblem(p: string): string | undefined {
  const t = p.trim();
  if (t === "") return "must not be empty";
  if (t.includes("\0")) return "must not hold a NUL character";
  if (path.posix.isAbsolute(t.replace(/\\/g, "/")) || /^[a-zA-Z]:[\\/]/.test(t)) return `must be relative to the workspace root (got '${p}')`;
  if (path.posix.normalize(t.replace(/\\/g, "/")).split("/").includes("..")) return `must stay inside the workspace (got '${p}')`;
  return undefined;
}

function normalizeFolder(p: string): string {
  return path.posix.normalize(p.trim().replace(/\\/g, "/")).replace(/\/$/, "");
}

/**
 * The options a validation runs with: built-in defaults, then the workspace's config, then
 * `overrides` (CLI flags, or the VS Code settings the user set) — later wins, rule by rule.
 */
export function optionsFor(config: CtoConfig | undefined, overrides: Partial<ValidateOptions> = {}): ValidateOptions {
  const c = config ?? emptyConfig();
  return {
    today: overrides.today ?? todayUtc(),
    maxReviewAgeDays: overrides.maxReviewAgeDays ?? c.maxReviewAgeDays ?? DEFAULT_MAX_REVIEW_AGE_DAYS,
    severities: { ...c.rules, ...(overrides.severities ?? {}) },
    ignore: [...c.ignore, ...(overrides.ignore ?? [])],
    inlineConfig: overrides.inlineConfig ?? true,
  };
}

/** A matcher for ignore globs; a folder pattern (`archive/`) ignores everything below it. */
export function ignoreMatcher(globs: readonly string[] | undefined): ((rel: string) => string | undefined) | undefined {
  if (!globs || globs.length === 0) return undefined;
  const compiled = globs.map((g) => ({ g, test: picomatch()(g.endsWith("/") ? `${g}**` : g, { dot: true }) }));
  return (rel) => compiled.find((c) => c.test(rel))?.g;
}

/** A workspace folder from the config, or the fallback; always absolute. */
export function configFolder(root: string, configured: string | undefined, fallback: string): string {
  return path.resolve(root, configured ?? fallback);
}

/** Reads `.cto/config.yaml` below `root`: its text, undefined when absent, or why it cannot be read. */
export async function readConfigFile(fs: FsLike, root: string): Promise<string | undefined | { unreadable: string }> {
  const abs = path.join(root, CONFIG_FILE);
  const st = await fs.stat(abs);
  if (!st) return undefined;
  if (st.type !== "file") return { unreadable: `${CONFIG_FILE} is not a regular file` };
  try {
    const d = decodeText(await fs.readFile(abs));
    return "text" in d ? d.text : { unreadable: `${CONFIG_FILE} cannot be read: ${d.unreadable}` };
  } catch (e) {
    return { unreadable: `${CONFIG_FILE} cannot be read: ${e instanceof Error ? e.message : String(e)}` };
  }
}
