// `cto verify BUNDLE [--repo DIR] [--max-age-days N] [--json]`
// Exit 0 verified; 3 tampered or inconsistent; 4 stale; 2 usage; 1 internal error.
import { verifyBundle, VerifyUsageError, DEFAULT_MAX_AGE_DAYS } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { HARNESS_VERSION as VERSION } from "../../harness/version";
import { resolve } from "node:path";

const HELP = `usage: cto verify BUNDLE [--repo DIR] [--max-age-days N] [--json]

Recomputes every digest of an evidence bundle, checks that SHA256SUMS covers
every file and nothing else, that report.json is bound and consistent, and that
the bundle is fresh (the repo's HEAD and tree are the run's; not too old).

  --repo DIR           repo to check freshness against (default: the run's repo, if reachable)
  --max-age-days N     maximum age (default ${DEFAULT_MAX_AGE_DAYS})
  --json               print the verdict as JSON

Exit: 0 verified; 3 tampered (a file changed, added or missing, or the report is
inconsistent); 4 stale; 2 usage; 1 internal error.`;

export default async function verify(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { repo: { type: "string" }, "max-age-days": { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, HELP);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError(`exactly one BUNDLE is required\n${HELP}`);
  let maxAgeDays: number | undefined;
  if (v["max-age-days"] !== undefined) {
    maxAgeDays = Number(v["max-age-days"]);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) throw new UsageError("--max-age-days must be a number ≥ 0");
  }
  const bundle = resolve(io.cwd, parsed.positionals[0]!);
  let r;
  try {
    r = await verifyBundle(bundle, { repo: v.repo ? resolve(io.cwd, v.repo) : undefined, maxAgeDays });
  } catch (e) {
    if (e instanceof VerifyUsageError) throw new UsageError(e.message);
    io.err(`cto verify: internal error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
  if (v.json) {
    io.out(
      JSON.stringify(
        {
          tool: "cto-verify",
          version: VERSION,
          bundle,
          ok: r.verdict === "verified",
          verdict: r.verdict,
          exit_code: r.exitCode,
          run_id: r.report?.run_id ?? null,
          status: r.report?.status ?? null,
          problems: r.problems,
          notes: r.notes,
          repo_checked: r.repoChecked,
          hashed_bytes: r.hashedBytes,
          duration_ms: Math.round(r.durationMs),
        },
        null,
        2,
      ),
    );
  } else {
    if (r.verdict === "verified") io.out(`verified: ${bundle} (run ${r.report?.run_id}, status ${r.report?.status}, exit ${r.report?.exit_code})`);
    else io.out(`${r.verdict}: ${bundle}`);
    for (const p of r.problems) io.out(`  ${p.kind}: ${p.file ? `${p.file}: ` : ""}${p.message}`);
    for (const n of r.notes) io.out(`  note: ${n}`);
  }
  return r.exitCode;
}
