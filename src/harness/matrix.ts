// The failure fixture matrix, read from its planning doc (CTO-WORK-007, `record_type:
// failure-matrix`), and run: `cto fixtures`, the VS Code Test Explorer and palette all call
// runFixtures(). A row's expected outcome is the DOC's row; the fixture folder's expect.yaml
// only says how to run it and names the row (`row:`). So the doc and the runs cannot silently
// disagree: change the doc and the row fails until the fixture reproduces it.
import { existsSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
// The planning core's modules, not its index: the harness stays free of the validator's lexicon.
import { discoverWorkspaces, readText } from "../core/load";
import type { PlanningDoc } from "../core/model";
import { nodeFs } from "../core/nodeFs";
import { parseDoc } from "../core/parse";
import { parseFailureMatrix, recordType } from "../core/records";
import type { CtoEvent, RunStatus } from "./contract";
import { listFixtureRows, prepareFixtureRow, type FixtureRow } from "./fixtures";
import { runTask } from "./runner";
import { verifyBundle, type VerifyResult } from "./verify";
import { TMP_PREFIX } from "./bundle";

export interface MatrixExpectation {
  /** The row's name as the doc writes it (the `fixture` column). */
  row: string;
  blocker: string | null;
  event: string;
  status: "pass" | "fail" | "blocked" | "error";
  exit: number;
  /** Absolute path of the matrix doc. */
  doc: string;
  /** 1-based line of the row in the doc. */
  line: number;
}

export interface MatrixProblem {
  message: string;
  line: number;
}

/** The failure-matrix record of the CTO workspace rooted at `workspaceRoot`. Never throws on content. */
export async function loadMatrix(workspaceRoot: string): Promise<{ rows: MatrixExpectation[]; doc?: string; problems: MatrixProblem[] }> {
  const root = resolve(workspaceRoot);
  const docs = await matrixDocs(root);
  if (docs === undefined) return { rows: [], problems: [{ message: `${root} is not a CTO child workspace (no WORKBOARD.yaml)`, line: 1 }] };
  return matrixFromDocs(root, docs);
}

/**
 * The matrix of a workspace from its parsed planning docs: the CLI reads them from disk, the
 * editor passes the docs it already holds (unsaved edits included, no file read).
 */
export function matrixFromDocs(root: string, planningDocs: PlanningDoc[]): { rows: MatrixExpectation[]; doc?: string; problems: MatrixProblem[] } {
  const docs = planningDocs.filter((d) => recordType(d) === "failure-matrix").sort((a, b) => (a.path < b.path ? -1 : 1));
  if (docs.length === 0) return { rows: [], problems: [{ message: `no failure-matrix record (frontmatter record_type: failure-matrix) in ${root}`, line: 1 }] };
  const abs = join(root, ...docs[0]!.path.split("/"));
  if (docs.length > 1) {
    return { rows: [], doc: abs, problems: [{ message: `several failure-matrix records: ${docs.map((d) => d.path).join(", ")}; keep one`, line: 1 }] };
  }
  const parsed = parseFailureMatrix(docs[0]!);
  const rows: MatrixExpectation[] = parsed.rows.map((r) => ({ row: r.fixture, blocker: r.blocker, event: r.event, status: r.status, exit: r.exit, doc: abs, line: r.line }));
  const problems: MatrixProblem[] = parsed.problems.map((p) => ({ message: p.message, line: p.range.line }));
  const seen = new Map<string, number>();
  for (const r of rows) {
    const k = rowKey(r.row);
    const first = seen.get(k);
    if (first !== undefined) problems.push({ message: `row '${r.row}' is also on line ${first}: row names must be unique`, line: r.line });
    else seen.set(k, r.line);
  }
  return { rows, doc: abs, problems };
}

/** Matrix-doc files of one workspace (undefined: not a workspace). */
async function matrixDocs(root: string): Promise<PlanningDoc[] | undefined> {
  const found = (await discoverWorkspaces(root, nodeFs)).find((w) => w.root === root);
  if (!found) return undefined;
  const out: PlanningDoc[] = [];
  await Promise.all(
    found.files
      .filter((f) => f.toLowerCase().endsWith(".md"))
      .sort()
      .map(async (rel) => {
        const abs = join(root, ...rel.split("/"));
        const text = await readText(nodeFs, abs);
        // Cheap test first: only docs that mention the record type are parsed.
        if (text === undefined || !text.includes("failure-matrix")) return;
        const doc = parseDoc(rel, text);
        if (recordType(doc) === "failure-matrix") out.push(doc);
      }),
  );
  return out;
}

export class MatrixWorkspaceError extends Error {}

/**
 * The CTO child workspace at, below or above `cwd` that holds a failure-matrix record.
 * Throws MatrixWorkspaceError when there is none, or several (naming them).
 */
export async function findMatrixWorkspace(cwd: string): Promise<{ root: string; doc: string }> {
  const dir = resolve(cwd);
  const list = await discoverWorkspaces(dir, nodeFs);
  if (list.length === 0) throw new MatrixWorkspaceError(`no CTO child workspace (WORKBOARD.yaml) at, below or above ${dir}`);
  const withMatrix: { root: string; doc: string }[] = [];
  for (const w of list) {
    const docs = await matrixDocs(w.root);
    for (const d of (docs ?? []).sort((a, b) => (a.path < b.path ? -1 : 1))) withMatrix.push({ root: w.root, doc: join(w.root, ...d.path.split("/")) });
  }
  if (withMatrix.length === 0) throw new MatrixWorkspaceError(`no CTO child workspace at, below or above ${dir} holds a failure-matrix record (searched ${list.map((w) => w.root).join(", ")})`);
  if (withMatrix.length > 1) throw new MatrixWorkspaceError(`several failure-matrix records at or below ${dir}: ${withMatrix.map((m) => m.doc).join(", ")}; name one workspace`);
  return withMatrix[0]!;
}

/** Row names compare trimmed, case- and whitespace-insensitively. */
export function rowKey(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Where the product's fixtures are: `<package root>/fixtures/harness`, the package root being
 * the nearest folder above this bundle (dist/cli.js, dist/extension.js, out/test/...) holding
 * our package.json.
 */
export function packageFixturesDir(from = __dirname): string {
  for (let d = resolve(from); ; ) {
    if (existsSync(join(d, "package.json")) && existsSync(join(d, "fixtures", "harness"))) return join(d, "fixtures", "harness");
    const up = resolve(d, "..");
    if (up === d) return resolve(from, "..", "fixtures", "harness");
    d = up;
  }
}

// ---------------------------------------------------------------------------- judging

export interface FixtureOutcome {
  row: string;
  /** The fixture folder (name under fixturesDir) that ran it; "" when none names the row. */
  folder: string;
  expected: MatrixExpectation;
  actual: {
    /** The first blocker raised (report.json `blockers[0]`), null when none. */
    blocker: string | null;
    status: string;
    exit: number;
    /** Event types seen, in order of first appearance. */
    events: string[];
    bundleDir: string | null;
    verified: boolean;
    verifyReason?: string;
  };
  matched: boolean;
  /** One human line per field that differs, e.g. "exit: expected 17, got 1". */
  mismatches: string[];
  durationMs: number;
}

/** What a run or a bundle showed, to judge against a row. */
export interface Observed {
  blocker: string | null;
  status: string;
  exit: number;
  events: string[];
}

/** Mismatch lines for the outcome fields (blocker, characteristic event, status, exit). */
export function compareWithRow(expected: MatrixExpectation, got: Observed): string[] {
  const out: string[] = [];
  if (expected.blocker !== got.blocker) out.push(`blocker: expected ${expected.blocker ?? "none"}, got ${got.blocker ?? "none"}`);
  if (!got.events.includes(expected.event)) out.push(`event: expected ${expected.event}, not seen${got.events.length ? ` (saw ${got.events.join(", ")})` : ""}`);
  if (expected.status !== got.status) out.push(`status: expected ${expected.status}, got ${got.status}`);
  if (expected.exit !== got.exit) out.push(`exit: expected ${expected.exit}, got ${got.exit}`);
  return out;
}

/**
 * Does the evidence a row left behind hold up? For every row: a bundle was written and
 * `verifyBundle` says `verified`. For the artifact-write-failure row (expected blocker
 * `artifact_write_failed`, whose contract is only that nothing on disk claims `pass`): either
 * no bundle was committed and no temp folder of the run holds a report, or the committed
 * bundle verifies and does not claim `pass`.
 */
export function judgeBundle(expected: MatrixExpectation, bundleDir: string | null, v: VerifyResult | undefined, leftover?: { tmpHasReport: boolean }): { verified: boolean; reason?: string } {
  const writeFailureRow = expected.blocker === "artifact_write_failed";
  if (!bundleDir || !v) {
    if (!writeFailureRow) return { verified: false, reason: "no bundle was written" };
    if (leftover?.tmpHasReport) return { verified: false, reason: "no bundle was committed, but its temp folder holds a report.json" };
    return { verified: true, reason: "no bundle was committed (accepted for this row: nothing claims pass)" };
  }
  if (v.verdict !== "verified") {
    const first = v.problems[0];
    return { verified: false, reason: `${v.verdict}${first ? `: ${first.file ? `${first.file}: ` : ""}${first.message}` : ""}` };
  }
  if (writeFailureRow && v.report?.status === "pass") return { verified: false, reason: "the bundle claims pass after an artifact write failure" };
  return { verified: true };
}

// ---------------------------------------------------------------------------- running

export interface RunFixturesOptions {
  fixturesDir: string;
  matrix: MatrixExpectation[];
  /** Row names or fixture folder names; unknown → error. Default: every row. */
  names?: string[];
  outDir: string;
  /** Default os.cpus().length; rows whose run is mostly waiting (timeout) run outside the pool. */
  concurrency?: number;
  /** The caller's environment (default process.env): the CLI's, so `CTO_BWRAP=` and the like apply. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onProgress?: (e: { row: string; phase: "started" | "finished"; outcome?: FixtureOutcome }) => void;
  onEvent?: (row: string, e: CtoEvent) => void;
}

/** Rows of `matrix` selected by row or folder names (throws on an unknown name). */
export function selectRows(matrix: MatrixExpectation[], folders: FixtureRow[], names?: string[]): MatrixExpectation[] {
  if (!names || names.length === 0) return matrix;
  const picked = new Set<MatrixExpectation>();
  const unknown: string[] = [];
  for (const n of names) {
    const byRow = matrix.find((m) => rowKey(m.row) === rowKey(n));
    const folder = folders.find((f) => f.name === n.trim());
    const byFolder = folder?.expect.row ? matrix.find((m) => rowKey(m.row) === rowKey(folder.expect.row!)) : undefined;
    const hit = byRow ?? byFolder;
    if (hit) picked.add(hit);
    else unknown.push(n);
  }
  if (unknown.length > 0) {
    throw new Error(`unknown fixture ${unknown.map((u) => `'${u}'`).join(", ")}: name a matrix row (${matrix.map((m) => `'${m.row}'`).join(", ")}) or a fixture folder`);
  }
  return matrix.filter((m) => picked.has(m));
}

/** The fixture folder (by its expect.yaml `row:`) of each matrix row. */
export function folderOfRow(folders: FixtureRow[], row: string): FixtureRow | undefined {
  return folders.find((f) => f.expect.row !== null && rowKey(f.expect.row) === rowKey(row));
}

/**
 * Runs matrix rows through runTask (the one runner path), each into its own run_id folder
 * under outDir, compares each outcome with the doc's row and verifies its bundle. Outcomes
 * come back in matrix order. A row with no fixture folder, a run that throws, or a row not
 * started before `signal` aborted is an outcome that does not match (with the reason).
 */
export async function runFixtures(opts: RunFixturesOptions): Promise<FixtureOutcome[]> {
  const folders = listFixtureRows(opts.fixturesDir);
  const rows = selectRows(opts.matrix, folders, opts.names);
  const limit = Math.max(1, opts.concurrency ?? cpus().length);
  const outcomes = new Map<MatrixExpectation, FixtureOutcome>();

  const runOne = async (expected: MatrixExpectation): Promise<void> => {
    const folder = folderOfRow(folders, expected.row);
    opts.onProgress?.({ row: expected.row, phase: "started" });
    const outcome = opts.signal?.aborted ? notRun(expected, folder?.name ?? "", "cancelled before it ran") : folder ? await runRow(expected, folder, opts) : notRun(expected, "", `no fixture folder in ${opts.fixturesDir} names this row (expect.yaml row: "${expected.row}")`);
    outcomes.set(expected, outcome);
    opts.onProgress?.({ row: expected.row, phase: "finished", outcome });
  };

  // A timeout row spends its time waiting for the clock, not a CPU: it runs beside the pool.
  const waiting = rows.filter((r) => r.blocker === "timeout");
  const pooled = rows.filter((r) => r.blocker !== "timeout");
  let next = 0;
  const worker = async () => {
    while (next < pooled.length) await runOne(pooled[next++]!);
  };
  await Promise.all([...waiting.map(runOne), ...Array.from({ length: Math.min(limit, pooled.length) }, worker)]);
  return rows.map((r) => outcomes.get(r)!);
}

function notRun(expected: MatrixExpectation, folder: string, why: string): FixtureOutcome {
  return {
    row: expected.row,
    folder,
    expected,
    actual: { blocker: null, status: "not run", exit: -1, events: [], bundleDir: null, verified: false, verifyReason: why },
    matched: false,
    mismatches: [why],
    durationMs: 0,
  };
}

async function runRow(expected: MatrixExpectation, folder: FixtureRow, opts: RunFixturesOptions): Promise<FixtureOutcome> {
  const t0 = performance.now();
  let prep;
  try {
    prep = prepareFixtureRow(folder);
  } catch (e) {
    return { ...notRun(expected, folder.name, `setup failed: ${(e as Error).message}`), durationMs: performance.now() - t0 };
  }
  try {
    const outDir = resolve(opts.outDir);
    let result;
    try {
      result = await runTask(
        { ...prep.options, outDir, env: { ...(opts.env ?? process.env), ...prep.env } },
        { ...(opts.onEvent ? { onEvent: (e: CtoEvent) => opts.onEvent!(expected.row, e) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
      );
    } catch (e) {
      const failed = notRun(expected, folder.name, `the run failed before a bundle existed: ${(e as Error).message.split("\n")[0]}`);
      return { ...failed, actual: { ...failed.actual, status: "error", exit: 1 }, durationMs: performance.now() - t0 };
    }
    const r = result.report;
    const events: string[] = [];
    for (const e of result.events) if (!events.includes(e.type)) events.push(e.type);
    const observed: Observed = { blocker: r.blockers[0]?.id ?? null, status: r.status, exit: result.exitCode, events };
    const v = result.bundleDir ? await verifyBundle(result.bundleDir) : undefined;
    const leftover = result.bundleDir ? undefined : { tmpHasReport: existsSync(join(outDir, TMP_PREFIX + r.run_id, "report.json")) };
    const judged = judgeBundle(expected, result.bundleDir, v, leftover);
    const mismatches = compareWithRow(expected, observed);
    if (!judged.verified) mismatches.push(`bundle: ${judged.reason}`);
    return {
      row: expected.row,
      folder: folder.name,
      expected,
      actual: { ...observed, status: observed.status as RunStatus, bundleDir: result.bundleDir, verified: judged.verified, ...(judged.reason ? { verifyReason: judged.reason } : {}) },
      matched: mismatches.length === 0,
      mismatches,
      durationMs: performance.now() - t0,
    };
  } finally {
    prep.cleanup();
  }
}

/** Fixture folders under `fixturesDir` whose expect.yaml names no row of the matrix. */
export function unmatchedFolders(fixturesDir: string, matrix: MatrixExpectation[]): FixtureRow[] {
  if (!existsSync(fixturesDir) || !statSync(fixturesDir).isDirectory()) return [];
  return listFixtureRows(fixturesDir).filter((f) => !f.expect.row || !matrix.some((m) => rowKey(m.row) === rowKey(f.expect.row!)));
}

