// The evidence bundle (CONTRACT §4). Written into `.tmp-<run_id>` inside the
// runs folder, every file atomically, then the folder is renamed into place:
// a crash leaves no `<run_id>` folder at all, so nothing half-written can claim
// pass. How every byte is bound (so one flipped byte anywhere fails verify):
//   - SHA256SUMS lists every artifact but itself and report.json;
//   - report.json carries freshness.manifest_sha256 = sha256(SHA256SUMS) and
//     `digests` equal to the manifest's entries;
//   - report.md (listed in the manifest) states the "report core" digest: the
//     sha256 of report.json's canonical JSON without `digests` and
//     `manifest_sha256` (the two fields that depend on the manifest);
//   - report.json must be byte-identical to its canonical serialization;
//   - attestation.json (attest.ts) signs all of the above, SHA256SUMS and report.json included.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listBundle } from "./bundleFs";
import { fsyncDir, writeFileAtomic, faultHits, ArtifactWriteError, type Faults } from "./atomic";
import { ARTIFACTS, type Report, blockerRow } from "./contract";
import { sha256Hex } from "./digest";
import type { Span } from "./trace";

export const TMP_PREFIX = ".tmp-";

/** report.json's bytes: what the writer writes and what verify re-derives. */
export function serializeReport(r: Report): string {
  return JSON.stringify(r, null, 2) + "\n";
}

/** Canonical JSON (sorted keys) of the report without the manifest-dependent fields. */
export function reportCore(r: Report): string {
  const copy = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  delete copy.digests;
  delete (copy.freshness as Record<string, unknown>).manifest_sha256;
  return canonical(copy);
}

export function reportCoreSha256(r: Report): string {
  return sha256Hex(reportCore(r));
}

/** JSON with sorted keys (undefined members dropped): equal values, equal text. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export const CORE_LINE = /^Report core: sha256:([0-9a-f]{64})$/m;

/** `sha256sum -c` format: "<hex>  <path>", sorted by path. */
export function formatManifest(entries: Record<string, string>): string {
  return (
    Object.keys(entries)
      .sort()
      .map((p) => `${entries[p]}  ${p}`)
      .join("\n") + "\n"
  );
}

