// `cto fixtures [NAME...] [--json] [--workspace DIR] [--fixtures DIR] [--out DIR]`:
// runs the failure-matrix rows (in parallel where safe) through the one runner path and
// compares each outcome with the matrix DOC's row. Exit 0 only if every row matches and its
// bundle verifies; 1 otherwise; 2 usage.
import * as path from "node:path";
import { existsSync, statSync } from "node:fs";
import {
  findMatrixWorkspace,
  listFixtureRows,
  loadMatrix,
  MatrixWorkspaceError,
  runFixtures,
  selectRows,
  unmatchedFolders,
  type FixtureOutcome,
} from "../../harness";
import { HARNESS_VERSION as VERSION } from "../../harness/version";
import { UsageError, type CliIo, parseCommandArgs } from "../io";
import { evidenceDirOf, fixturesDirOf, workspaceConfig } from "../workspaceConfig";

const HELP = `usage: cto fixtures [NAME...] [--json] [--workspace DIR] [--fixtures DIR] [--out DIR]

Runs the rows of the failure fixture matrix and compares each outcome (first blocker,
characteristic event, status, exit code) with the row of the matrix planning doc
(record_type: failure-matrix), and verifies each row's evidence bundle.

  NAME               a matrix row ("timeout", "gated engine not enabled") or a fixture
                     folder (timeout, gated-not-enabled); default: every row
  --workspace DIR    the CTO child workspace holding the matrix doc (default: the one at,
                     below or above the current folder)
  --fixtures DIR     the fixture folders (default: .cto/config.yaml fixturesFolder,
                     else the package's fixtures/harness)
  --out DIR          runs folder for the bundles (default: .cto/config.yaml
                     evidenceFolder, else <workspace>/.cto/runs)
  --concurrency N    rows run at once (default: the number of CPUs)
  --json             one JSON object { ok, workspace, matrix_doc, rows: [...] }

Exit: 0 every row matches and its bundle verifies; 1 otherwise (or the matrix doc has
problems); 2 usage.`;

