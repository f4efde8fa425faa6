// Task type `cto`: validate, run, fixtures, verify, each CTO-WORK issue's `Validator:` line, and
// `done` (an issue's validator run and recorded as its signed done record). Every task is a
// CustomExecution whose Pseudoterminal calls the core directly (one runner path) and streams
// progress; closing the terminal cancels the work. A Validator: line is shown to the person and
// runs only after they confirm — as an argv, never through a shell, in the harness's sandbox.
import * as path from "node:path";
import * as vscode from "vscode";
import { rmSync } from "node:fs";
import { DONE_DIR, isChecked, showArgv, validateWorkspace, validatorCommand, type CtoWorkspace } from "../../core";
import { createSandboxRepo, describeSignature, DoneError, prepareDone, recheckDone, recordDone, runFailure, runValidator, type IsolationRequest, type ValidatorRun } from "../../harness";
import { validateOptions } from "../config";
import type { PlanningModel } from "../model";
import { describeOutcome, type HarnessService } from "./service";

export const TASK_TYPE = "cto";

export interface CtoTaskDefinition extends vscode.TaskDefinition {
  command: "validate" | "run" | "fixtures" | "verify" | "validator" | "done";
  engine?: string;
  task?: string;
  bundle?: string;
  rows?: string[];
  issue?: string;
  /** run: make a throwaway repo from the task's repo first (cto sandbox-repo create), run on it, delete it. */
  sandboxRepo?: boolean;
  /** done: re-run the recorded validator instead of recording (`cto done --recheck`). */
  recheck?: boolean;
}

type Work = (write: (line: string) => void, signal: AbortSignal) => Promise<number>;

/** A terminal that runs one piece of work and closes with its exit code. */
class WorkTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly abort = new AbortController();

  constructor(
    private readonly work: Work,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  open(): void {
    const write = (line: string) => this.writeEmitter.fire(line.replace(/\r?\n/g, "\r\n") + "\r\n");
    this.work(write, this.abort.signal).then(
      (code) => this.closeEmitter.fire(code),
      (e) => {
        this.onError(e);
        write(`error: ${e instanceof Error ? e.message : String(e)}`);
        this.closeEmitter.fire(1);
      },
    );
  }

  close(): void {
    this.abort.abort();
  }
}

export class CtoTaskProvider implements vscode.TaskProvider {
  /** Called after a `done` task wrote (or failed to write) a record: the records are read again. */
  onDoneRecorded: ((ws: CtoWorkspace) => void) | undefined;

  constructor(
    private readonly model: PlanningModel,
    private readonly harness: HarnessService,
  ) {}

