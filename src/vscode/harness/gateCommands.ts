// Commands of the Stage Gates view (issue 12): "Run What Is Missing" runs what an open gate lacks
// (src/core/gateView.ts missingWork) through the one harness path, as `cto` tasks: the matrix rows
// no bundle reproduces (gates 1–2, one `fixtures` task), or, one after the other, case on every task
// no bundle counts for (gates 3–5; on a throwaway repo for disposable-sandbox-repo) — and
// "Review Patch…" records a person's review.
import * as vscode from "vscode";
import { missingWork, type GateState, type MissingWork, type TaskProgress } from "../../core";
import type { PlanningModel } from "../model";
import type { GatesElement, GatesView } from "../views/gatesView";
import { reviewPatch } from "./reviewPatch";
import type { HarnessService } from "./service";
import { type CtoTaskDefinition, type CtoTaskProvider, TASK_TYPE } from "./tasks";

/** The `cto` run task of case on one task (a throwaway repo for disposable-sandbox-repo). */
const runOf = (t: TaskProgress): CtoTaskDefinition => ({ type: TASK_TYPE, command: "run", engine: "case", task: t.file, ...(t.sandboxRepo ? { sandboxRepo: true } : {}) });

export function gateCommands(model: PlanningModel, harness: HarnessService, tasks: CtoTaskProvider, gates: () => GatesView): Record<string, (...args: unknown[]) => unknown> {
  /** Runs one task definition as a VS Code task and resolves with its exit code. */
  const execute = async (def: CtoTaskDefinition): Promise<number | undefined> => {
    const t = tasks.make(def);
    const ended = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name === t.name) {
          sub.dispose();
          resolve(e.exitCode);
        }
      });
    });
    await vscode.tasks.executeTask(t);
    return ended;
  };

  /** The gate an argument names: a view element, or a gate id (first workspace). */
  const gateOf = (arg: unknown): { gate: GateState; only?: TaskProgress } | undefined => {
    const el = arg as GatesElement | undefined;
    if (el && typeof el === "object" && "kind" in el) {
      if (el.kind === "gate") return { gate: el.gate };
      if (el.kind === "task") return { gate: el.gate, only: el.task };
    }
    if (typeof arg === "string") {
      const ws = model.workspaces()[0];
      const gate = ws ? gates().statesOf(ws).find((g) => g.id === arg) : undefined;
      return gate ? { gate } : undefined;
    }
    return undefined;
  };

  return {
    /** Runs what an open gate lacks; resolves with each task's exit code. */
    async "gates.runMissing"(arg?: unknown) {
      if (!harness.requireTrust("running what a gate is missing")) return undefined;
      const at = gateOf(arg);
      if (!at) return void vscode.window.showWarningMessage("CTO: Run What Is Missing needs a gate of the Stage Gates view.");
      const all = missingWork(at.gate);
      const work: MissingWork | undefined = at.only ? (all?.kind === "runs" && all.tasks.some((t) => t.task === at.only!.task) ? { kind: "runs", tasks: [at.only] } : undefined) : all;
      if (!work) {
        void vscode.window.showInformationMessage(at.gate.state === "open" ? `CTO: ${at.gate.id} lacks no run; what it lacks is listed under it.` : `CTO: ${at.gate.id} is ${at.gate.state}: runs for it start once it is open.`);
        return [];
      }
      const codes: { task: string; exit: number | undefined }[] = [];
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CTO: ${at.gate.id}`, cancellable: false }, async (progress) => {
        if (work.kind === "fixtures") {
          // One fixtures task for every row it lacks: the matrix's own runner, as "Run All Fixtures" is.
          progress.report({ message: `${work.rows.length} failure-matrix row(s)` });
          codes.push({ task: `fixtures: ${work.rows.join(", ")}`, exit: await execute({ type: TASK_TYPE, command: "fixtures", rows: work.rows }) });
          return;
        }
        for (const [i, t] of work.tasks.entries()) {
          progress.report({ message: `case on ${t.task}${t.sandboxRepo ? " (throwaway repo)" : ""} — ${i + 1} of ${work.tasks.length}` });
          codes.push({ task: t.task, exit: await execute(runOf(t)) });
        }
      });
      await harness.refreshEvidence();
      const bad = codes.filter((c) => c.exit !== 0);
      const text = `CTO: ${at.gate.id}: ran ${codes.length} task(s)${bad.length ? `; not pass: ${bad.map((c) => `${c.task} (exit ${c.exit ?? "?"})`).join(", ")}` : ", every one passed"}.`;
      if (bad.length) void vscode.window.showWarningMessage(text);
      else void vscode.window.showInformationMessage(text);
      return codes;
    },
    reviewPatch: (arg?: unknown) => reviewPatch(model, harness, arg),
  };
}
