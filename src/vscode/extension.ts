// Activation: build the features, register them, start the first scan off the activation path.
import * as vscode from "vscode";
import { QuickFixProvider } from "./codeActions";
import { DriftHover } from "./driftHover";
import { registerCommands } from "./commands";
import { DiagnosticsFeature } from "./diagnostics";
import { harnessCommands } from "./harness/commands";
import { gateCommands } from "./harness/gateCommands";
import { doneCommands, DoneRecords } from "./harness/done";
import { ARTIFACT_SCHEME, ArtifactContent, REPORT_SCHEME, ReportContent } from "./harness/report";
import { RunsView } from "./harness/runsView";
import { HarnessService } from "./harness/service";
import { CtoTaskProvider, TASK_TYPE } from "./harness/tasks";
import { FixtureTests } from "./harness/testing";
import { Log } from "./log";
import { PlanningModel } from "./model";
import { IdNavigation, IssueSymbols } from "./navigation";
import { StatusBar } from "./statusBar";
import { GatesView } from "./views/gatesView";
import { IssuesView } from "./views/issuesView";

export interface Features {
  log: Log;
  model: PlanningModel;
  diagnostics: DiagnosticsFeature;
  issues: IssuesView;
  gates: GatesView;
  harness: HarnessService;
  runs: RunsView;
  tests: FixtureTests;
  tasks: CtoTaskProvider;
  done: DoneRecords;
}

/** What tests (and other extensions) can reach. */
export interface CtoApi {
  /** Resolves when the first scan and validation finished. */
  ready: Promise<void>;
  /** Milliseconds spent inside activate(). */
  activationMs: number;
  features: Features;
}

const PLANNING_FILES: vscode.DocumentSelector = [
  { scheme: "file", language: "markdown" },
  { scheme: "file", pattern: "**/WORKBOARD.yaml" },
];

export function activate(context: vscode.ExtensionContext): CtoApi {
  const started = performance.now();
  const log = new Log();
  try {
    const model = new PlanningModel(log);
    const diagnostics = new DiagnosticsFeature(model, log);
    const issues = new IssuesView(model, diagnostics, context.workspaceState);
    const harness = new HarnessService(context, model, log);
    const gates = new GatesView(model, vscode.Uri.joinPath(context.extensionUri, "media"), (ws) => harness.evidenceOf(ws), (ws) => harness.gateInputs(ws));
    const runs = new RunsView(model, harness);
    const tests = new FixtureTests(harness);
    const tasks = new CtoTaskProvider(model, harness);
    // Done records attach to each workspace as it loads (model.decorate), before the first validation.
    const done = new DoneRecords(model, harness, log);
    tasks.onDoneRecorded = (ws) => done.refresh(model.workspaces().find((w) => w.root === ws.root) ?? ws);
    const features: Features = { log, model, diagnostics, issues, gates, harness, runs, tests, tasks, done };
    const navigation = new IdNavigation(model);
    context.subscriptions.push(
      log,
      model,
      diagnostics,
      issues,
      gates,
      harness,
      runs,
      tests,
      done,
      harness.onDidChangeEvidence(() => gates.refresh()),
      new StatusBar(diagnostics, gates),
      vscode.tasks.registerTaskProvider(TASK_TYPE, tasks),
      vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, new ReportContent((dir) => harness.verify(dir))),
      vscode.workspace.registerTextDocumentContentProvider(ARTIFACT_SCHEME, new ArtifactContent()),
      // Register providers
      vscode.languages.registerCodeActionsProvider(PLANNING_FILES, new QuickFixProvider(diagnostics, model), {
        providedCodeActionKinds: QuickFixProvider.providedCodeActionKinds,
      }),
      vscode.languages.registerHoverProvider(PLANNING_FILES, navigation),
      vscode.languages.registerHoverProvider(PLANNING_FILES, new DriftHover(diagnostics)),
      vscode.languages.registerDefinitionProvider(PLANNING_FILES, navigation),
      vscode.languages.registerReferenceProvider(PLANNING_FILES, navigation),
      vscode.languages.registerDocumentSymbolProvider({ scheme: "file", language: "markdown" }, new IssueSymbols(model), { label: "CTO-WORK issues" }),
      // Register commands
      ...registerCommands(features, { ...harnessCommands(model, harness, tasks), ...gateCommands(model, harness, tasks, () => gates), ...doneCommands(model, harness, tasks) }),
    );
    // The first scan reads files: keep it off the activation path.
    const ready = new Promise<void>((resolve) =>
      setTimeout(() => void model.scan().then(() => harness.refreshEvidence()).then(resolve, resolve), 0),
    );
    const activationMs = performance.now() - started;
    log.info(`activated in ${activationMs.toFixed(1)} ms`);
    return { ready, activationMs, features };
  } catch (e) {
    // VS Code does not show a notification when activation throws; do it ourselves.
    log.error("activation failed", e);
    void vscode.window.showErrorMessage(`CTO Workbench failed to activate: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

export function deactivate(): void {}
