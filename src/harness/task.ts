// The task file (CONTRACT §4): parsed with `yaml`'s document API so every
// problem names its key and exact line/column. Unknown keys are errors — a typo
// such as `allowed_file:` must never silently weaken a run. A task file is
// hostile input: it is read only if it is a regular file of bounded size, YAML
// anchors, aliases and tags are refused (they silently change what a value is),
// and every value that reaches a timer, an argv or a path is bounded here, so a
// bad one is a located usage error and never a crash or a quietly wrong run.
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import type { Node as YamlNode, Pair } from "yaml";
import { yaml } from "../core/libs";
import { prescan } from "../core/safeYaml";
import { ALLOWED_LIMITS, allowedPatternProblem } from "./allowed";

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

export interface TaskPos {
  line: number;
  column: number;
}

/** Where things are in the task file, for errors found after parsing (engine options, repo). */
export interface TaskPositions {
  /** Where each top-level key's value starts (its key when the value is empty). */
  values: Partial<Record<(typeof TASK_KEYS)[number], TaskPos>>;
  /** Each engine_options entry: where its key and its value start. */
  engine_options: Record<string, { key: TaskPos; value: TaskPos }>;
}

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
  /** How long the engine may show no progress before the run gives up on its provider. */
  progress_timeout_s: number;
  reviewer: ReviewerSpec;
  approvals: { policy: ApprovalPolicy };
  engine_options: Record<string, unknown>;
  scenario: ScenarioStep[];
  /** Absolute path of the task file and SHA-256 of its bytes. */
  file: string;
  sha256: string;
  positions: TaskPositions;
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

/**
 * Bounds on a task file (docs/harness.md "Task file", schemas/task.schema.json).
 * - file_bytes: read before parsing; the YAML parser needs ~500x a flow-heavy file in
 *   memory, so a bigger file is refused before it can exhaust the heap.
 * - max_duration_s: Node's timers hold at most 2^31-1 ms; a longer one fires at once.
 * - prompt_bytes, argv_bytes: the prompt and each command travel as argv (Linux caps one
 *   argument at 128 KiB and argv + environment at ARG_MAX, usually 2 MiB).
 */
export const TASK_LIMITS = {
  file_bytes: 1024 * 1024,
  /** Lines and flow-list entries (safeYaml.ts prescan): bounds the parser's memory. */
  yaml_items: 100_000,
  max_duration_s: Math.floor((2 ** 31 - 1) / 1000),
  max_sleep_ms: 2 ** 31 - 1,
  prompt_bytes: 64 * 1024,
  argv_bytes: 64 * 1024,
  argv_items: 1024,
  path_bytes: 4096,
} as const;

/** Why an argv list cannot be used (an empty list is the caller's business), or undefined. */
export function argvProblem(v: unknown, what: string): string | undefined {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) return `'${what}' must be a list of strings`;
  if (v.length > TASK_LIMITS.argv_items) return `'${what}' has ${v.length} items; at most ${TASK_LIMITS.argv_items}`;
  if (v.some((x: string) => x.includes("\0"))) return `'${what}' may not contain a NUL character (it cannot travel as an argument)`;
  const bytes = v.reduce((n: number, x: string) => n + Buffer.byteLength(x) + 1, 0);
  if (bytes > TASK_LIMITS.argv_bytes) return `'${what}' is ${bytes} bytes; at most ${TASK_LIMITS.argv_bytes} (it travels as a command line)`;
  return undefined;
}

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
  const bytes = readTaskBytes(abs);
  if (!isUtf8(bytes)) {
    const off = firstBadUtf8(bytes);
    const before = bytes.subarray(0, off);
    const line = before.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 1);
    const column = off - (before.lastIndexOf(0x0a) + 1) + 1;
    throw new TaskError(abs, [{ message: `the task file is not valid UTF-8 (byte offset ${off})`, line, column }]);
  }
  return parseTask(bytes.toString("utf8"), abs, createHash("sha256").update(bytes).digest("hex"));
}

const fileKind = (st: Stats): string =>
  st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device" : "not a regular file";

/**
 * The task file's bytes: a regular file of at most TASK_LIMITS.file_bytes. Checked
 * with stat before opening (opening a device can have effects), opened non-blocking
 * (a FIFO swapped in after the check cannot block us) and checked again on the descriptor.
 */
