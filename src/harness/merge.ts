// `cto compare --merge DIR...`: the comparison built from the bundles the shards of a CI matrix
// wrote (`cto compare --shard K/N`, downloaded as artifacts). The distributed engine is the CI's;
// this only gathers. Every bundle is mapped to its cell by what its signed report says (engine id,
// task id, task file sha256 — never a path, which differs between machines), copied into
// `<out>/runs/` (so the comparison folder holds its own evidence), and verified there: fresh
// against the task's repo on this machine and signed by a trusted key (the local key plus the
// workspace's .cto/trusted-keys, where CI's key is listed). The merge refuses — writing nothing —
// when a bundle does not verify, a cell is missing, or a cell has two bundles: a comparison that
// says "every engine on every task" must not be half true, and a second bundle must never be a
// second chance.
import { createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { basename, dirname, join, resolve } from "node:path";
import { BUNDLE_LIMITS, listBundle, openRegularFile, readRegularFile } from "./bundleFs";
import { buildComparison, comparisonKey, CompareError, fromReport, prepareSet, SHARD_FILE, SHARD_SCHEMA, type CompareOptions } from "./compare";
import { bundleDigest, RUN_ID, writeComparison, type Comparison } from "./comparisonFile";
import { renderComparisonMd } from "./comparisonMd";
import { ARTIFACTS, type Report } from "./contract";
import type { Task } from "./task";
import { verifyBundle, type RepoState } from "./verify";
import { cellKey } from "./shard";

export interface MergeOptions extends Pick<CompareOptions, "engines" | "tasks" | "outDir" | "root" | "taskSet" | "env" | "cwd" | "trust" | "key" | "maxAgeDays"> {
  /** Shard output folders (each holding runs/ and shard.json), or plain folders of bundles. */
  dirs: string[];
  /** Bundles verified at once (default 8). */
  concurrency?: number;
}

export interface MergeResult {
  comparison: Comparison;
  jsonPath: string;
  mdPath: string;
  attestationPath: string;
  /** Bundles found that are no cell of this comparison (ignored), shard.json remarks. */
  notes: string[];
}

interface Found {
  dir: string;
  src: string;
  report: Pick<Report, "run_id" | "engine" | "task">;
}

/** The bundle folders of one shard folder: `DIR/runs/*` when there is a runs folder, else `DIR/*`. */
function bundleFolders(dir: string): string[] {
  const base = existsSync(join(dir, "runs")) && lstatSync(join(dir, "runs")).isDirectory() ? join(dir, "runs") : dir;
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .map((d) => join(base, d.name))
    .filter((d) => existsSync(join(d, ARTIFACTS.report)));
}

/** The shard label shard.json states (unsigned: a hint for messages, never evidence). */
async function shardLabel(dir: string, notes: string[]): Promise<string | null> {
  const f = join(dir, SHARD_FILE);
  if (!existsSync(f)) return null;
  try {
    const j = JSON.parse((await readRegularFile(f, { maxBytes: BUNDLE_LIMITS.maxParsedBytes })).toString("utf8")) as { schema?: unknown; shard?: unknown };
    if (j.schema === SHARD_SCHEMA && typeof j.shard === "string") return j.shard;
  } catch (e) {
    notes.push(`${f}: ${(e as Error).message}`);
  }
  return null;
}

export async function mergeShards(o: MergeOptions): Promise<MergeResult> {
  if (o.dirs.length === 0) throw new CompareError("--merge needs at least one shard folder");
  const set = prepareSet(o);
  const key = comparisonKey({ ...(o.key ? { key: o.key } : {}), env: set.env, outDir: set.outDir });
  const notes: string[] = [];
  const problems: string[] = [];
  const slots = new Map<string, { engine: string; task: Task; found: Found[] }>();
  for (const engine of set.engines) for (const task of set.tasks) slots.set(cellKey({ engine, taskId: task.id, taskSha256: task.sha256 }), { engine, task, found: [] });

  // 1. Find every bundle and the cell its report claims (checked again after verification).
  const shards: { dir: string; shard: string | null; bundles: number }[] = [];
  const labels = new Map<string, string[]>();
  for (const d of o.dirs) {
    const dir = resolve(set.cwd, d);
    if (!existsSync(dir) || !lstatSync(dir).isDirectory()) {
      problems.push(`${d} is not a folder`);
      continue;
    }
    const label = await shardLabel(dir, notes);
    if (label) labels.set(label, [...(labels.get(label) ?? []), d]);
    let count = 0;
    for (const src of bundleFolders(dir)) {
      let report: Found["report"];
      try {
        report = JSON.parse((await readRegularFile(join(src, ARTIFACTS.report), { maxBytes: BUNDLE_LIMITS.maxParsedBytes })).toString("utf8"));
        if (typeof report?.run_id !== "string" || typeof report.engine?.id !== "string" || typeof report.task?.id !== "string" || typeof report.task?.sha256 !== "string") throw new Error("is not a bundle's report");
        // Not verified yet: the run id becomes a folder name below <out>/runs, so it must be one.
        if (!RUN_ID.test(report.run_id)) throw new Error(`names run id ${JSON.stringify(report.run_id.slice(0, 80))}, which is not a run id`);
      } catch (e) {
        problems.push(`${src}: report.json ${(e as Error).message}`);
        continue;
      }
      const slot = slots.get(cellKey({ engine: report.engine.id, taskId: report.task.id, taskSha256: report.task.sha256 }));
      if (!slot) {
        notes.push(`${src}: ${report.engine.id} × ${report.task.id} (task sha256 ${report.task.sha256.slice(0, 12)}…) is no cell of this comparison; ignored`);
        continue;
      }
      slot.found.push({ dir: d, src, report });
      count++;
    }
    shards.push({ dir: basename(dir) || d, shard: label, bundles: count });
  }
  for (const [label, dirs] of labels) if (dirs.length > 1) problems.push(`shard ${label} appears in ${dirs.length} folders (${dirs.join(", ")})`);
  const runIds = new Map<string, string>();
  for (const s of slots.values()) {
    if (s.found.length === 0) problems.push(`missing cell ${s.engine} × ${s.task.id}: no shard folder holds its bundle`);
    else if (s.found.length > 1) problems.push(`duplicated cell ${s.engine} × ${s.task.id}: ${s.found.length} bundles (${s.found.map((f) => f.src).join(", ")}); a merge never chooses between runs`);
    for (const f of s.found) {
      const other = runIds.get(f.report.run_id);
      if (other) problems.push(`run ${f.report.run_id} appears twice (${other}, ${f.src})`);
      runIds.set(f.report.run_id, f.src);
    }
  }
  if (problems.length) throw new CompareError("the shards do not make a comparison", problems);

  // 2. Copy each bundle into the comparison folder and verify the copy (what is kept is what was checked).
  const runsDir = join(set.outDir, "runs");
  mkdirSync(runsDir, { recursive: true });
  const copied: string[] = [];
  const jobs = [...slots.values()].map((s) => ({ ...s, one: s.found[0]! }));
  const results = new Map<string, Awaited<ReturnType<typeof fromReport>>>();
  const repoStates = new Map<string, Promise<RepoState>>();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      const dst = join(runsDir, j.one.report.run_id);
      try {
        if (existsSync(dst)) {
          // A merge into the same folder again: the bundle must be the very same one.
          const [a, b] = await Promise.all([bundleDigest(dst), bundleDigest(j.one.src)]);
          if (!a || a !== b) throw new Error(`${dst} already exists and is another bundle`);
        } else {
          await copyBundle(j.one.src, dst);
          copied.push(dst);
        }
        const v = await verifyBundle(dst, { trust: set.trust, repo: j.task.repo, repoStates, ...(o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {}) });
        const r = v.report;
        if (v.verdict !== "verified" || !r) {
          problems.push(`${j.engine} × ${j.task.id}: bundle ${j.one.src} is ${v.verdict}${v.problems[0] ? `: ${v.problems[0].message}` : ""}`);
          continue;
        }
        if (r.engine.id !== j.engine || r.task.id !== j.task.id || r.task.sha256 !== j.task.sha256) {
          problems.push(`${j.engine} × ${j.task.id}: bundle ${j.one.src} changed while it was merged`);
          continue;
        }
        results.set(`${j.engine}\0${j.task.id}`, await fromReport(j.engine, j.task, set, r, "ran", dst, v.verdict));
      } catch (e) {
        problems.push(`${j.engine} × ${j.task.id}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, o.concurrency ?? 8), jobs.length) }, worker));
  if (problems.length) {
    for (const d of copied) rmSync(d, { recursive: true, force: true });
    throw new CompareError("the shards' bundles do not all verify", problems.sort());
  }

  // 3. The comparison, cells in the order a single run writes them (engines × tasks as given).
  const cells = set.engines.flatMap((e) => set.tasks.map((t) => results.get(`${e}\0${t.id}`)!));
  const comparison = buildComparison(set, cells, o.taskSet ?? null, { kind: "merge", shards });
  const paths = writeComparison(set.outDir, comparison, renderComparisonMd(comparison), key);
  return { comparison, ...paths, notes };
}

const SMALL_FILE = 1024 * 1024;

/** Copies a bundle's regular files (never a link, FIFO or device: such a bundle is refused). */
async function copyBundle(src: string, dst: string): Promise<void> {
  const listing = listBundle(src);
  if (listing.problems.length || listing.odd.length) throw new Error(`${src} is not a plain bundle (${[...listing.problems, ...listing.odd.map((x) => `${x.rel} is ${x.kind}`)].join("; ")})`);
  const tmp = join(dirname(dst), `.tmp-merge-${basename(dst)}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const f of listing.files) {
      const to = join(tmp, ...f.rel.split("/"));
      mkdirSync(dirname(to), { recursive: true });
      const from = join(src, ...f.rel.split("/"));
      if (f.size <= SMALL_FILE) {
        // Most bundle files are small: one read (regular file, the listed one, bounded) and one write.
        writeFileSync(to, await readRegularFile(from, { maxBytes: SMALL_FILE, expect: f }), { flag: "wx", mode: 0o644 });
        continue;
      }
      const { fh, size } = await openRegularFile(from, { maxBytes: BUNDLE_LIMITS.maxFileBytes, expect: f });
      try {
        // Exactly the bytes fstat saw: a file that grows meanwhile is cut, and verification says so.
        await pipeline(fh.createReadStream({ start: 0, end: size - 1, autoClose: false }), createWriteStream(to, { flags: "wx", mode: 0o644 }));
      } finally {
        await fh.close();
      }
    }
    renameSync(tmp, dst);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
