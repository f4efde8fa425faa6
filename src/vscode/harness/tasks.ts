// Task type `cto`: validate, run, fixtures, verify, and each CTO-WORK issue's `Validator:` line.
// Every task is a CustomExecution whose Pseudoterminal calls the core directly (one runner
// path) and streams progress; closing the terminal cancels the work.
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import { validateWorkspace } from "../../core";
import { describeSignature } from "../../harness";
import { validateOptions } from "../config";
import type { PlanningModel } from "../model";
import { describeOutcome, type HarnessService } from "./service";

export const TASK_TYPE = "cto";

export interface CtoTaskDefinition extends vscode.TaskDefinition {
  command: "validate" | "run" | "fixtures" | "verify" | "validator";
  engine?: string;
  task?: string;
  bundle?: string;
  rows?: string[];
  issue?: string;
}

type Work = (write: (line: string) => void, signal: AbortSignal) => Promise<number>;

/** A terminal that runs one piece of work and closes with its exit code. */
class WorkTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly abort = new AbortController();

  constructor(private readonly work: Work) {}

  open(): void {
    const write = (line: string) => this.writeEmitter.fire(line.replace(/\r?\n/g, "\r\n") + "\r\n");
    this.work(write, this.abort.signal).then(
      (code) => this.closeEmitter.fire(code),
      (e) => {
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
          if (issue.fields.some((f) => f.key.toLowerCase() === "validator" && f.value.trim())) tasks.push(this.make({ type: TASK_TYPE, command: "validator", issue: issue.id }));
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
    const task = new vscode.Task(def, scope, name, TASK_TYPE, new vscode.CustomExecution(async () => new WorkTerminal(this.work(def))), def.command === "validate" ? ["$cto"] : []);
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
          const r = await this.harness.run(ws, def.engine ?? "fake", taskFile, write, signal);
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

  /** An issue's `Validator:` command: shown to the person first, then run without a shell. */
  private async runValidator(id: string, write: (line: string) => void, signal: AbortSignal): Promise<number> {
    for (const ws of this.model.workspaces()) {
      const def = ws.definitions(id)[0];
      const field = def?.issue.fields.find((f) => f.key.toLowerCase() === "validator");
      if (!def || !field) continue;
      const argv = splitCommand(field.value.replace(/`/g, ""));
      if (argv.length === 0) throw new Error(`${id} has an empty Validator: line`);
      const shown = argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ");
      const ok = await vscode.window.showWarningMessage(
        `Run the validator of ${id}?`,
        { modal: true, detail: `${shown}\n\nin ${ws.root}\n\nThis is the command written on the issue's Validator: line; it runs without a shell.` },
        "Run",
      );
      if (ok !== "Run") {
        write("Not run: the command was not confirmed.");
        return 1;
      }
      write(`$ ${shown}`);
      return new Promise<number>((resolve) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: ws.root, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        const kill = () => {
          try {
            if (child.pid) process.kill(-child.pid, "SIGTERM");
          } catch {
            /* already gone */
          }
        };
        signal.addEventListener("abort", kill);
        child.stdout.on("data", (b: Buffer) => write(b.toString().trimEnd()));
        child.stderr.on("data", (b: Buffer) => write(b.toString().trimEnd()));
        child.on("error", (e) => {
          write(`cannot run ${argv[0]}: ${e.message}`);
          resolve(127);
        });
        child.on("close", (code) => resolve(code ?? 1));
      });
    }
    throw new Error(`${id} has no Validator: line in this workspace`);
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
      return `run ${def.engine ?? "fake"} on ${def.task ?? "?"}`;
    case "verify":
      return def.bundle ? `verify ${path.basename(def.bundle)}` : "verify latest bundle";
    case "validator":
      return `${def.issue} validator`;
  }
}

/** Splits a command line into argv with simple quoting rules (no expansion, no shell). */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? m[3]));
  return out;
}
