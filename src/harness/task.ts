// The task file (CONTRACT §4): parsed with `yaml`'s document API so every
// problem names its key and exact line/column. Unknown keys are errors — a typo
// such as `allowed_file:` must never silently weaken a run.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import type { Node as YamlNode, Pair } from "yaml";
import { yaml } from "../core/libs";

export type ScenarioStep =
  | { write: { path: string; content: string } }
  | { delete: { path: string } }
  | { symlink: { path: string; target: string } }
  | { approval: { action: string } }
  | { emit: { type: string; data?: Record<string, unknown> } }
  | { sleep_ms: number }
  | { spawn: { command: string[] } }
  | { crash: true }
  | { exit: number }
  | { omit_finish: true };

export type ReviewerSpec = { policy: "approve" | "reject" } | { command: string[] };
export type ApprovalPolicy = "deny" | "grant" | "ask";

export interface Task {
  id: string;
  prompt: string;
  /** Absolute path of the source repo (resolved against the task file's folder). */
  repo: string;
  allowed_files: string[];
  /** undefined or [] → missing_test_command (a blocker, not a usage error). */
  test_command: string[] | undefined;
  timeout_s: number;
  test_timeout_s: number;
  /** The bounded wait without engine progress before provider_unavailable (engines that watch progress). */
  progress_timeout_s?: number;
  reviewer: ReviewerSpec;
  approvals: { policy: ApprovalPolicy };
  engine_options: Record<string, unknown>;
  scenario: ScenarioStep[];
  /** Absolute path of the task file and SHA-256 of its bytes. */
  file: string;
  sha256: string;
}

export interface TaskProblem {
  message: string;
  line: number;
  column: number;
}

/** Thrown when the task file is unreadable or invalid; the CLI exits 2 (usage). */
export class TaskError extends Error {
  constructor(
    readonly file: string,
    readonly problems: TaskProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join("\n"));
  }
}

export const TASK_KEYS = [
  "id",
  "prompt",
  "repo",
  "allowed_files",
  "test_command",
  "timeout_s",
  "test_timeout_s",
  "progress_timeout_s",
  "reviewer",
  "approvals",
  "engine_options",
  "scenario",
] as const;

/** Defaults, chosen to fail closed: nothing allowed, approvals denied. */
export const TASK_DEFAULTS = { timeout_s: 600, test_timeout_s: 300, progress_timeout_s: 60 };

const STEP_SHAPES: Record<string, "object" | "number" | "true" | "int"> = {
  write: "object",
  delete: "object",
  symlink: "object",
  approval: "object",
  emit: "object",
  spawn: "object",
  sleep_ms: "number",
  crash: "true",
  exit: "int",
  omit_finish: "true",
};
const STEP_FIELDS: Record<string, { required: string[]; optional: string[] }> = {
  write: { required: ["path", "content"], optional: [] },
  delete: { required: ["path"], optional: [] },
  symlink: { required: ["path", "target"], optional: [] },
  approval: { required: ["action"], optional: [] },
  emit: { required: ["type"], optional: ["data"] },
  spawn: { required: ["command"], optional: [] },
};

export function loadTask(file: string): Task {
  const abs = resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (e) {
    throw new TaskError(abs, [{ message: `cannot read task file: ${(e as Error).message}`, line: 1, column: 1 }]);
  }
  return parseTask(bytes.toString("utf8"), abs, createHash("sha256").update(bytes).digest("hex"));
}

