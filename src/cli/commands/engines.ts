// `cto engines [--json] [--task FILE] [--enable-gated ID]... [--records DIR] [--isolation MODE] [ENGINE...]`
// What each engine needs on this machine, and whether it has it: the first thing to run on a new one.
import { checkEngines, renderCheck } from "../../harness/engines/check";
import { ENGINE_IDS } from "../../harness/engines/registry";
import { loadTask, TaskError } from "../../harness/task";
import { HARNESS_VERSION as VERSION } from "../../harness/version";
import { parseCommandArgs, UsageError, type CliIo } from "../io";
import { resolve } from "node:path";

const HELP = `usage: cto engines [ENGINE...] [options]

For each engine (default: all): whether its CLI is found and where it really
lives, its version (probed inside the isolation a run uses), where its per-run
home would be seeded from, whether it can start inside the isolation, and for a
gated engine whether it is enabled, admitted (integrity hash) and eligible.

  --task FILE          use this task's engine_options.command
  --enable-gated ID    count this gated engine as enabled (repeatable)
  --records DIR        folder with the gate records (default: the CTO child workspace of the cwd)
  --isolation MODE     auto (default; required for gated engines) | required | none
  --json               print JSON

Exit: 0 when every engine checked (or named) is found and starts; 1 when one is not; 2 usage.`;

export default async function engines(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, {
    task: { type: "string" },
    "enable-gated": { type: "string", multiple: true },
    records: { type: "string" },
    isolation: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, HELP);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const names = parsed.positionals;
  for (const n of names) if (!ENGINE_IDS.includes(n)) throw new UsageError(`unknown engine '${n}' (known: ${ENGINE_IDS.join(", ")})`);
  const isolation = v.isolation as string | undefined;
  if (isolation && !["auto", "required", "none"].includes(isolation)) throw new UsageError("--isolation must be auto, required or none");
  let task;
  if (v.task) {
    try {
      task = loadTask(resolve(io.cwd, String(v.task)));
    } catch (e) {
      if (e instanceof TaskError) {
        io.err(e.message);
        return 2;
      }
      throw e;
    }
  }
  const checks = await checkEngines({
    env: io.env,
    cwd: io.cwd,
    engines: names.length ? names : undefined,
    task,
    enableGated: (v["enable-gated"] as string[] | undefined)?.flatMap((s) => s.split(",")).map((s) => s.trim()),
    recordsDir: v.records ? resolve(io.cwd, String(v.records)) : undefined,
    isolation: isolation as "auto" | "required" | "none" | undefined,
  });
  // A gated engine nobody enabled need not be installed; every other engine must be found and start.
  const ok = checks.every((c) => (names.length === 0 && c.gated && !c.gate?.enabled) || (c.found && c.starts === true));
  if (v.json) {
    io.out(JSON.stringify({ tool: "cto-engines", version: VERSION, ok, engines: checks }, null, 2));
  } else {
    for (const c of checks) io.out(renderCheck(c));
  }
  return ok ? 0 : 1;
}
