// comparison.md: the comparison for people — the summary per engine, the engine × task grid
// (status and first blocker), then every cell with its bundle and the digest the signature names.
import type { Comparison } from "./comparisonFile";

export function renderComparisonMd(c: Comparison): string {
  const L: string[] = [];
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  L.push("# Engine comparison", "");
  const origin = c.origin.kind === "merge" ? ` Merged from ${c.origin.shards.length} shard folder(s): ${c.origin.shards.map((s) => `\`${esc(s.dir)}\`${s.shard ? ` (shard ${s.shard})` : ""}`).join(", ")}.` : "";
  L.push(`Generated ${c.generated_at} by the CTO harness ${c.harness_version}.${c.task_set ? ` Task set: \`${esc(c.task_set.record)}\` (gate \`${c.task_set.gate}\`).` : ""} Engines: ${c.engines.map((e) => `\`${e}\``).join(", ")}; tasks: ${c.tasks.map((t) => `\`${esc(t.id)}\``).join(", ")}.${origin}`, "");
  L.push("Signed with the harness's key (attestation.json), naming every bundle by the sha256 of its own attestation. A pass counts only with a fresh, verified bundle, and whoever reads this comparison verifies every bundle again. An engine that cannot run here is listed as unavailable with the blocker that refused it.", "");
  L.push("## Summary", "");
  L.push("| engine | available | passed | pass rate | verified bundles | blockers by kind | changed files | duration (total / median) |");
  L.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const s of c.summary) {
    const kinds = Object.entries(s.blockers_by_kind).map(([k, n]) => `${k} ×${n}`).join(", ") || "—";
    const avail = s.available ? (s.unavailable_blockers.length ? `partly (${s.unavailable_blockers.join(", ")})` : "yes") : `no (${s.unavailable_blockers.join(", ") || "—"})`;
    L.push(`| \`${s.engine}\` | ${avail} | ${s.passed}/${s.tasks} | ${(s.pass_rate * 100).toFixed(0)}% | ${s.verified}/${s.tasks} | ${kinds} | ${s.changed_files} | ${fmtMs(s.duration_ms_total)} / ${fmtMs(s.duration_ms_median)} |`);
  }
  L.push("", "## Per task", "");
  L.push(`| task | ${c.engines.map((e) => `\`${e}\``).join(" | ")} |`);
  L.push(`| --- | ${c.engines.map(() => "---").join(" | ")} |`);
  for (const t of c.tasks) {
    const cells = c.engines.map((e) => {
      const cell = c.cells.find((x) => x.engine === e && x.task_path === t.path);
      if (!cell) return "—";
      if (cell.source === "error") return `error: ${esc(cell.error ?? "")}`;
      if (!cell.available) return `unavailable (\`${cell.unavailable_blocker}\`)`;
      const b = cell.blockers.length ? ` \`${cell.blockers[0]}\`` : "";
      return `${cell.status}${b}, exit ${cell.exit_code}, ${cell.verdict}`;
    });
    L.push(`| \`${esc(t.id)}\` | ${cells.join(" | ")} |`);
  }
  L.push("", "## Runs", "");
  L.push("| engine | task | source | status | exit | verdict | isolation | changed files | duration | bundle | attestation digest |");
  L.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const x of c.cells) {
    const files = x.changed_files.length ? x.changed_files.map((f) => `\`${esc(f)}\``).join(", ") : "—";
    L.push(`| \`${x.engine}\` | \`${esc(x.task)}\` | ${x.source} | ${x.status} | ${x.exit_code} | ${x.verdict} | ${x.isolation} | ${files} | ${fmtMs(x.duration_ms)} | ${x.bundle ? `\`${esc(x.bundle)}\`` : "—"} | ${x.bundle_digest ? `\`${x.bundle_digest.slice(0, 23)}…\`` : "—"} |`);
  }
  L.push("");
  return L.join("\n");
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
