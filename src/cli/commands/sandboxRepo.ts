// `cto sandbox-repo create --task TASK.yaml [--out DIR] [--json]`: a throwaway git repo made from
// the task's repo, for the disposable-sandbox-repo gate (`cto run --sandbox-repo DIR`). The
// path is the one line on stdout, so `--sandbox-repo "$(cto sandbox-repo create --task T)"` works.
import { resolve } from "node:path";
import { createSandboxRepo, SandboxRepoError, TaskError, EXIT_USAGE } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";

const HELP = `usage: cto sandbox-repo create --task TASK.yaml [--out DIR] [--json]

Makes a throwaway git repo from the task's repo: a fresh repo holding exactly its
base (HEAD's tree of a git repo, or a plain folder's files) in one new commit, and a
marker signed with this machine's harness key (.git/cto-sandbox-repo.json). Run the
task on it with \`cto run --sandbox-repo DIR\`: the bundle's freshness names the
throwaway repo, which is how the disposable-sandbox-repo gate tells it from the
original. The task's repo is read, never changed, and must be clean. Delete the
folder when you are done with it.

  --task FILE   the task file whose repo is copied
  --out DIR     the folder to create (new or empty; default: a new temp folder)
  --json        print the marker as JSON

Exit: 0 created (its path on stdout); 1 the repo cannot be copied; 2 usage.`;

export default async function sandboxRepo(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { task: { type: "string" }, out: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, HELP);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  const [sub, ...rest] = parsed.positionals;
  if (sub !== "create" || rest.length) throw new UsageError(`${sub ? `unknown subcommand '${sub}'` : "a subcommand is required"}\n${HELP}`);
  if (!v.task) throw new UsageError(`--task is required\n${HELP}`);
  let made;
  try {
    made = createSandboxRepo(resolve(io.cwd, v.task), { ...(v.out ? { out: resolve(io.cwd, v.out) } : {}), env: io.env });
  } catch (e) {
    if (e instanceof TaskError) {
      io.err(e.message);
      return EXIT_USAGE;
    }
    if (e instanceof SandboxRepoError) {
      io.err(`cto sandbox-repo: ${e.message}`);
      return 1;
    }
    throw e;
  }
  if (v.json) io.out(JSON.stringify({ tool: "cto-sandbox-repo", ...made }, null, 2));
  else {
    io.out(made.path);
    io.err(`cto sandbox-repo: ${made.id}: a throwaway copy of ${made.source.path} (base tree ${made.tree}) at ${made.path}`);
    io.err(`  run on it: cto run --engine case --enable-gated case --task ${v.task} --sandbox-repo ${made.path}`);
  }
  return 0;
}
