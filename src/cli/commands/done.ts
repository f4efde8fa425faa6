// `cto done CTO-WORK-NNN [PATH] [--recheck] [--json]`: done is earned (CONTRACT §5). Runs the
// issue's Validator: line (an argv, never a shell) in the sandbox on the clean committed tree and
// writes the signed done record .cto/done/<ID>.json; --recheck re-runs it and signs whether the
// record still holds. docs/gates.md "Done" says exactly what a record is and when it stops counting.
import * as path from "node:path";
import { DONE_DIR, showArgv, type CtoWorkspace } from "../../core";
import { DEFAULT_VALIDATOR_TIMEOUT_S, DONE_EXIT, DoneError, loadTrustStore, prepareDone, recheckDone, recordDone, type DoneOutcome, type IsolationRequest } from "../../harness";
import { VERSION_STRING } from "../version";
import { parseCommandArgs, UsageError, type CliIo } from "../io";
import { loadWorkspacesAt } from "../workspaces";

const HELP = `usage: cto done CTO-WORK-NNN [PATH] [--recheck] [--timeout-s N] [--isolation auto|required|none] [--json]

Records that an issue is done: its acceptance criteria are all checked, the worktree is clean
(no uncommitted change but done records), and its Validator: line — one command, parsed as an
argv without a shell — exits 0 when run in a sandbox on the committed tree (no network, an
empty home, unprivileged; bubblewrap where it works). Writes the signed done record
${DONE_DIR}/<ID>.json in the workspace (PATH, default .): the issue, its criteria as checked,
the validator's argv, exit code and output digest, the commit, the signer.

  --recheck        re-run the recorded validator at HEAD; sign whether the record still holds
                   (same exit code and the same stdout digest) into ${DONE_DIR}/<ID>.recheck.json
  --timeout-s N    the validator's time limit (default ${DEFAULT_VALIDATOR_TIMEOUT_S})
  --isolation X    auto (default: bubblewrap when it works), required, none
  --json           print the outcome as JSON (the validator's output is not streamed)

exit: 0 recorded (--recheck: still holds), 2 usage (unknown issue, a Validator: line that
needs a shell, not a git work tree), 3 criteria unchecked, 4 worktree not clean, 5 the
validator failed (no record), 6 the record no longer holds (--recheck), 7 cannot sign, 1 internal`;

export default async function done(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      json: { type: "boolean", default: false },
      recheck: { type: "boolean", default: false },
      "timeout-s": { type: "string" },
      isolation: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    HELP,
  );
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const [id, target, ...extra] = positionals;
  if (!id) throw new UsageError(`name the issue: cto done CTO-WORK-NNN [PATH]\n${HELP}`);
  if (extra.length > 0) throw new UsageError(`one issue and at most one PATH (got '${extra.join(" ")}' too)`);
  let timeoutS: number | undefined;
  if (values["timeout-s"] !== undefined) {
    timeoutS = Number(values["timeout-s"]);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError("--timeout-s must be a number of seconds > 0");
  }
  const isolation = values.isolation;
  if (isolation !== undefined && !["auto", "required", "none"].includes(isolation)) throw new UsageError(`--isolation must be auto, required or none (got '${isolation}')`);

  const ws = pickWorkspace(await loadWorkspacesAt(io.cwd, target, io.env), id);
  const json = values.json;
  const say = (line: string) => (json ? undefined : io.out(line));
  try {
    // Everything that can be refused is refused before anything runs (and before it is announced).
    const { argv } = prepareDone(ws, id);
    if (!json) io.err(`cto done ${id}: running ${showArgv(argv)} (its Validator: line, no shell) in a sandbox copy of the committed tree`);
    const common = {
      ws,
      id,
      env: io.env,
      ...(isolation ? { isolation: isolation as IsolationRequest } : {}),
      ...(timeoutS !== undefined ? { timeoutS } : {}),
      ...(json ? {} : { onStdoutLine: (l: string) => io.out(l) }),
    };
    const outcome = values.recheck ? await recheckDone({ ...common, trust: loadTrustStore({ env: io.env, workspaceRoot: ws.root }) }) : await recordDone(common);
    if (json) io.out(JSON.stringify(toJson(outcome, ws, id, io), null, 2));
    else report(outcome, io, say);
    return outcome.exitCode;
  } catch (e) {
    if (!(e instanceof DoneError)) throw e;
    const where = e.location ? `${rel(io, e.location.file)}:${e.location.line}:${e.location.column}: ` : "";
    if (json) {
      io.out(JSON.stringify({ tool: "cto-done", version: VERSION_STRING, issue: id, status: "refused", exit_code: e.exitCode, message: e.message, ...(e.location ? { file: rel(io, e.location.file), line: e.location.line, column: e.location.column } : {}) }, null, 2));
    } else io.err(`${where}error: ${e.message}`);
    return e.exitCode;
  }
}

/** The one workspace that defines the ID (PATH may hold several). */
function pickWorkspace(list: CtoWorkspace[], id: string): CtoWorkspace {
  const defining = list.filter((ws) => ws.definitions(id).length > 0);
  if (defining.length === 1) return defining[0]!;
  if (defining.length > 1) throw new UsageError(`${id} is defined in ${defining.length} workspaces (${defining.map((w) => w.root).join(", ")}): name one as PATH`);
  if (list.length === 1) return list[0]!; // prepareDone says precisely what is missing
  throw new UsageError(`no workspace below defines ${id}: ${list.map((w) => w.root).join(", ")}`);
}

function report(o: DoneOutcome, io: CliIo, say: (l: string) => void): void {
  const r = o.run;
  if (r) {
    if (r.stderr.text.trim()) io.err(r.stderr.text.trimEnd());
    io.err(`validator: ${showArgv(r.argv)} → ${r.spawnError ?? (r.timedOut ? "timed out" : `exit ${r.exitCode}`)} in ${r.durationMs} ms (isolation ${r.isolation}${r.isolationNote ? `: ${r.isolationNote}` : ""}), stdout sha256 ${r.stdout.sha256.slice(0, 16)}… (${r.stdout.bytes} bytes)`);
  }
  if (o.exitCode === DONE_EXIT.recorded) say(o.message);
  else io.err(o.message);
  if (o.file) say(`wrote ${rel(io, o.file)}`);
}

function toJson(o: DoneOutcome, ws: CtoWorkspace, id: string, io: CliIo) {
  const r = o.run;
  return {
    tool: "cto-done",
    version: VERSION_STRING,
    issue: id,
    workspace: rel(io, ws.root),
    status: o.status,
    exit_code: o.exitCode,
    message: o.message,
    file: o.file ? rel(io, o.file) : null,
    commit: o.predicate?.commit ?? o.recheck?.commit ?? r?.repo.head ?? null,
    validator: r
      ? {
          argv: r.argv,
          exit_code: r.exitCode,
          timed_out: r.timedOut,
          spawn_error: r.spawnError ?? null,
          duration_ms: r.durationMs,
          isolation: r.isolation,
          stdout: { sha256: r.stdout.sha256, bytes: r.stdout.bytes, cut_bytes: r.stdout.cut_bytes },
          stderr: { sha256: r.stderr.sha256, bytes: r.stderr.bytes, cut_bytes: r.stderr.cut_bytes },
        }
      : null,
    ...(o.recheck ? { matches: o.recheck.matches, differences: o.recheck.differences } : {}),
  };
}

const rel = (io: CliIo, p: string) => path.relative(io.cwd, p) || ".";
