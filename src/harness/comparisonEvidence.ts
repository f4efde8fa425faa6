// The comparisons for the gates (candidate-default), read whenever the gates are: each
// comparison folder's own signature is checked (comparisonFile.ts), and every bundle the deciding
// comparison names is found, verified now — against the task's repo as the task file names it
// NOW, so a task whose repo moved on makes its bundles stale — and matched to the digest the
// comparison signed and the cell it stands for. Nothing is cached between reads.
//
// Only the comparison that can decide is re-verified in full: per set of task files, the newest
// intact comparison holding every compared engine (the core picks the same one); the others are
// returned with their signature state and no cells.
import { existsSync, lstatSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { COMPARED_ENGINES, type ComparisonCellEvidence, type ComparisonEvidence, type EvidenceBundle } from "../core";
import { bundleDigest, checkComparison, comparisonFolders, type ComparisonCell, type ComparisonCheck } from "./comparisonFile";
import { loadTrustStore, type TrustStore } from "./keys";
import { loadTask } from "./task";
import { verifyBundle, type RepoState, type VerifyResult } from "./verify";

export interface ReadComparisonsOptions {
  /** The workspace root: a comparison's task paths are relative to it. */
  root: string;
  /** The keys whose signatures count (default: the local key only). */
  trust?: TrustStore;
  /** Maximum bundle age for `fresh` (verifyBundle's default when absent). */
  maxAgeDays?: number;
  /** Also looked in for a named bundle, by run id (default `<root>/.cto/runs`). */
  runsDir?: string;
  /** Bundles verified at once (default 8). */
  concurrency?: number;
}

/** The comparisons under `dir` (a folder of comparison folders, or one comparison folder). */
export async function readComparisons(dir: string, o: ReadComparisonsOptions): Promise<ComparisonEvidence[]> {
  const trust = o.trust ?? loadTrustStore();
  const checks = await Promise.all(comparisonFolders(dir).map((f) => checkComparison(f, trust)));
  // The comparisons that can decide: per set of task files, the newest intact one with every compared engine.
  const deciding = new Map<string, ComparisonCheck>();
  for (const c of checks) {
    const cmp = c.comparison;
    if (!cmp || !COMPARED_ENGINES.every((e) => cmp.engines.includes(e))) continue;
    const key = cmp.tasks.map((t) => t.path).sort().join("\0");
    const have = deciding.get(key)?.comparison;
    if (!have || Date.parse(cmp.generated_at) > Date.parse(have.generated_at) || (cmp.generated_at === have.generated_at && c.dir > deciding.get(key)!.dir)) deciding.set(key, c);
  }
  const repoStates = new Map<string, Promise<RepoState>>();
  const out: ComparisonEvidence[] = [];
  for (const c of checks) {
    const base: ComparisonEvidence = { path: c.dir, signature: c.signature, ...(c.signer ? { signer: c.signer } : {}), problems: c.problems, engines: [], tasks: [], cells: [] };
    const cmp = c.comparison;
    if (!cmp) {
      out.push(base);
      continue;
    }
    const tasks = cmp.tasks.map((t) => {
      const abs = isAbsolute(t.path) ? t.path : join(o.root, ...t.path.split("/"));
      if (!isAbsolute(t.path) && t.path.split("/").includes("..")) return { id: t.id, path: t.path, sha256: t.sha256, current: null, problem: "names a task file outside the workspace", repo: undefined };
      try {
        const now = loadTask(abs);
        return { id: t.id, path: t.path, sha256: t.sha256, current: now.sha256, repo: now.repo as string | undefined };
      } catch (e) {
        return { id: t.id, path: t.path, sha256: t.sha256, current: null, problem: (e as Error).message.split("\n")[0] ?? "cannot be read", repo: undefined };
      }
    });
    const ev: ComparisonEvidence = { ...base, generatedAt: cmp.generated_at, engines: cmp.engines, tasks: tasks.map(({ repo: _repo, ...t }) => t), cells: [] };
    if ([...deciding.values()].includes(c)) {
      const cells = cmp.cells;
      const result: ComparisonCellEvidence[] = new Array(cells.length);
      let next = 0;
      const worker = async () => {
        while (next < cells.length) {
          const i = next++;
          const cell = cells[i]!;
          const task = tasks.find((t) => t.path === cell.task_path);
          result[i] = await cellEvidence(c.dir, cell, task, { ...o, trust, repoStates });
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, cells.length) }, worker));
      ev.cells = result;
    } else {
      // Superseded (or missing an engine): its outcomes, without re-verifying bundles that cannot decide.
      ev.cells = cmp.cells.map((x) => ({ engine: x.engine, taskId: x.task, taskPath: x.task_path, status: x.status, blockers: x.blockers, problem: "not re-verified: a newer comparison over the same tasks decides" }));
    }
    out.push(ev);
  }
  return out;
}

