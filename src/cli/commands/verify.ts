// `cto verify BUNDLE [--repo DIR] [--max-age-days N] [--workspace DIR] [--trusted-keys FILE]... [--json]`
// Exit 0 verified; 3 tampered or inconsistent (a bad signature included); 4 stale; 5 unsigned;
// 6 signed by a key not trusted here; 2 usage; 1 internal error.
import { resolve } from "node:path";
import { describeSignature, findWorkspaceRoot, loadTrustStore, verifyBundle, VerifyUsageError, DEFAULT_MAX_AGE_DAYS } from "../../harness";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { trustedKeysOption, workspaceOption } from "../options";
import { HARNESS_VERSION as VERSION } from "../../harness/version";

const HELP = `usage: cto verify BUNDLE [--repo DIR] [--max-age-days N] [--workspace DIR]
                   [--trusted-keys FILE]... [--json]

Recomputes every digest of an evidence bundle, checks that SHA256SUMS covers
every file and nothing else, that report.json is bound and consistent, that
attestation.json is a valid signature over all of it by a trusted key, and —
only then — that the bundle is fresh (the repo's HEAD and tree are the run's;
not too old). Only regular files inside the bundle are read, within size limits.

Trusted keys: this machine's signing key, the .cto/trusted-keys file of the CTO
workspace at or above the current folder (or --workspace), and each --trusted-keys
FILE. Never a file that comes with the bundle.

  --repo DIR           repo to check freshness against (default: the run's repo, if reachable)
  --max-age-days N     maximum age (default ${DEFAULT_MAX_AGE_DAYS})
  --workspace DIR      the CTO workspace whose .cto/trusted-keys is trusted
  --trusted-keys FILE  more trusted keys (the format of .cto/trusted-keys); repeatable
  --json               print the verdict as JSON

Exit: 0 verified; 3 tampered (a file changed, added or missing, the report is
inconsistent, or the signature does not verify); 4 stale; 5 unsigned; 6 signed by
a key not trusted here; 2 usage; 1 internal error.`;

export default async function verify(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    args,
    {
      repo: { type: "string" },
      "max-age-days": { type: "string" },
      workspace: { type: "string" },
      "trusted-keys": { type: "string", multiple: true },
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
  let maxAgeDays: number | undefined;
  if (v["max-age-days"] !== undefined) {
    maxAgeDays = Number(v["max-age-days"]);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) throw new UsageError("--max-age-days must be a number ≥ 0");
  }
  const bundle = resolve(io.cwd, parsed.positionals[0]!);
  const workspaceRoot = workspaceOption(io, v.workspace) ?? findWorkspaceRoot(io.cwd);
  const keyFiles = trustedKeysOption(io, v["trusted-keys"]);
  // A workspace found above the cwd may be the bundle itself (cd into a download): never trusted then.
  const trust = loadTrustStore({ env: io.env, ...(workspaceRoot ? { workspaceRoot } : {}), files: keyFiles, ...(v.workspace === undefined ? { exclude: [bundle] } : {}) });
  let r;
  try {
    r = await verifyBundle(bundle, { repo: v.repo ? resolve(io.cwd, v.repo) : undefined, maxAgeDays, trust });
  } catch (e) {
    if (e instanceof VerifyUsageError) throw new UsageError(e.message);
    io.err(`cto verify: internal error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
  const s = r.signature;
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
          signature: { state: s.state, keyid: s.keyid, signer: s.name, trusted_by: s.sources },
          trusted_keys: { count: trust.keys.length, files: trust.files },
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
    const sig = describeSignature(s);
    if (r.verdict === "verified") io.out(`verified: ${bundle} (run ${r.report?.run_id}, status ${r.report?.status}, exit ${r.report?.exit_code}; ${sig})`);
    else io.out(`${r.verdict}: ${bundle} (${sig})`);
    if (s.state === "trusted") io.out(`  signer: ${s.name}, key ${s.keyid}, trusted by ${s.sources.join("; ")}`);
    for (const p of r.problems) io.out(`  ${p.kind}: ${p.file ? `${p.file}: ` : ""}${p.message}`);
    for (const n of r.notes) io.out(`  note: ${n}`);
  }
  return r.exitCode;
}
