// Commands of the Stage Gates view's task-set gates (issue 12): "Run What Is Missing" runs, one
// after the other, every task of an open gate that no bundle counts for — case on the task
// (on a throwaway repo for disposable-sandbox-repo), as a `cto` run task through the one harness
// path — and "Review Patch…" records a person's review.
import * as vscode from "vscode";
import type { GateState, TaskProgress } from "../../core";
import type { PlanningModel } from "../model";
import { missingRuns, type GatesElement, type GatesView } from "../views/gatesView";
import { reviewPatch } from "./reviewPatch";
import type { HarnessService } from "./service";
import { type CtoTaskProvider, TASK_TYPE } from "./tasks";

export function gateCommands(model: PlanningModel, harness: HarnessService, tasks: CtoTaskProvider, gates: () => GatesView): Record<string, (...args: unknown[]) => unknown> {
  /** Runs one task definition as a VS Code task and resolves with its exit code. */
  const execute = async (task: TaskProgress): Promise<number | undefined> => {
    const t = tasks.make({ type: TASK_TYPE, command: "run", engine: "case", task: task.file, ...(task.sandboxRepo ? { sandboxRepo: true } : {}) });
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
      const list = at.only ? [at.only].filter((t) => t.needsRun && at.gate.state === "open") : missingRuns(at.gate);
      if (list.length === 0) {
        void vscode.window.showInformationMessage(at.gate.state === "open" ? `CTO: ${at.gate.id} lacks no run; what it lacks is listed under it.` : `CTO: ${at.gate.id} is ${at.gate.state}: runs for it start once it is open.`);
        return [];
      }
      const codes: { task: string; exit: number | undefined }[] = [];
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `CTO: ${at.gate.id}`, cancellable: false }, async (progress) => {
        for (const [i, t] of list.entries()) {
          progress.report({ message: `case on ${t.task}${t.sandboxRepo ? " (throwaway repo)" : ""} — ${i + 1} of ${list.length}` });
          codes.push({ task: t.task, exit: await execute(t) });
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
