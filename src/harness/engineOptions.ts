// engine_options are checked against the adapter that will read them. The task
// file does not name its engine, so this runs when the run knows it (runTask,
// compareEngines), before anything is probed or started. Every problem is
// located at the option's key (unknown) or value (ill-typed) in the task file.
import { ENGINE_IDS, getEngine } from "./engines/registry";
import type { EngineAdapter, OptionSpec } from "./engines/types";
import { argvProblem, TaskError, type Task, type TaskProblem } from "./task";

export function engineOptionProblems(task: Task, adapter: EngineAdapter): TaskProblem[] {
  const problems: TaskProblem[] = [];
  const declared = Object.keys(adapter.options);
  const fallback = task.positions.values.engine_options ?? { line: 1, column: 1 };
  for (const [name, value] of Object.entries(task.engine_options)) {
    const pos = task.positions.engine_options[name] ?? { key: fallback, value: fallback };
    const spec = Object.prototype.hasOwnProperty.call(adapter.options, name) ? adapter.options[name] : undefined;
    if (!spec) {
      const others = ENGINE_IDS.filter((id) => id !== adapter.id && Object.prototype.hasOwnProperty.call(getEngine(id)!.options, name));
      const hint = others.length ? `; '${name}' is an option of ${others.join(", ")}` : "";
      problems.push({ ...pos.key, message: `unknown engine option '${name}' for engine '${adapter.id}' (it takes: ${declared.join(", ") || "none"}${hint})` });
      continue;
    }
    const why = valueProblem(`engine_options.${name}`, spec, value);
    if (why) problems.push({ ...pos.value, message: why });
  }
  return problems;
}

/** Throws a TaskError (usage, exit 2) when the task's engine_options do not fit the adapter. */
export function checkEngineOptions(task: Task, adapter: EngineAdapter): void {
  const problems = engineOptionProblems(task, adapter);
  if (problems.length) throw new TaskError(task.file, problems);
}

function valueProblem(what: string, spec: OptionSpec, v: unknown): string | undefined {
  switch (spec.type) {
    case "boolean":
      return typeof v === "boolean" ? undefined : `'${what}' must be true or false`;
    case "argv":
      if (Array.isArray(v) && v.length === 0) return `'${what}' must be a non-empty list of strings`;
      return argvProblem(v, what);
    case "enum":
      return typeof v === "string" && spec.values.includes(v) ? undefined : `'${what}' must be one of: ${spec.values.join(", ")}`;
  }
}
