// "CTO: Review Patch…": a person's review of a run's patch, recorded through the harness's
// createReview — the same signed record as `cto review` (tool "vscode"). The patch opens beside
// the report; the verdict and an optional note are asked for; the reviewer is who git says you are
// (global user.name / user.email, read the harness's way — never a repo's config); a modal shows
// exactly what will be signed before anything is written.
import * as path from "node:path";
import * as vscode from "vscode";
import { createReview, readGitIdentity, ReviewError, reviewRefusal, verifyBundle } from "../../harness";
import type { PlanningModel } from "../model";
import { artifactUri, openReport } from "./report";
import type { HarnessService } from "./service";

export const RECORD_REVIEW = "Record Review";

/** The bundle folder an argument names: a path, a Uri, an Evidence Runs item, a Stage Gates review item. */
export function bundleOf(arg: unknown): string | undefined {
  if (typeof arg === "string") return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (arg && typeof arg === "object") {
    const o = arg as { entry?: { path?: unknown }; bundle?: unknown };
    if (typeof o.bundle === "string") return o.bundle;
    if (o.entry && typeof o.entry.path === "string") return o.entry.path;
  }
  return undefined;
}

export async function reviewPatch(model: PlanningModel, harness: HarnessService, arg?: unknown): Promise<string | undefined> {
  if (!harness.requireTrust("reviewing a patch")) return undefined;
  const refused = reviewRefusal(process.env);
  if (refused) return void vscode.window.showErrorMessage(`CTO: Review Patch is refused here: ${refused}.`);
  let bundle = bundleOf(arg);
  if (!bundle) {
    const passes = model.workspaces().flatMap((ws) => harness.evidenceOf(ws)).filter((e) => e.status === "pass" && e.verified);
    const pick = await vscode.window.showQuickPick(
      passes.map((e) => ({ label: `${e.taskId} with ${e.engine}`, description: `${e.runId} · ${e.verdict}`, detail: e.path, path: e.path })),
      { placeHolder: "Review the patch of which run? (pass bundles that verify)" },
    );
    bundle = pick?.path;
  }
  if (!bundle) return undefined;

  const ws = model.workspaces().find((w) => !path.relative(harness.evidenceDir(w), bundle!).startsWith(".."));
  const trust = harness.trustFor(ws);
  const v = await verifyBundle(bundle, { trust });
  if (v.verdict !== "verified" && v.verdict !== "stale") {
    void vscode.window.showErrorMessage(`CTO: ${path.basename(bundle)} is ${v.verdict}: only a bundle that verifies can be reviewed. ${v.problems[0]?.message ?? ""}`);
    return undefined;
  }
  const r = v.report!;
  const who = await readGitIdentity(process.env);
  if (!who.name) {
    void vscode.window.showErrorMessage("CTO: a review says who made it, and git does not know your name: run `git config --global user.name \"Your Name\"` (and user.email), then Review Patch again.");
    return undefined;
  }
  // The patch beside the report: what the person reviews is what the record will name.
  await openReport(bundle);
  const diff = await vscode.workspace.openTextDocument(artifactUri(bundle, "patch.diff"));
  await vscode.languages.setTextDocumentLanguage(diff, "diff");
  await vscode.window.showTextDocument(diff, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });

  const run = `run ${r.run_id} (${r.engine.id} on ${r.task.id})`;
  const verdict = await vscode.window.showQuickPick(
    [
      { label: "Approve", description: "the patch is one you would merge", verdict: "approve" as const },
      { label: "Reject", description: "the patch is not", verdict: "reject" as const },
    ],
    { placeHolder: `Approve or reject the patch of ${run}`, ignoreFocusOut: true },
  );
  if (!verdict) return undefined;
  const note = await vscode.window.showInputBox({ placeHolder: "A note for the review (optional)", prompt: `Why you ${verdict.verdict} the patch of ${run}`, ignoreFocusOut: true });
  if (note === undefined) return undefined;
  const reviewer = who.email ? `${who.name} <${who.email}>` : who.name;
  const ok = await harness.prompts.modal(
    `${verdict.label} the patch of ${run}?`,
    [
      `Reviewer: ${reviewer} (from git config --global)`,
      `Verdict: ${verdict.verdict}`,
      ...(note.trim() ? [`Note: ${note.trim()}`] : []),
      `Bundle: ${bundle} (${v.verdict})`,
      `Attestation: sha256:${v.attestationSha256}`,
      "",
      "The review is signed with this machine's harness key and written beside the bundle. It names this bundle's attestation digest: if the bundle changes, the review stops counting.",
    ].join("\n"),
    RECORD_REVIEW,
  );
  if (ok !== RECORD_REVIEW) return undefined;
  try {
    const made = await createReview(bundle, { verdict: verdict.verdict, name: who.name, ...(who.email ? { email: who.email } : {}), note, tool: "vscode", trust });
    void vscode.window.showInformationMessage(`CTO: ${verdict.verdict === "approve" ? "approved" : "rejected"} the patch of ${run} as ${reviewer}.`);
    await harness.refreshEvidence();
    return made.file;
  } catch (e) {
    void vscode.window.showErrorMessage(`CTO: the review was not recorded: ${e instanceof ReviewError ? e.message : (e as Error).message}`);
    return undefined;
  }
}
