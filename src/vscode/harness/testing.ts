// Test Explorer: one test item per row of the failure matrix doc; running one runs its fixture
// through the harness and reports the mismatch, linking the run's evidence bundle.
import * as vscode from "vscode";
import type { MatrixExpectation } from "../../harness";
import { describeOutcome, type HarnessService } from "./service";

export class FixtureTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController("ctoFixtures", "CTO Fixture Matrix");
  private readonly rows = new Map<vscode.TestItem, MatrixExpectation>();
  /** The outcome each item got in the last run (what the Test Explorer shows), by row name. */
  readonly lastResults = new Map<string, { state: "passed" | "failed" | "errored" | "skipped"; message?: string }>();
  readonly profile: vscode.TestRunProfile;

  constructor(private readonly harness: HarnessService) {
    this.controller.resolveHandler = async () => void (await this.discover());
    this.controller.refreshHandler = async () => void (await this.discover());
    this.profile = this.controller.createRunProfile("Run fixture", vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token), true);
  }

  /** Reads the matrix doc: each row becomes a test item located on its table line. */
  async discover(): Promise<number> {
    const m = await this.harness.matrixWorkspace();
    this.rows.clear();
    const items: vscode.TestItem[] = [];
    for (const row of m?.rows ?? []) {
      const item = this.controller.createTestItem(row.row, row.row, row.doc ? vscode.Uri.file(row.doc) : undefined);
      item.description = `${row.blocker ?? "—"} · ${row.event} · ${row.status} · exit ${row.exit}`;
      if (row.doc) item.range = new vscode.Range(row.line - 1, 0, row.line - 1, 0);
      this.rows.set(item, row);
      items.push(item);
    }
    this.controller.items.replace(items);
    return items.length;
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    const run = this.controller.createTestRun(request);
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    try {
      if (this.rows.size === 0) await this.discover();
      const items = request.include ?? [...this.rows.keys()];
      const chosen = items.filter((i) => !request.exclude?.includes(i));
      if (!this.harness.requireTrust("running fixtures")) {
        for (const i of chosen) {
          run.skipped(i);
          this.lastResults.set(i.id, { state: "skipped" });
        }
        return;
      }
      for (const i of chosen) run.started(i);
      const byName = new Map(chosen.map((i) => [this.rows.get(i)?.row ?? i.id, i]));
      const outcomes = await this.harness.fixtures([...byName.keys()], (line) => run.appendOutput(line + "\r\n"), abort.signal);
      for (const o of outcomes) {
        const item = byName.get(o.row);
        if (!item) continue;
        const bundle = o.actual.bundleDir ? `\r\nbundle: ${o.actual.bundleDir}\r\n` : "\r\nno bundle\r\n";
        run.appendOutput(`${o.row}: ${describeOutcome(o)}${bundle}`, undefined, item);
        this.lastResults.set(o.row, o.matched ? { state: "passed" } : { state: "failed", message: o.mismatches.join("\n") });
        if (o.matched) run.passed(item, o.durationMs);
        else {
          const msg = new vscode.TestMessage(`${o.mismatches.join("\n")}${o.actual.bundleDir ? `\n\nEvidence bundle: ${o.actual.bundleDir}` : ""}`);
          msg.expectedOutput = `${o.expected.blocker ?? "—"} / ${o.expected.event} / ${o.expected.status} / exit ${o.expected.exit}`;
          msg.actualOutput = `${o.actual.blocker ?? "—"} / ${o.actual.events.includes(o.expected.event) ? o.expected.event : "(event missing)"} / ${o.actual.status} / exit ${o.actual.exit}`;
          if (item.uri && item.range) msg.location = new vscode.Location(item.uri, item.range);
          run.failed(item, msg, o.durationMs);
        }
      }
      for (const [name, item] of byName) if (!outcomes.some((o) => o.row === name)) run.errored(item, new vscode.TestMessage(`row '${name}' did not run (no fixture folder?)`));
    } catch (e) {
      for (const i of request.include ?? [...this.rows.keys()]) run.errored(i, new vscode.TestMessage(e instanceof Error ? e.message : String(e)));
    } finally {
      run.end();
    }
  }

  dispose(): void {
    this.controller.dispose();
  }
}