/** Parses task text; `file` anchors relative paths and error messages. */
export function parseTask(text: string, file: string, sha256 = createHash("sha256").update(text).digest("hex")): Task {
  const lc = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: TaskProblem[] = [];
  const at = (node: YamlNode | null | undefined, message: string) => {
    const off = node?.range?.[0] ?? 0;
    const p = lc.linePos(off);
    problems.push({ message, line: p.line, column: p.col });
  };
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    problems.push({ message: `YAML: ${e.message.split("\n")[0]}`, line: p.line, column: p.col });
  }
  if (problems.length) throw new TaskError(file, problems);
  const root = doc.contents;
  if (!yaml.isMap(root)) {
    at(root as YamlNode, "task file must be a YAML mapping");
    throw new TaskError(file, problems);
  }

  const get = new Map<string, Pair<unknown, unknown>>();
  for (const pair of root.items) {
    const key = yaml.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!(TASK_KEYS as readonly string[]).includes(key)) {
      at(pair.key as YamlNode, `unknown key '${key}' (allowed: ${TASK_KEYS.join(", ")})`);
      continue;
    }
    get.set(key, pair);
  }
  const valueNode = (k: string) => get.get(k)?.value as YamlNode | undefined;
  const keyNode = (k: string) => get.get(k)?.key as YamlNode | undefined;
  const js = (k: string): unknown => {
    const n = valueNode(k);
    return n && typeof (n as { toJSON?: unknown }).toJSON === "function" ? (n as unknown as { toJSON(): unknown }).toJSON() : yaml.isScalar(n) ? n.value : undefined;
  };

  const str = (k: string, required: boolean): string | undefined => {
    if (!get.has(k)) {
      if (required) at(root, `missing required key '${k}'`);
      return undefined;
    }
    const v = js(k);
    if (typeof v !== "string" || (required && v.trim() === "")) {
      at(valueNode(k) ?? keyNode(k), `'${k}' must be a non-empty string`);
      return undefined;
    }
    return v;
  };
  const strList = (k: string, node: YamlNode | undefined, v: unknown): string[] | undefined => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      at(node ?? keyNode(k), `'${k}' must be a list of strings`);
      return undefined;
    }
    return v as string[];
  };
  const positive = (k: string, dflt: number): number => {
    if (!get.has(k)) return dflt;
    const v = js(k);
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      at(valueNode(k) ?? keyNode(k), `'${k}' must be a positive number of seconds`);
      return dflt;
    }
    return v;
  };

  const id = str("id", true);
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
    at(valueNode("id"), "'id' must be a slug: letters, digits, '.', '_' or '-' (max 128)");
  }
  const prompt = str("prompt", false) ?? "";
  const repoRel = str("repo", true);
  const allowed = get.has("allowed_files") ? strList("allowed_files", valueNode("allowed_files"), js("allowed_files")) ?? [] : [];
  let testCommand: string[] | undefined;
  if (get.has("test_command")) {
    const v = js("test_command");
    if (v === null || (Array.isArray(v) && v.length === 0)) testCommand = undefined;
    else testCommand = strList("test_command", valueNode("test_command"), v);
  }
  const timeout_s = positive("timeout_s", TASK_DEFAULTS.timeout_s);
  const test_timeout_s = positive("test_timeout_s", TASK_DEFAULTS.test_timeout_s);
  // How long a watched engine (codex, pi, case) may go without progress before it counts as provider_unavailable.
  const progress_timeout_s = positive("progress_timeout_s", TASK_DEFAULTS.progress_timeout_s);

  // reviewer: { policy: approve|reject } or { command: [argv] }
  let reviewer: ReviewerSpec = { policy: "approve" };
  if (get.has("reviewer")) {
    const n = valueNode("reviewer");
    const v = js("reviewer") as Record<string, unknown> | null;
    if (!yaml.isMap(n) || !v) at(n ?? keyNode("reviewer"), "'reviewer' must be { policy: approve|reject } or { command: [argv] }");
    else {
      checkKeys(n, ["policy", "command"], "reviewer", at);
      if ("policy" in v && "command" in v) at(n, "'reviewer' takes either 'policy' or 'command', not both");
      else if ("command" in v) {
        const c = strList("reviewer.command", n.get("command", true) as YamlNode, v.command);
        if (c && c.length === 0) at(n, "'reviewer.command' must not be empty");
        if (c && c.length) reviewer = { command: c };
      } else if (v.policy === "approve" || v.policy === "reject") reviewer = { policy: v.policy };
      else at((n.get("policy", true) as YamlNode) ?? n, "'reviewer.policy' must be approve or reject");
    }
  }

  let approvals: { policy: ApprovalPolicy } = { policy: "deny" };
  if (get.has("approvals")) {
    const n = valueNode("approvals");
    const v = js("approvals") as Record<string, unknown> | null;
    if (!yaml.isMap(n) || !v) at(n ?? keyNode("approvals"), "'approvals' must be { policy: deny|grant|ask }");
    else {
      checkKeys(n, ["policy"], "approvals", at);
      if (v.policy === "deny" || v.policy === "grant" || v.policy === "ask") approvals = { policy: v.policy };
      else at((n.get("policy", true) as YamlNode) ?? n, "'approvals.policy' must be deny, grant or ask");
    }
  }

  let engine_options: Record<string, unknown> = {};
  if (get.has("engine_options")) {
    const n = valueNode("engine_options");
    const v = js("engine_options");
    if (v === null) engine_options = {};
    else if (!yaml.isMap(n)) at(n ?? keyNode("engine_options"), "'engine_options' must be a mapping");
    else engine_options = v as Record<string, unknown>;
  }

  const scenario: ScenarioStep[] = [];
  if (get.has("scenario")) {
    const n = valueNode("scenario");
    if (js("scenario") === null) {
      /* empty scenario */
    } else if (!yaml.isSeq(n)) at(n ?? keyNode("scenario"), "'scenario' must be a list of steps");
    else {
      for (const item of n.items as YamlNode[]) {
        const step = parseStep(item, at);
        if (step) scenario.push(step);
      }
    }
  }

  if (problems.length) throw new TaskError(file, problems);
  return {
    id: id!,
    prompt,
    repo: resolve(dirname(file), repoRel!),
    allowed_files: allowed,
    test_command: testCommand,
    timeout_s,
    test_timeout_s,
    progress_timeout_s,
    reviewer,
    approvals,
    engine_options,
    scenario,
    file,
    sha256,
  };
}

