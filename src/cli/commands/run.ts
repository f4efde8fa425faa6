// `cto run --engine ID --task TASK.yaml [--out DIR] [--enable-gated ID]... [--records DIR]
//          [--isolation auto|required|none] [--sandbox-repo DIR] [--keep-sandbox] [--json]`
// A thin shell over the harness core's runTask(): the exit code is the run's.
import { runTask, RunUsageError, TaskError, EXIT_USAGE } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { HARNESS_VERSION as VERSION } from "../../harness/version";
import * as path from "node:path";
import { findRootAbove, nodeFs } from "../../core";
import { evidenceDirOf, workspaceConfig } from "../workspaceConfig";

const HELP = `usage: cto run --engine ID --task TASK.yaml [options]

Runs one engine on a disposable copy of the task's repo and writes one evidence
bundle (<runs folder>/<run_id>/).

  --engine ID          fake | codex | pi | case (case is gated)
  --task FILE          the task file (YAML)
  --out DIR            runs folder, outside the task's repo (default: the task's
                       workspace's .cto/config.yaml evidenceFolder; else .cto/runs
                       in the current folder; when that is inside the task's
                       repo: the CTO child workspace's .cto/runs, else
                       ~/.local/state/cto-workbench/runs; printed as a note)
  --enable-gated ID    enable a gated engine for this run (repeatable)
  --records DIR        folder with the gate records (default: the CTO child
                       workspace above the task file, i.e. the WORKBOARD.yaml folder)
  --isolation MODE     auto (default; required for gated engines) | required | none
  --sandbox-repo DIR   run on a throwaway repo made from the task's repo by
                       \`cto sandbox-repo create\` instead of on the repo itself
                       (the disposable-sandbox-repo gate; the report names it)
  --pass-env NAME      also pass this variable of your environment to the engine
                       (repeatable; the engine otherwise gets an allow-list only)
  --expose PATH        make PATH visible read-only inside the isolation (repeatable)
  --keep-sandbox       keep the sandbox folder after the run (debugging)
  --json               print the outcome as JSON

Exit: 0 pass; 10-25 the first blocker's code (docs/harness.md); 1 internal error; 2 usage.`;

export default async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, {
    engine: { type: "string" },
    task: { type: "string" },
    out: { type: "string" },
    "enable-gated": { type: "string", multiple: true },
    records: { type: "string" },
    isolation: { type: "string" },
    "sandbox-repo": { type: "string" },
    "pass-env": { type: "string", multiple: true },
    expose: { type: "string", multiple: true },
    "keep-sandbox": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, HELP);
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'\n${HELP}`);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (!v.engine || !v.task) throw new UsageError(`--engine and --task are required\n${HELP}`);
  const isolation = v.isolation as string | undefined;
  if (isolation && !["auto", "required", "none"].includes(isolation)) throw new UsageError("--isolation must be auto, required or none");

  let outDir = v.out as string | undefined;
  if (outDir === undefined) {
    // The task's workspace may name its evidence folder in .cto/config.yaml.
    const root = await findRootAbove(path.dirname(path.resolve(io.cwd, String(v.task))), nodeFs);
    const config = root ? await workspaceConfig(root, io.cwd) : undefined;
    if (root && config?.evidenceFolder) outDir = evidenceDirOf(root, config);
  }
  let result;
  try {
    result = await runTask({
      engine: String(v.engine),
      taskFile: String(v.task),
      outDir,
      cwd: io.cwd,
      enableGated: (v["enable-gated"] as string[] | undefined)?.flatMap((s) => s.split(",")).map((s) => s.trim()),
      recordsDir: v.records as string | undefined,
      isolation: isolation as "auto" | "required" | "none" | undefined,
      env: io.env,
      passEnv: v["pass-env"] as string[] | undefined,
      expose: v.expose as string[] | undefined,
      keepSandbox: v["keep-sandbox"] === true,
      ...(v["sandbox-repo"] !== undefined ? { sandboxRepo: String(v["sandbox-repo"]) } : {}),
    });
  } catch (e) {
    if (e instanceof TaskError) {
      io.err(e.message);
      return EXIT_USAGE;
    }
    if (e instanceof RunUsageError) throw new UsageError(e.message);
    throw e;
  }
  const r = result.report;
  for (const n of result.notes) io.err(`cto run: note: ${n}`);
  if (v.json) {
    io.out(
      JSON.stringify(
        {
          tool: "cto-run",
          version: VERSION,
          run_id: r.run_id,
          engine: r.engine.id,
          task: r.task.id,
          status: r.status,
          exit_code: r.exit_code,
          isolation: r.isolation,
          blockers: r.blockers,
          changed_files: r.changed_files.map((f) => f.path),
          bundle: result.bundleDir,
          sandbox_repo: r.freshness.sandbox_repo ?? null,
          notes: result.notes,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(`${r.status.toUpperCase()} ${r.task.id} with ${r.engine.id} (exit ${r.exit_code}, isolation ${r.isolation})`);
    for (const b of r.blockers) io.out(`  blocker ${b.id}: ${b.reason}`);
    io.out(result.bundleDir ? `bundle: ${result.bundleDir}` : "no bundle was written");
  }
  return result.exitCode;
}