export function parseManifest(text: string): { entries: Map<string, string>; errors: string[] } {
  const entries = new Map<string, string>();
  const errors: string[] = [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((l, i) => {
    const m = /^([0-9a-f]{64}) {2}([^\0\n\\]+)$/.exec(l);
    if (!m) errors.push(`line ${i + 1} is not '<sha256>  <path>'`);
    else if (entries.has(m[2]!)) errors.push(`line ${i + 1} lists ${m[2]} twice`);
    else if (m[2]!.startsWith("/") || m[2]!.split("/").includes("..")) errors.push(`line ${i + 1}: path ${m[2]} leaves the bundle`);
    else entries.set(m[2]!, m[1]!);
  });
  return { entries, errors };
}

/** Every regular file below `dir`, bundle-relative (posix); symlinks and others are reported (bundleFs.ts). */
export function listBundleFiles(dir: string): { files: string[]; odd: string[] } {
  const l = listBundle(dir);
  return { files: l.files.map((f) => f.rel), odd: l.odd.map((o) => o.rel) };
}

export interface TestSummary {
  command: string[] | undefined;
  ran: boolean;
  exit_code: number | null;
  timed_out: boolean;
  duration_ms: number;
  note?: string;
}

/** report.md: a person's read — outcome first, then blockers, files, tests, timings, digests. */
export function renderReportMd(r: Report, x: { tests: TestSummary; spans: Span[]; digests: Record<string, string>; coreSha256: string }): string {
  const L: string[] = [];
  const verdict = r.status.toUpperCase();
  L.push(`# ${verdict}: ${r.task.id} with ${r.engine.id}`, "");
  L.push(`**Outcome:** ${r.status} — exit code ${r.exit_code}${r.blockers.length ? ` (${r.blockers[0]!.id} first of ${r.blockers.length} blocker${r.blockers.length > 1 ? "s" : ""})` : ""}`, "");
  L.push(`- Run: \`${r.run_id}\` from ${r.run_start} to ${r.run_end}`);
  L.push(`- Engine: \`${r.engine.id}\` ${r.engine.version ?? "(version unknown)"}${r.engine.gated ? " — gated" : ""}; exit code ${r.backend_exit_code ?? "—"}`);
  L.push(`- Isolation: ${r.isolation}`);
  L.push(`- Task: \`${r.task.id}\` (${r.task.path}, sha256:${r.task.sha256})`);
  L.push(`- Repo: ${r.task.repo}`, "");
  L.push("## Blockers", "");
  if (!r.blockers.length) L.push("None.");
  for (const b of r.blockers) {
    const row = blockerRow(b.id);
    L.push(`- \`${b.id}\` (${row.status}, exit ${row.exit}): ${b.reason}`);
  }
  L.push("", `## Changed files (${r.changed_files.length})`, "");
  if (!r.changed_files.length) L.push("None.");
  for (const f of r.changed_files) L.push(`- ${f.status}: \`${f.path}\`${f.mode === "120000" ? " (symlink)" : ""}`);
  L.push("", "## Tests", "");
  const t = x.tests;
  if (!t.command) L.push("No test command.");
  else if (!t.ran) L.push(`\`${t.command.join(" ")}\` — not run${t.note ? `: ${t.note}` : ""}.`);
  else L.push(`\`${t.command.join(" ")}\` — ${t.timed_out ? "timed out" : t.exit_code === 0 ? "passed" : `failed (exit ${t.exit_code})`} in ${Math.round(t.duration_ms)} ms. Output: \`${ARTIFACTS.test_log}\`.`);
  L.push("", "## Timings", "", "| phase | ms | status |", "| --- | ---: | --- |");
  for (const s of x.spans) L.push(`| ${s.span} | ${Math.round(s.duration_ms)} | ${s.status} |`);
  L.push("", "## Digests", "", "| artifact | sha256 |", "| --- | --- |");
  for (const p of Object.keys(x.digests).sort()) L.push(`| \`${p}\` | \`${x.digests[p]}\` |`);
  L.push("", "## Freshness", "");
  const f = r.freshness;
  L.push(`- Repo (${f.repo_kind}) head: \`${f.repo_head ?? "—"}\`; base tree \`${f.base_tree ?? "—"}\`; end tree \`${f.end_tree ?? "—"}\``);
  L.push(`- Harness ${f.harness_version}; generated at ${f.generated_at}`);
  L.push("", "Check it with `cto verify` (SHA256SUMS binds every file; report.json is bound by the line below).", "");
  L.push(`Report core: sha256:${x.coreSha256}`);
  return L.join("\n") + "\n";
}

/** Owns the temp bundle folder; records, never throws on, an artifact that cannot be written. */
export class BundleWriter {
  readonly tmpDir: string;
  readonly finalDir: string;
  readonly written = new Set<string>();
  readonly failures: { rel: string; message: string }[] = [];

  constructor(
    readonly runsDir: string,
    readonly runId: string,
    readonly faults: Faults | undefined,
    /** Owner tag ("<pid>.<start>-"): a killed harness's temp folder is recognized as dead and collected. */
    tag = "",
  ) {
    this.tmpDir = join(runsDir, TMP_PREFIX + tag + runId);
    this.finalDir = join(runsDir, runId);
  }

  /** Creates the temp folder (and raw/). Throws ArtifactWriteError when it cannot. */
  init(): void {
    try {
      mkdirSync(join(this.tmpDir, "raw"), { recursive: true });
    } catch (e) {
      throw new ArtifactWriteError(TMP_PREFIX + this.runId, (e as Error).message);
    }
  }

  path(rel: string): string {
    return join(this.tmpDir, ...rel.split("/"));
  }

  /** Where a streamed artifact is written before it is finalized (a dotfile: never listed). */
  partPath(rel: string): string {
    const parts = rel.split("/");
    const name = parts.pop()!;
    return join(this.tmpDir, ...parts, `.${name}.part`);
  }

  write(rel: string, data: Buffer | string): boolean {
    try {
      writeFileAtomic(this.path(rel), data, rel, this.faults);
      this.written.add(rel);
      return true;
    } catch (e) {
      this.failures.push({ rel, message: (e as Error).message });
      return false;
    }
  }

  /** Turns a streamed part file into the artifact (fsync + rename), or records why not. */
  finalizeStream(rel: string, streamError?: Error): boolean {
    const part = this.partPath(rel);
    try {
      if (streamError) throw new ArtifactWriteError(rel, streamError.message);
      if (faultHits(this.faults, rel)) throw new ArtifactWriteError(rel, "injected fault (CTO_FAULT_ARTIFACT_WRITE)");
      if (!existsSync(part)) throw new ArtifactWriteError(rel, "nothing was written");
      const fd = openSync(part, "r+");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(part, this.path(rel));
      this.written.add(rel);
      return true;
    } catch (e) {
      rmSync(part, { force: true });
      this.failures.push({ rel, message: (e as Error).message });
      return false;
    }
  }

  /** Renames the temp folder into place. */
  commit(): void {
    fsyncDir(join(this.tmpDir, "raw"));
    fsyncDir(this.tmpDir);
    if (faultHits(this.faults, "<commit>")) throw new ArtifactWriteError(this.runId, "injected fault (CTO_FAULT_ARTIFACT_WRITE=<commit>)");
    renameSync(this.tmpDir, this.finalDir);
    fsyncDir(this.runsDir);
  }

  discard(): void {
    rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
