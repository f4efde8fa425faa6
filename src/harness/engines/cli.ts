// Shared helpers for adapters that run an external CLI (codex, pi, case).
import { dirname, isAbsolute, resolve } from "node:path";
import type { Task } from "../task";
import type { OptionSpec } from "./types";

/** engine_options shared by the CLI adapters. */
export const COMMAND_OPTION: OptionSpec = { type: "argv", description: "the command to run instead of the default (a relative path with a slash is relative to the task file)" };
export const ARGS_OPTION: OptionSpec = { type: "argv", description: "extra arguments for the CLI, placed before the prompt (e.g. a model: [\"--model\", \"gpt-5.5\"])" };
export const NETWORK_OPTION: OptionSpec = { type: "boolean", description: "false: no network for the engine under isolation (default true: its model provider is across the network)" };

export function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
}

/** `command` env var: a JSON argv array or a single executable path. */
export function envCommand(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  if (v.trim().startsWith("[")) {
    try {
      return stringList(JSON.parse(v));
    } catch {
      return undefined;
    }
  }
  return [v];
}

/**
 * The adapter's command: engine_options.command (argv; a relative path with a
 * slash is relative to the task file), else the env var, else the default.
 */
export function configuredCommand(task: Task, env: NodeJS.ProcessEnv, envVar: string, dflt: string[]): string[] {
  const fromTask = stringList(task.engine_options.command);
  if (fromTask) {
    const [exe, ...rest] = fromTask;
    return [exe!.includes("/") && !isAbsolute(exe!) ? resolve(dirname(task.file), exe!) : exe!, ...rest];
  }
  return envCommand(env[envVar]) ?? dflt;
}

/** engine_options.args: extra CLI arguments placed before the prompt (e.g. --model, -c key=value). */
export function extraArgs(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new Error("engine_options.args must be a list of strings");
  return v as string[];
}

/** A version from a `--version` probe: stdout's first line, else stderr's (pi prints it there). */
export function versionFrom(stdout: string, stderr: string): string | null {
  for (const text of [stdout, stderr]) {
    const first = text.split("\n").map((l) => l.trim()).find((l) => l.length > 0);
    if (first) return first.slice(0, 200);
  }
  return null;
}
