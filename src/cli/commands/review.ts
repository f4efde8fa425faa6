// `cto review BUNDLE --approve|--reject --by NAME [--email ADDR] [--note TEXT] [--workspace DIR] [--json]`:
// a person's review of a run's patch, signed like a bundle and written beside it
// (<runs>/.reviews/<run_id>/<review_id>.json). Refused inside a harness run's processes.
import { resolve } from "node:path";
import { createReview, findWorkspaceRoot, loadTrustStore, ReviewError, VerifyUsageError } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { workspaceOption } from "../options";
import { HARNESS_VERSION as VERSION } from "../../harness/version";

const HELP = `usage: cto review BUNDLE --approve|--reject --by NAME [--email ADDR] [--note TEXT]
                   [--workspace DIR] [--json]

Records a person's review of the patch in an evidence bundle: the verdict, the
reviewer and a note, naming the bundle's attestation digest, signed with this
machine's harness key, written beside the bundle (never inside it):
<runs folder>/.reviews/<run_id>/<review_id>.json. The bundle must verify first
(stale is allowed). The owned-noncritical-repo gate counts a patch as reviewed by a
person only through such a record (docs/gates.md).

A review comes from a person, never from an engine or a run's own process:
cto review refuses inside a harness run (CTO_RUN_MARKER / CTO_RUN_ID, the
sandbox's user) and a reviewer named as the bundle's engine.

  --approve | --reject   the verdict (exactly one)
  --by NAME              who reviews (required)
  --email ADDR           the reviewer's e-mail
  --note TEXT            why (shown with the gate)
  --workspace DIR        the CTO workspace whose .cto/trusted-keys is trusted
                         (default: the one at or above the current folder)
  --json                 print the record as JSON

Exit: 0 recorded; 1 refused in a run's process, or the review cannot be signed
or written; 2 usage (or a self-review); 3 tampered, 5 unsigned, 6 untrusted: the
bundle does not verify, so it is not reviewed.`;

export default async function review(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      approve: { type: "boolean" },
      reject: { type: "boolean" },
      by: { type: "string" },
      email: { type: "string" },
      note: { type: "string" },
      workspace: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    HELP,
  );
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`exactly one BUNDLE is required\n${HELP}`);
  if (!!v.approve === !!v.reject) throw new UsageError("give exactly one of --approve and --reject");
  if (v.by === undefined) throw new UsageError("--by NAME is required: a review says who made it");
  const bundle = resolve(io.cwd, parsed.positionals[0]!);
  const workspaceRoot = workspaceOption(io, v.workspace) ?? findWorkspaceRoot(io.cwd);
  const trust = loadTrustStore({ env: io.env, ...(workspaceRoot ? { workspaceRoot } : {}), ...(v.workspace === undefined ? { exclude: [bundle] } : {}) });
  let made;
  try {
    made = await createReview(bundle, { verdict: v.approve ? "approve" : "reject", name: v.by, ...(v.email !== undefined ? { email: v.email } : {}), ...(v.note !== undefined ? { note: v.note } : {}), tool: "cto review", env: io.env, trust });
  } catch (e) {
    if (e instanceof VerifyUsageError) throw new UsageError(e.message);
    if (e instanceof ReviewError) {
      io.err(`cto review: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
  const p = made.predicate;
  if (v.json) {
    io.out(JSON.stringify({ tool: "cto-review", version: VERSION, file: made.file, bundle_dir: bundle, bundle_verdict: made.verify.verdict, review: p }, null, 2));
  } else {
    io.out(`${p.verdict === "approve" ? "approved" : "rejected"}: run ${p.run_id} (${p.bundle.engine} on ${p.bundle.task.id}) by ${p.reviewer.name}${p.reviewer.email ? ` <${p.reviewer.email}>` : ""}`);
    io.out(`  attestation sha256:${p.bundle.attestation_sha256}`);
    if (made.verify.verdict === "stale") io.out("  note: the bundle is stale; the gates count it (and this review) only once it is fresh again");
    io.out(`  review: ${made.file}`);
  }
  return 0;
}