  async provideTasks(): Promise<vscode.Task[]> {
    await this.model.whenScanned();
    const tasks: vscode.Task[] = [this.make({ type: TASK_TYPE, command: "validate" }), this.make({ type: TASK_TYPE, command: "fixtures" })];
    for (const ws of this.model.workspaces()) {
      for (const doc of ws.planningDocs()) {
        for (const issue of doc.issues) {
          if (!issue.fields.some((f) => f.key.toLowerCase() === "validator" && f.value.trim())) continue;
          tasks.push(this.make({ type: TASK_TYPE, command: "validator", issue: issue.id }));
          if (isChecked(ws, issue.id)) tasks.push(this.make({ type: TASK_TYPE, command: "done", issue: issue.id }));
        }
      }
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as CtoTaskDefinition;
    return def.command ? this.make(def, task.scope) : undefined;
  }

  make(def: CtoTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder = vscode.TaskScope.Workspace): vscode.Task {
    const name = taskName(def);
    const task = new vscode.Task(def, scope, name, TASK_TYPE, new vscode.CustomExecution(async () => new WorkTerminal(this.work(def), (e) => this.harness.logError(`the task '${name}' failed`, e))), def.command === "validate" ? ["$cto"] : []);
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    if (def.command === "validate") task.group = vscode.TaskGroup.Build;
    if (def.command === "fixtures") task.group = vscode.TaskGroup.Test;
    return task;
  }

  private work(def: CtoTaskDefinition): Work {
    return async (write, signal) => {
      if (def.command !== "validate" && !this.harness.requireTrust(`the ${def.command} task`)) {
        write("Refused: this workspace is not trusted, so nothing is executed. Validation still works.");
        return 1;
      }
      switch (def.command) {
        case "validate":
          return this.validate(write);
        case "fixtures": {
          const outcomes = await this.harness.fixtures(def.rows ?? [], write, signal);
          const bad = outcomes.filter((o) => !o.matched);
          write(`\n${outcomes.length - bad.length}/${outcomes.length} matrix rows match their expectation.`);
          for (const o of bad) write(`  ✘ ${o.row}: ${describeOutcome(o)}`);
          return bad.length === 0 ? 0 : 1;
        }
        case "run": {
          if (!def.task) throw new Error("a `run` task needs `task` (a task file) and `engine`");
          const taskFile = this.resolvePath(def.task);
          const ws = this.model.locate(vscode.Uri.file(taskFile))?.ws ?? this.model.workspaces()[0];
          let sandboxRepo: string | undefined;
          if (def.sandboxRepo) {
            sandboxRepo = createSandboxRepo(taskFile).path;
            write(`a throwaway repo of the task's repo, for this run: ${sandboxRepo} (deleted afterwards)`);
          }
          let r;
          try {
            r = await this.harness.run(ws, def.engine ?? "fake", taskFile, write, signal, sandboxRepo ? { sandboxRepo } : {});
          } finally {
            if (sandboxRepo) rmSync(sandboxRepo, { recursive: true, force: true });
          }
          write(`\n${r.report.status.toUpperCase()} (exit ${r.exitCode})${r.report.blockers.length ? ` — ${r.report.blockers.map((b) => `${b.id}: ${b.reason}`).join("; ")}` : ""}`);
          for (const n of r.notes) write(`note: ${n}`);
          write(r.bundleDir ? `bundle: ${r.bundleDir}` : "no bundle was written");
          return r.exitCode;
        }
        case "verify": {
          const bundle = def.bundle ? this.resolvePath(def.bundle) : this.latestBundle();
          if (!bundle) throw new Error("no evidence bundle to verify");
          const v = await this.harness.verify(bundle);
          write(`${v.verdict}: ${bundle} (${describeSignature(v.signature)})`);
          for (const p of v.problems) write(`  ${p.kind}${p.file ? ` ${p.file}` : ""}: ${p.message}`);
          for (const n of v.notes) write(`  note: ${n}`);
          void this.harness.refreshEvidence();
          return v.exitCode;
        }
        case "validator":
          return this.runValidator(def.issue ?? "", write, signal);
        case "done":
          return this.runDone(def.issue ?? "", def.recheck === true, write, signal);
      }
    };
  }

  /** Prints findings in the CLI's format, so the `$cto` problem matcher reads them. */
  private validate(write: (line: string) => void): number {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
    let errors = 0;
    let count = 0;
    for (const ws of this.model.workspaces()) {
      for (const [file, list] of validateWorkspace(ws, validateOptions(vscode.Uri.file(ws.root), ws))) {
        for (const f of list) {
          count++;
          if (f.severity === "error") errors++;
          write(`${path.relative(folder, path.join(ws.root, file)).split(path.sep).join("/")}:${f.range.line}:${f.range.column}: ${f.severity} ${f.rule} ${f.message}`);
        }
      }
    }
    write(`cto validate: ${errors} error(s), ${count - errors} other finding(s) in ${this.model.workspaces().length} workspace(s)`);
    return errors > 0 ? 1 : 0;
  }

  /** The workspace that defines the issue (several defining it is a refusal, not a guess). */
  private issueWorkspace(id: string): CtoWorkspace {
    const list = this.model.workspaces().filter((ws) => ws.definitions(id).length > 0);
    if (list.length === 0) throw new Error(`${id} is defined in no planning doc of this workspace`);
    if (list.length > 1) throw new Error(`${id} is defined in ${list.length} CTO workspaces (${list.map((w) => w.root).join(", ")})`);
    return list[0]!;
  }

  /** A located refusal, written like the CLI writes it. */
  private refused(e: unknown, write: (line: string) => void): number {
    if (!(e instanceof DoneError)) throw e;
    const where = e.location ? `${vscode.workspace.asRelativePath(e.location.file)}:${e.location.line}:${e.location.column}: ` : "";
    write(`${where}error: ${e.message}`);
    void vscode.window.showErrorMessage(`CTO: ${e.message}`);
    return e.exitCode;
  }

  /** Asks the person before a Validator: line runs; the argv is what they see, exactly. */
  private async confirm(title: string, argv: string[], ws: CtoWorkspace, what: string, action: string): Promise<boolean> {
    const ok = await vscode.window.showWarningMessage(
      title,
      {
        modal: true,
        detail: `${showArgv(argv)}\n\nin ${ws.root}\n\nThis is the command written on the issue's Validator: line. It runs without a shell, in a disposable sandbox copy of the committed tree (no network, an empty home, unprivileged). ${what}`,
      },
      action,
    );
    return ok === action;
  }

  private isolation(): IsolationRequest {
    return (vscode.workspace.getConfiguration("cto").get<string>("harness.isolation") ?? "auto") as IsolationRequest;
  }

  /** An issue's `Validator:` command, shown first, then run in the sandbox on the committed tree; no record. */
  private async runValidator(id: string, write: (line: string) => void, signal: AbortSignal): Promise<number> {
    const ws = this.issueWorkspace(id);
    const def = ws.definitions(id)[0]!;
    const cmd = validatorCommand(def.issue);
    if ("problem" in cmd) return this.refused(new DoneError(cmd.problem.message, 2, { file: path.join(ws.root, def.doc), line: cmd.problem.range.line, column: cmd.problem.range.column }), write);
    if (!(await this.confirm(`Run the validator of ${id}?`, cmd.argv, ws, "Nothing is recorded.", "Run"))) {
      write("Not run: the command was not confirmed.");
      return 1;
    }
    write(`$ ${showArgv(cmd.argv)}`);
    let r: ValidatorRun;
    try {
      r = await runValidator({ wsRoot: ws.root, argv: cmd.argv, isolation: this.isolation(), signal, onStdoutLine: write });
    } catch (e) {
      return this.refused(e, write);
    }
    this.summarize(r, write);
    if (r.repo.dirty.length > 0) write(`note: ${r.repo.dirty.length} uncommitted change(s) were not in the sandbox: it holds the committed tree${r.repo.head ? ` (${r.repo.head.slice(0, 12)})` : ""}`);
    return r.exitCode ?? 1;
  }

  /** `cto done` in the editor: saved doc, confirmed command, then the run and the signed record. */
  private async runDone(id: string, recheck: boolean, write: (line: string) => void, signal: AbortSignal): Promise<number> {
    const ws = this.issueWorkspace(id);
    const def = ws.definitions(id)[0]!;
    const docUri = this.model.uriOf(ws, def.doc);
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === docUri.toString() && d.isDirty)) {
      write(`Refused: ${def.doc} has unsaved changes. Save and commit it: a done record is made on the committed tree.`);
      return 4;
    }
    let argv: string[];
    try {
      argv = prepareDone(ws, id).argv;
    } catch (e) {
      return this.refused(e, write);
    }
    const what = recheck
      ? `It is compared with the done record ${DONE_DIR}/${id}.json, and the result is signed into ${DONE_DIR}/${id}.recheck.json.`
      : `If it exits 0 on a clean worktree, a signed done record is written to ${DONE_DIR}/${id}.json.`;
    if (!(await this.confirm(recheck ? `Re-run the validator of ${id} against its done record?` : `Run the validator of ${id} and record ${id} as done?`, argv, ws, what, recheck ? "Re-run" : "Run and Record"))) {
      write("Not run: the command was not confirmed.");
      return 1;
    }
    write(`$ ${showArgv(argv)}`);
    try {
      const common = { ws, id, isolation: this.isolation(), signal, onStdoutLine: write };
      const o = recheck ? await recheckDone({ ...common, trust: this.harness.trustFor(ws) }) : await recordDone(common);
      if (o.run) this.summarize(o.run, write);
      write(o.message);
      if (o.exitCode === 0) void vscode.window.showInformationMessage(`CTO: ${o.message}`);
      else void vscode.window.showErrorMessage(`CTO: ${o.message}`);
      return o.exitCode;
    } catch (e) {
      return this.refused(e, write);
    } finally {
      this.onDoneRecorded?.(ws);
    }
  }

  private summarize(r: ValidatorRun, write: (line: string) => void): void {
    if (r.stderr.text.trim()) write(r.stderr.text.trimEnd());
    const failure = runFailure(r);
    write(`${failure ?? "exit 0"} · ${r.durationMs} ms · isolation ${r.isolation}${r.isolationNote ? ` (${r.isolationNote})` : ""} · stdout sha256 ${r.stdout.sha256.slice(0, 16)}…`);
  }

  private resolvePath(p: string): string {
    return path.resolve(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "", p);
  }

  private latestBundle(): string | undefined {
    for (const ws of this.model.workspaces()) {
      const e = this.harness.evidenceOf(ws)[0];
      if (e) return e.path;
    }
    return undefined;
  }
}

function taskName(def: CtoTaskDefinition): string {
  switch (def.command) {
    case "validate":
      return "validate planning docs";
    case "fixtures":
      return def.rows?.length ? `fixtures: ${def.rows.join(", ")}` : "run all fixtures";
    case "run":
      return `run ${def.engine ?? "fake"} on ${def.task ?? "?"}${def.sandboxRepo ? " (throwaway repo)" : ""}`;
    case "verify":
      return def.bundle ? `verify ${path.basename(def.bundle)}` : "verify latest bundle";
    case "validator":
      return `${def.issue} validator`;
    case "done":
      return def.recheck ? `${def.issue} done: recheck` : `${def.issue} done`;
  }
}
