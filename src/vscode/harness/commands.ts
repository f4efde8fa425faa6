// Palette commands of the harness. Runs are tasks (live output in a terminal; closing it or
// cancelling the notification stops the run); every run goes through the harness core.
import * as path from "node:path";
import * as vscode from "vscode";
import { describeSignature, listEngines } from "../../harness";
import { checkEngines, renderCheck } from "../../harness/engines/check";
import type { PlanningModel } from "../model";
import { openReport } from "./report";
import type { HarnessService } from "./service";
import { type CtoTaskDefinition, CtoTaskProvider, TASK_TYPE } from "./tasks";

export function harnessCommands(model: PlanningModel, harness: HarnessService, tasks: CtoTaskProvider): Record<string, (...args: unknown[]) => unknown> {
  /** Executes a cto task with a cancellable progress notification; resolves to its exit code. */
  const runTask = async (def: CtoTaskDefinition, title: string): Promise<number | undefined> => {
    const execution = await vscode.tasks.executeTask(tasks.make(def));
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) =>
      new Promise<number | undefined>((resolve) => {
        const sub = vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution === execution) {
            sub.dispose();
            resolve(e.exitCode);
          }
        });
        token.onCancellationRequested(() => execution.terminate());
      }),
    );
  };

  const pickBundle = async (arg: unknown, placeHolder: string): Promise<string | undefined> => {
    // "newest" (the walkthrough's Open Report button): the latest bundle, when there is one.
    if (arg === "newest") {
      const newest = model.workspaces().flatMap((ws) => harness.evidenceOf(ws)).sort((a, b) => (a.path < b.path ? 1 : -1))[0];
      if (newest) return newest.path;
      arg = undefined;
    }
    if (typeof arg === "string") return arg;
    if (arg instanceof vscode.Uri) return arg.fsPath;
    if (arg && typeof arg === "object" && "entry" in arg) return (arg as { entry: { path: string } }).entry.path;
    const entries = model.workspaces().flatMap((ws) => harness.evidenceOf(ws));
    const pick = await vscode.window.showQuickPick(
      entries.map((e) => ({ label: `${e.status.toUpperCase()} ${e.fixture ?? e.taskId}`, description: `${e.engine} · ${e.verdict}`, detail: e.path, path: e.path })),
      { placeHolder },
    );
    return pick?.path;
  };

  return {
    /** Quick pick of the matrix rows with their expected outcome. */
    async runFixture(row?: unknown) {
      if (!harness.requireTrust("running fixtures")) return undefined;
      let name = typeof row === "string" ? row : undefined;
      if (!name) {
        const m = await harness.matrixWorkspace();
        if (!m) return void vscode.window.showWarningMessage("CTO: no failure matrix doc (record_type: failure-matrix) in this workspace.");
        const pick = await vscode.window.showQuickPick(
          m.rows.map((r) => ({ label: r.row, description: `${r.blocker ?? "—"} · ${r.event} · ${r.status} · exit ${r.exit}` })),
          { placeHolder: "Run which fixture? (expected: blocker · event · status · exit)" },
        );
        name = pick?.label;
      }
      return name ? runTask({ type: TASK_TYPE, command: "fixtures", rows: [name] }, `CTO: fixture ${name}`) : undefined;
    },
    async runAllFixtures() {
      if (!harness.requireTrust("running fixtures")) return undefined;
      return runTask({ type: TASK_TYPE, command: "fixtures" }, "CTO: running every fixture of the matrix");
    },
    /** Quick picks an engine (gated ones marked) and a task file, then runs it as a task. */
    async runEngine(engineArg?: unknown, taskArg?: unknown) {
      if (!harness.requireTrust("running an engine")) return undefined;
      let engine = typeof engineArg === "string" ? engineArg : undefined;
      if (!engine) {
        const pick = await vscode.window.showQuickPick(
          listEngines().map((e) => ({ label: e.id, description: e.gated ? "gated: needs the setting, admission and eligibility" : "", detail: e.summary })),
          { placeHolder: "Run which engine?" },
        );
        engine = pick?.label;
      }
      if (!engine) return undefined;
      let task = typeof taskArg === "string" ? taskArg : undefined;
      if (!task) {
        const found = await vscode.workspace.findFiles("{**/.cto/tasks/*.yaml,**/*.cto-task.yaml,**/task.yaml}", "**/node_modules/**", 200);
        const fixtureTasks = [harness.fixturesDir()].map((d) => path.join(d, "happy-path", "task.yaml"));
        const pick = await vscode.window.showQuickPick(
          [...found.map((u) => u.fsPath), ...fixtureTasks].map((p) => ({ label: path.basename(path.dirname(p)) + "/" + path.basename(p), detail: p })),
          { placeHolder: `Run ${engine} on which task file?` },
        );
        task = pick?.detail;
      }
      return task ? runTask({ type: TASK_TYPE, command: "run", engine, task }, `CTO: ${engine} on ${path.basename(path.dirname(task))}`) : undefined;
    },
    async verifyBundle(arg?: unknown) {
      const bundle = await pickBundle(arg, "Verify which evidence bundle?");
      if (!bundle) return undefined;
      const v = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CTO: verifying ${path.basename(bundle)}` }, () => harness.verify(bundle));
      const first = v.problems[0];
      const text = v.verdict === "verified" ? `CTO: ${path.basename(bundle)} verified, ${describeSignature(v.signature)}.` : `CTO: ${path.basename(bundle)} is ${v.verdict} (${describeSignature(v.signature)}): ${first?.file ? `${first.file}: ` : ""}${first?.message ?? ""}`;
      if (v.verdict === "verified") void vscode.window.showInformationMessage(text);
      else void vscode.window.showErrorMessage(text);
      void harness.refreshEvidence();
      return v.verdict;
    },
    async openReport(arg?: unknown) {
      const bundle = await pickBundle(arg, "Open the report of which evidence bundle?");
      if (bundle) await openReport(bundle);
      return bundle;
    },
    refreshRuns: () => harness.refreshEvidence(),
    /** CTO: Check Engines — what `cto engines` prints, in a read-only document; resolves to the checks. */
    async checkEngines() {
      if (!harness.requireTrust("checking engines (it runs each CLI's version flag)")) return undefined;
      const root = model.workspaces()[0]?.root ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
      const cfg = vscode.workspace.getConfiguration("cto");
      const checks = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "CTO: checking engines" }, () =>
        checkEngines({
          cwd: root,
          enableGated: cfg.get<string[]>("harness.enabledGatedEngines") ?? [],
          isolation: cfg.get<string>("harness.isolation") as "auto" | "required" | "none" | undefined,
        }),
      );
      const text = ["# CTO: engines on this machine", "", "```text", ...checks.map(renderCheck), "```", "", "Same as `cto engines` (`--json` for CI). See docs/engines.md.", ""].join("\n");
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: text, language: "markdown" }), { preview: true });
      return checks;
    },
  };
}