function readTaskBytes(abs: string): Buffer {
  const refuse = (message: string): never => {
    throw new TaskError(abs, [{ message, line: 1, column: 1 }]);
  };
  const max = TASK_LIMITS.file_bytes;
  const tooBig = (n: number | string) => `the task file is ${n} bytes; a task file is at most ${max} bytes (1 MiB)`;
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (e) {
    return refuse(`cannot read task file: ${(e as Error).message}`);
  }
  if (!st.isFile()) refuse(`the task file is ${fileKind(st)}, not a regular file`);
  if (st.size > max) refuse(tooBig(st.size));
  let fd: number;
  try {
    fd = openSync(abs, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOCTTY ?? 0));
  } catch (e) {
    return refuse(`cannot read task file: ${(e as Error).message}`);
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) refuse(`the task file is ${fileKind(fst)}, not a regular file`);
    // Read at most max+1 bytes whatever the size said: the file may be growing.
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > max) refuse(tooBig(`more than ${max}`));
    }
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof TaskError) throw e;
    return refuse(`cannot read task file: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Offset of the first byte that breaks UTF-8 (called only when the buffer is not valid UTF-8). */
function firstBadUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > b.length || !isUtf8(b.subarray(i, i + n))) return i;
    i += n;
  }
  return b.length;
}

/** Parses task text; `file` anchors relative paths and error messages. */
export function parseTask(text: string, file: string, sha256 = createHash("sha256").update(text).digest("hex")): Task {
  const size = Buffer.byteLength(text);
  if (size > TASK_LIMITS.file_bytes) throw new TaskError(file, [{ message: `the task file is ${size} bytes; a task file is at most ${TASK_LIMITS.file_bytes} bytes (1 MiB)`, line: 1, column: 1 }]);
  try {
    return parseTaskText(text, file, sha256);
  } catch (e) {
    // The parser reports deep nesting itself; this catches any recursion it leaves to us.
    if (e instanceof RangeError) throw new TaskError(file, [{ message: `the task file is nested too deeply to read (${e.message})`, line: 1, column: 1 }]);
    throw e;
  }
}

function parseTaskText(text: string, file: string, sha256: string): Task {
  const lc = new yaml.LineCounter();
  // Bound what the parser builds before it builds it: a task needs a few hundred items at most.
  const pre = prescan(text, { maxItems: TASK_LIMITS.yaml_items });
  if (pre) {
    const before = text.slice(0, pre.offset);
    const line = before.split("\n").length;
    throw new TaskError(file, [{ message: `${pre.message}; a task file needs far fewer`, line, column: pre.offset - before.lastIndexOf("\n") }]);
  }
  const doc = yaml.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems: TaskProblem[] = [];
  const posOf = (node: YamlNode | null | undefined): TaskPos => {
    const p = lc.linePos(node?.range?.[0] ?? 0);
    return { line: p.line, column: p.col };
  };
  const at = (node: YamlNode | null | undefined, message: string) => {
    problems.push({ message, ...posOf(node) });
  };
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    problems.push({ message: `YAML: ${e.message.split("\n")[0]}`, line: p.line, column: p.col });
  }
  if (problems.length) throw new TaskError(file, problems);
  // Warnings too: an unresolved tag, for one, silently becomes a string.
  for (const e of doc.warnings) {
    if (e.code === "TAG_RESOLVE_FAILED") continue; // every tag is refused below, where it is written
    const p = lc.linePos(e.pos[0]);
    problems.push({ message: `YAML: ${e.message.split("\n")[0]}`, line: p.line, column: p.col });
  }
  const root = doc.contents;
  if (!yaml.isMap(root)) {
    at(root as YamlNode, "task file must be a YAML mapping");
    throw new TaskError(file, problems);
  }
  // Anchors and aliases make one value silently stand for another (and an alias can
  // expand exponentially); tags change a value's type (!!binary is a byte buffer).
  // None has a use in a task file: refused before any value is read.
  // A node's range starts after its properties: point at the '&name' or '!tag' itself.
  const atProp = (node: YamlNode, written: string, message: string) => {
    const start = node.range?.[0] ?? 0;
    const i = text.lastIndexOf(written, start);
    const p = lc.linePos(i >= 0 && start - i <= 4096 ? i : start);
    problems.push({ message, line: p.line, column: p.col });
  };
  yaml.visit(doc, {
    Node(_key, node) {
      if (yaml.isAlias(node)) at(node, `YAML aliases are not allowed in a task file ('*${node.source}'): write the value out`);
      else {
        if (node.anchor) atProp(node, `&${node.anchor}`, `YAML anchors are not allowed in a task file ('&${node.anchor}')`);
        if (node.tag) {
          const tag = node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
          atProp(node, tag, `YAML tags are not allowed in a task file ('${tag}'): quote the value instead`);
        }
      }
    },
  });
  if (problems.length) throw new TaskError(file, problems);

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

  const values: TaskPositions["values"] = {};
  for (const [k, pair] of get) values[k as (typeof TASK_KEYS)[number]] = posOf((pair.value as YamlNode | null) ?? (pair.key as YamlNode));

  const str = (k: string, required: boolean, maxBytes: number): string | undefined => {
    if (!get.has(k)) {
      if (required) at(root, `missing required key '${k}'`);
      return undefined;
    }
    const v = js(k);
    const where = valueNode(k) ?? keyNode(k);
    if (typeof v !== "string" || (required && v.trim() === "")) {
      at(where, `'${k}' must be a non-empty string`);
      return undefined;
    }
    if (v.includes("\0")) {
      at(where, `'${k}' may not contain a NUL character`);
      return undefined;
    }
    const bytes = Buffer.byteLength(v);
    if (bytes > maxBytes) {
      at(where, `'${k}' is ${bytes} bytes; at most ${maxBytes}${k === "prompt" ? " (the prompt travels to the engine as one command-line argument)" : ""}`);
      return undefined;
    }
    return v;
  };
  const argv = (k: string, node: YamlNode | undefined, v: unknown): string[] | undefined => {
    const why = argvProblem(v, k);
    if (why) {
      at(node ?? keyNode(k), why);
      return undefined;
    }
    return v as string[];
  };
  const duration = (k: string, dflt: number): number => {
    if (!get.has(k)) return dflt;
    const v = js(k);
    const where = valueNode(k) ?? keyNode(k);
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      at(where, `'${k}' must be a positive number of seconds`);
      return dflt;
    }
    if (v > TASK_LIMITS.max_duration_s) {
      at(where, `'${k}' is at most ${TASK_LIMITS.max_duration_s} seconds (about 24.8 days, the longest timer Node can set)`);
      return dflt;
    }
    return v;
  };

  const id = str("id", true, 128);
  if (id !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
    at(valueNode("id"), "'id' must be a slug: letters, digits, '.', '_' or '-' (max 128)");
  }
  const prompt = str("prompt", false, TASK_LIMITS.prompt_bytes) ?? "";
  const repoRel = str("repo", true, TASK_LIMITS.path_bytes);
  const allowed = get.has("allowed_files") ? allowedFiles(valueNode("allowed_files"), keyNode("allowed_files"), at) : [];
  let testCommand: string[] | undefined;
  if (get.has("test_command")) {
    const v = js("test_command");
    if (v === null || (Array.isArray(v) && v.length === 0)) testCommand = undefined;
    else testCommand = argv("test_command", valueNode("test_command"), v);
  }
  const timeout_s = duration("timeout_s", TASK_DEFAULTS.timeout_s);
  const test_timeout_s = duration("test_timeout_s", TASK_DEFAULTS.test_timeout_s);
  const progress_timeout_s = duration("progress_timeout_s", TASK_DEFAULTS.progress_timeout_s);

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
        const c = argv("reviewer.command", n.get("command", true) as YamlNode, v.command);
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

  // Which options an engine takes is the adapter's to say (checkEngineOptions, when the
  // run knows its engine); here only the shape, and where each entry is.
  let engine_options: Record<string, unknown> = {};
  const optionPositions: TaskPositions["engine_options"] = {};
  if (get.has("engine_options")) {
    const n = valueNode("engine_options");
    const v = js("engine_options");
    if (v === null) engine_options = {};
    else if (!yaml.isMap(n)) at(n ?? keyNode("engine_options"), "'engine_options' must be a mapping");
    else {
      for (const p of n.items) {
        const k = p.key as YamlNode;
        if (!yaml.isScalar(k) || typeof k.value !== "string") at(k, "an engine_options key must be a plain name");
        else optionPositions[k.value] = { key: posOf(k), value: posOf((p.value as YamlNode | null) ?? k) };
      }
      engine_options = v as Record<string, unknown>;
    }
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
    positions: { values, engine_options: optionPositions },
  };
}

/** allowed_files: a list of patterns (allowed.ts), each checked where it is written. */
function allowedFiles(node: YamlNode | undefined, keyNode: YamlNode | undefined, at: At): string[] {
  if (!yaml.isSeq(node)) {
    at(node ?? keyNode, "'allowed_files' must be a list of strings");
    return [];
  }
  if (node.items.length > ALLOWED_LIMITS.patterns) at(node, `'allowed_files' has ${node.items.length} patterns; at most ${ALLOWED_LIMITS.patterns}`);
  const out: string[] = [];
  for (const item of node.items as YamlNode[]) {
    if (!yaml.isScalar(item) || typeof item.value !== "string") {
      at(item, "'allowed_files' must be a list of strings");
      continue;
    }
    const why = allowedPatternProblem(item.value);
    if (why) at(item, `allowed_files pattern '${item.value.slice(0, 80)}': ${why}`);
    else out.push(item.value);
  }
  return out;
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
      return typeof v === "number" && v >= 0 && v <= TASK_LIMITS.max_sleep_ms ? ({ [kind]: v } as ScenarioStep) : bad(`'${kind}' must be a number of milliseconds from 0 to ${TASK_LIMITS.max_sleep_ms} (the longest timer Node can set)`);
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
        const why = argvProblem(o.command, "spawn.command");
        if (why || (o.command as string[]).length === 0) return bad(why ?? "'spawn.command' must be a non-empty list of strings");
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