export default async function fixtures(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, {
    json: { type: "boolean", default: false },
    workspace: { type: "string" },
    fixtures: { type: "string" },
    out: { type: "string" },
    concurrency: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, HELP);
  const v = parsed.values;
  if (v.help) {
    io.out(HELP);
    return 0;
  }
  let concurrency: number | undefined;
  if (v.concurrency !== undefined) {
    concurrency = Number(v.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError("--concurrency must be a whole number ≥ 1");
  }
  const start = path.resolve(io.cwd, v.workspace ?? ".");
  if (!existsSync(start) || !statSync(start).isDirectory()) throw new UsageError(`no such folder: ${start}`);
  let ws: { root: string; doc: string };
  try {
    ws = await findMatrixWorkspace(start);
  } catch (e) {
    if (e instanceof MatrixWorkspaceError) throw new UsageError(e.message);
    throw e;
  }
  const config = await workspaceConfig(ws.root, io.cwd);
  const fixturesDir = v.fixtures ? path.resolve(io.cwd, v.fixtures) : fixturesDirOf(ws.root, config);
  if (!existsSync(fixturesDir) || !statSync(fixturesDir).isDirectory()) throw new UsageError(`fixtures folder ${fixturesDir} does not exist`);
  const outDir = v.out ? path.resolve(io.cwd, v.out) : evidenceDirOf(ws.root, config);

  const matrix = await loadMatrix(ws.root);
  const doc = matrix.doc ?? ws.doc;
  const rel = (p: string) => path.relative(io.cwd, p) || ".";
  const folders = listFixtureRows(fixturesDir);
  try {
    selectRows(matrix.rows, folders, parsed.positionals);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // Folders naming no row of the doc are not run: said, so a renamed row is not silently dropped.
  const orphans = unmatchedFolders(fixturesDir, matrix.rows);
  for (const p of matrix.problems) io.err(`${rel(doc)}:${p.line}: ${p.message}`);
  for (const f of orphans) io.err(`cto fixtures: note: ${rel(path.join(f.dir, "expect.yaml"))} names ${f.expect.row ? `row '${f.expect.row}', which the matrix doc does not have` : "no row (row:)"}; not run`);

  const t0 = performance.now();
  let done = 0;
  const total = parsed.positionals.length > 0 ? selectRows(matrix.rows, folders, parsed.positionals).length : matrix.rows.length;
  const outcomes = await runFixtures({
    fixturesDir,
    matrix: matrix.rows,
    names: parsed.positionals,
    outDir,
    env: io.env,
    ...(concurrency ? { concurrency } : {}),
    onProgress: (e) => {
      if (v.json || e.phase !== "finished" || !e.outcome) return;
      io.err(`[${++done}/${total}] ${e.outcome.matched ? "✔" : "✘"} ${e.row} (${(e.outcome.durationMs / 1000).toFixed(1)} s)`);
    },
  });
  const wallMs = performance.now() - t0;
  const matched = outcomes.filter((o) => o.matched).length;
  const ok = matrix.problems.length === 0 && outcomes.length > 0 && matched === outcomes.length;

  if (v.json) {
    io.out(
      JSON.stringify(
        {
          tool: "cto-fixtures",
          version: VERSION,
          ok,
          workspace: ws.root,
          matrix_doc: doc,
          fixtures: fixturesDir,
          out: outDir,
          problems: matrix.problems.map((p) => ({ file: doc, line: p.line, message: p.message })),
          summary: { rows: outcomes.length, matched, mismatched: outcomes.length - matched, duration_ms: Math.round(wallMs) },
          rows: outcomes.map(toJson),
        },
        null,
        2,
      ),
    );
  } else {
    printTable(outcomes, io, rel);
    io.out("");
    io.out(`${ok ? "OK" : "FAILED"}: ${matched}/${outcomes.length} row(s) match the matrix doc with a verified bundle in ${(wallMs / 1000).toFixed(1)} s` + (matrix.problems.length ? `; the matrix doc has ${matrix.problems.length} problem(s)` : ""));
    io.out(`matrix: ${rel(doc)}   bundles: ${rel(outDir)}`);
  }
  return ok ? 0 : 1;
}

const dash = (b: string | null) => b ?? "—";

function printTable(outcomes: FixtureOutcome[], io: CliIo, rel: (p: string) => string): void {
  const rows = outcomes.map((o) => [
    o.row,
    `${dash(o.expected.blocker)} ${o.expected.status} ${o.expected.exit}`,
    o.actual.status === "not run" ? "not run" : `${dash(o.actual.blocker)} ${o.actual.status} ${o.actual.exit}`,
    o.actual.verified ? "yes" : "no",
    o.matched ? "✔" : "✘",
    o.actual.bundleDir ? rel(o.actual.bundleDir) : "—",
  ]);
  const head = ["row", "expected", "actual", "verified", "match", "bundle"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  io.out(line(head));
  outcomes.forEach((o, i) => {
    io.out(line(rows[i]!));
    if (!o.matched) for (const m of o.mismatches) io.out(`    ${m}`);
  });
}

function toJson(o: FixtureOutcome) {
  return {
    row: o.row,
    folder: o.folder,
    expected: { blocker: o.expected.blocker, event: o.expected.event, status: o.expected.status, exit: o.expected.exit, line: o.expected.line },
    actual: {
      blocker: o.actual.blocker,
      status: o.actual.status,
      exit: o.actual.exit,
      events: o.actual.events,
      bundle: o.actual.bundleDir,
      verified: o.actual.verified,
      verify_reason: o.actual.verifyReason ?? null,
    },
    matched: o.matched,
    mismatches: o.mismatches,
    duration_ms: Math.round(o.durationMs),
  };
}