type At = (node: YamlNode | null | undefined, message: string) => void;

function checkKeys(map: YamlNode, allowed: string[], where: string, at: At): void {
  if (!yaml.isMap(map)) return;
  for (const p of map.items) {
    const k = yaml.isScalar(p.key) ? String(p.key.value) : String(p.key);
    if (!allowed.includes(k)) at(p.key as YamlNode, `unknown key '${k}' in ${where} (allowed: ${allowed.join(", ")})`);
  }
}

function parseStep(item: YamlNode, at: At): ScenarioStep | undefined {
  if (!yaml.isMap(item) || item.items.length !== 1) {
    at(item, `a scenario step is a mapping with exactly one of: ${Object.keys(STEP_SHAPES).join(", ")}`);
    return undefined;
  }
  const pair = item.items[0]!;
  const kind = yaml.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
  const shape = STEP_SHAPES[kind];
  const vnode = pair.value as YamlNode | null;
  const v: unknown = vnode && "toJSON" in vnode ? (vnode as unknown as { toJSON(): unknown }).toJSON() : null;
  if (!shape) {
    at(pair.key as YamlNode, `unknown scenario step '${kind}' (allowed: ${Object.keys(STEP_SHAPES).join(", ")})`);
    return undefined;
  }
  const bad = (msg: string) => (at(vnode ?? (pair.key as YamlNode), msg), undefined);
  switch (shape) {
    case "number":
      return typeof v === "number" && v >= 0 ? ({ [kind]: v } as ScenarioStep) : bad(`'${kind}' must be a number ≥ 0`);
    case "int":
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255 ? ({ [kind]: v } as ScenarioStep) : bad(`'${kind}' must be an integer 0..255`);
    case "true":
      return v === true ? ({ [kind]: true } as ScenarioStep) : bad(`'${kind}' must be true`);
    case "object": {
      if (!yaml.isMap(vnode) || typeof v !== "object" || v === null) return bad(`'${kind}' must be a mapping`);
      const f = STEP_FIELDS[kind]!;
      checkKeys(vnode, [...f.required, ...f.optional], `scenario step '${kind}'`, at);
      const o = v as Record<string, unknown>;
      for (const r of f.required) if (!(r in o)) return bad(`'${kind}' needs '${r}'`);
      if (kind === "spawn") {
        if (!Array.isArray(o.command) || o.command.length === 0 || o.command.some((x) => typeof x !== "string")) return bad("'spawn.command' must be a non-empty list of strings");
      } else if (kind === "emit") {
        if (typeof o.type !== "string" || !o.type) return bad("'emit.type' must be a string");
        if (o.data !== undefined && (typeof o.data !== "object" || o.data === null || Array.isArray(o.data))) return bad("'emit.data' must be a mapping");
      } else {
        for (const r of f.required) if (typeof o[r] !== "string") return bad(`'${kind}.${r}' must be a string`);
      }
      return { [kind]: o } as ScenarioStep;
    }
  }
}