async function cellEvidence(
  dir: string,
  cell: ComparisonCell,
  task: { sha256: string; repo: string | undefined } | undefined,
  o: ReadComparisonsOptions & { trust: TrustStore; repoStates: Map<string, Promise<RepoState>> },
): Promise<ComparisonCellEvidence> {
  const base: ComparisonCellEvidence = { engine: cell.engine, taskId: cell.task, taskPath: cell.task_path, status: cell.status, blockers: cell.blockers };
  if (!cell.bundle && !cell.run_id) return cell.error ? { ...base, problem: `names no bundle: the run could not start (${cell.error})` } : base;
  const places = [cell.bundle ? resolve(dir, cell.bundle) : undefined, cell.run_id ? join(o.runsDir ?? join(o.root, ".cto", "runs"), cell.run_id) : undefined].filter((p): p is string => !!p);
  const at = places.find((p) => existsSync(p) && lstatSync(p).isDirectory());
  if (!at) return { ...base, problem: `bundle ${cell.run_id ?? cell.bundle} not found (looked in ${places.join(", ")})` };
  let v: VerifyResult;
  try {
    v = await verifyBundle(at, { trust: o.trust, repoStates: o.repoStates, ...(task?.repo && existsSync(task.repo) ? { repo: task.repo } : {}), ...(o.maxAgeDays !== undefined ? { maxAgeDays: o.maxAgeDays } : {}) });
  } catch (e) {
    return { ...base, problem: `bundle ${at} cannot be verified: ${(e as Error).message}` };
  }
  const bundle = bundleOf(at, v);
  const first = v.problems[0];
  const withBundle: ComparisonCellEvidence = { ...base, bundle, ...(first ? { verifyReason: `${first.file ? `${first.file}: ` : ""}${first.message}` } : {}) };
  const r = v.report;
  // The digest first: a bundle that is not the one signed for says nothing about this cell.
  const digest = await bundleDigest(at).catch(() => null);
  if (!cell.bundle_digest) return { ...withBundle, problem: "the comparison names this bundle without a digest (it was not signed when compared)" };
  if (digest !== cell.bundle_digest) return { ...withBundle, problem: `not the bundle the comparison signed for (its attestation's sha256 is ${digest ? digest.slice(7, 19) + "…" : "absent"}, the comparison names ${cell.bundle_digest.slice(7, 19)}…)` };
  if (r) {
    const diff: string[] = [];
    if (r.run_id !== cell.run_id) diff.push(`run ${r.run_id}`);
    if (r.engine.id !== cell.engine) diff.push(`engine ${r.engine.id}`);
    if (r.task.id !== cell.task) diff.push(`task ${r.task.id}`);
    if (task && r.task.sha256 !== task.sha256) diff.push("another version of the task file");
    if (r.status !== cell.status || r.blockers.map((b) => b.id).join() !== cell.blockers.join()) diff.push(`outcome ${r.status}${r.blockers[0] ? ` ${r.blockers[0].id}` : ""}`);
    if (diff.length) return { ...withBundle, problem: `the bundle's report does not fit the cell: ${diff.join(", ")}` };
  }
  return withBundle;
}

/** What the gates need of a verified bundle (as evidence.ts reads it). */
function bundleOf(path: string, v: VerifyResult): EvidenceBundle {
  const r = v.report;
  const intact = v.verdict === "verified" || v.verdict === "stale";
  return {
    runId: r?.run_id ?? "",
    path,
    engine: r?.engine.id ?? "",
    taskId: r?.task.id ?? "",
    status: r?.status ?? "error",
    blockers: r?.blockers.map((b) => b.id) ?? [],
    verified: intact,
    fresh: v.verdict === "verified",
    ...(intact && v.signature.state === "trusted" && v.signature.name ? { signer: v.signature.name } : {}),
    signature: v.signature.state,
    isolation: r?.isolation ?? "none",
    gated: r?.engine.gated === true,
  };
}
