// The task-set gates in the real workbench (issue 12): the Stage Gates view shows each gate's
// tasks passed / needed and the reviews outstanding; "Run What Is Missing" runs case on the
// missing tasks through the `cto` run task (on a throwaway repo for disposable-sandbox-repo);
// "CTO: Review Patch…" records a person's review. The person's part is done as a person would:
// the verdict and the note typed into the real quick pick and input box by the code-server driver
// (util.ts typeInWorkbench). Modal dialogs are the exception: VS Code refuses to show them inside
// extension tests ("DialogService: refused to show dialog in tests"), so the two modals (the
// gated engine's consent, Record Review) are answered through the extension's prompt seam
// (src/vscode/prompts.ts), and the test asserts the exact question each one asked.
//
// Set up in the workspace copy (and taken away afterwards): a git repo, one task, a task set per
// gate, and a scripted stand-in for the `ca` CLI (NOT Case: it writes src/sub.js and a recorded
// Case event log) whose sha256 the admission record pins, as the fixtures do.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as vscode from "vscode";
import { createHash } from "crypto";
import type { CtoApi } from "../../src/vscode/extension";
import type { GatesElement } from "../../src/vscode/views/gatesView";
import { EXTENSION_ID, getApi, screenshot, screenshotDir, sleep, typeInWorkbench, waitFor, waitForDiagnostics, workspaceRoot } from "./util";

const ADMISSION = ".sot/03-PROTOCOLS/CTO-CASE-SOURCE-ADMISSION.md";
const GATES = ["copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo"] as const;
const setDoc = (gate: string) => `---
name: cto-case-task-set-${gate}
tier: local
status: draft
owner: jp
created: 2026-05-31
last_reviewed: 2026-05-31
lifecycle_classification: planning
core_promotion_status: not-promoted
record_type: task-set
gate: ${gate}
---

# Task set: ${gate}

Local planning SOT only. Not a Core Protocol. Not active Core authority.

| task | task file | repo |
| --- | --- | --- |
| add-subtract | tasks/add.yaml | repos/calc |
`;

suite("stage gates: task sets, Run What Is Missing, Review Patch", function () {
  this.timeout(180_000);
  let api: CtoApi;
  let root: string;
  let admissionBefore: string;
  const made: string[] = [];
  const asked: { message: string; detail?: string; items: string[] }[] = [];
  let answer: (message: string) => string | undefined = () => undefined;
  let realPrompts: CtoApi["features"]["harness"]["prompts"];
  const f = () => api.features;
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
  };
  const gateEl = async (id: string): Promise<GatesElement> => {
    const els = (await f().gates.getChildren()) as GatesElement[];
    const el = els.find((e) => e.kind === "gate" && e.gate.id === id);
    assert.ok(el, `gate ${id}`);
    return el!;
  };
  const itemOf = async (id: string) => f().gates.getTreeItem(await gateEl(id));
  const children = async (id: string) => ((await f().gates.getChildren(await gateEl(id))) as GatesElement[]).map((e) => ({ el: e, item: f().gates.getTreeItem(e) }));
  const describeGates = async () => ((await f().gates.getChildren()) as GatesElement[]).map((e) => `${e.kind === "gate" ? e.gate.id : "?"}:${f().gates.getTreeItem(e).description}`).join(", ");
  const waitGate = (id: string, re: RegExp, what: string) => waitFor(async () => re.test(String((await itemOf(id)).description)), 30_000, `${what} (now ${"…"})`).catch(async (e) => {
    throw new Error(`${(e as Error).message}: ${await describeGates()}`);
  });
  /** The Stage Gates view with room to show it: the panel closed, Work Issues folded, `id` revealed. */
  const showGates = async (id?: string) => {
    await vscode.commands.executeCommand("workbench.view.extension.cto");
    await vscode.commands.executeCommand("workbench.action.closePanel");
    await vscode.commands.executeCommand("ctoGates.focus");
    if (id) await f().gates.view.reveal(await gateEl(id), { select: false, focus: false, expand: 2 });
    await sleep(1500);
  };

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
    root = workspaceRoot().fsPath;
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    // The repo the task works on: a git repo of the fixture repo.
    const repo = path.join(root, "repos", "calc");
    cpSync(path.join(ext, "fixtures", "harness", "repo"), repo, { recursive: true });
    git(repo, "init", "-q");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "base");
    made.push(path.join(root, "repos"));
    // The `ca` stand-in (a script, not Case), pinned by the admission record.
    const log = readFileSync(path.join(ext, "fixtures", "engines", "case", "pipeline-completed.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const standIn = `#!/usr/bin/env node
// A SCRIPTED STAND-IN FOR THE \`ca\` CLI IN THE INTEGRATION TESTS. THIS IS NOT CASE: it writes src/sub.js
// and a recorded Case event log (fixtures/engines/case/pipeline-completed.jsonl) with a fresh runId.
"use strict";
const fs = require("node:fs"), path = require("node:path"), crypto = require("node:crypto");
const args = process.argv.slice(2);
if (args[0] === "--version") { console.log("ca stand-in 0.0.0"); process.exit(0); }
const task = JSON.parse(fs.readFileSync(args[args.indexOf("--task") + 1], "utf8"));
fs.writeFileSync(path.join("src", "sub.js"), "module.exports = function sub(a, b) {\\n  return a - b;\\n};\\n");
const runId = crypto.randomUUID();
const dir = path.join(".case", task.id, "events");
fs.mkdirSync(dir, { recursive: true });
const log = ${JSON.stringify(log)};
fs.writeFileSync(path.join(dir, "run-" + runId + ".jsonl"), log.map((l) => JSON.stringify({ ...l, runId, ...(l.taskId ? { taskId: task.id } : {}) })).join("\\n") + "\\n");
console.log("ca stand-in: wrote src/sub.js for " + task.id);
`;
    mkdirSync(path.join(root, "tools"));
    const ca = path.join(root, "tools", "ca");
    writeFileSync(ca, standIn, { mode: 0o755 });
    made.push(path.join(root, "tools"));
    const adm = path.join(root, ADMISSION);
    admissionBefore = readFileSync(adm, "utf8");
    writeFileSync(adm, admissionBefore.replace(/sha256:0{64}/, `sha256:${createHash("sha256").update(standIn).digest("hex")}`));
    mkdirSync(path.join(root, "tasks"));
    writeFileSync(
      path.join(root, "tasks", "add.yaml"),
      `id: add-subtract\nprompt: "Add subtract() in src/sub.js"\nrepo: ../repos/calc\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 60\nreviewer: { command: ["node", "-e", "process.exit(0)"] }\nengine_options: { command: ["../tools/ca"] }\n`,
    );
    made.push(path.join(root, "tasks"));
    for (const g of GATES) {
      const file = path.join(root, ".sot", "03-PROTOCOLS", `TASKS-${g}.md`);
      writeFileSync(file, setDoc(g));
      made.push(file);
    }
    // Who reviews: git's global identity — in the host's own per-run HOME, never a real one.
    const home = process.env.HOME ?? "";
    if (home.startsWith(tmpdir()) || home.includes("/cto-it-")) writeFileSync(path.join(home, ".gitconfig"), "[user]\n\tname = Jane Reviewer\n\temail = jane@example.com\n");
    await vscode.workspace.getConfiguration("cto").update("harness.enabledGatedEngines", ["case"], vscode.ConfigurationTarget.Workspace);
    realPrompts = f().harness.prompts;
    f().harness.prompts = {
      modal: async (message, detail, ...items) => {
        asked.push({ message, ...(detail ? { detail } : {}), items });
        return answer(message);
      },
    };
    await f().model.scan();
    // Gates 1–2 first: the whole failure matrix.
    const outcomes = await f().harness.fixtures([], () => {}, new AbortController().signal);
    assert.deepStrictEqual(outcomes.filter((o) => !o.matched).map((o) => o.row), []);
    await f().harness.refreshEvidence();
  });

  suiteTeardown(async () => {
    if (realPrompts) f().harness.prompts = realPrompts;
    // Leave the workbench as the suites before left it: editors closed, the Explorer showing (a
    // later suite's walkthrough completes its view steps on the CTO views becoming visible).
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await vscode.commands.executeCommand("workbench.view.explorer");
    for (const p of made) rmSync(p, { recursive: true, force: true });
    if (admissionBefore) writeFileSync(path.join(root, ADMISSION), admissionBefore);
    await vscode.workspace.getConfiguration("cto").update("harness.enabledGatedEngines", undefined, vscode.ConfigurationTarget.Workspace);
    await f().model.scan();
    await f().harness.refreshEvidence();
  });

  test("the view shows copied-repo-fixture open with tasks 0/1 and Run What Is Missing; later gates locked with their tasks", async () => {
    await waitGate("copied-repo-fixture", /^open · tasks 0\/1$/, "copied-repo-fixture open, tasks 0/1");
    const item = await itemOf("copied-repo-fixture");
    assert.strictEqual(item.contextValue, "gate.open.missing", "Run What Is Missing is offered");
    const kids = await children("copied-repo-fixture");
    const tasks = kids.find((k) => k.el.kind === "tasks")!;
    assert.strictEqual(tasks.item.label, "Tasks: 0/1 passed");
    const [task] = (await f().gates.getChildren(tasks.el)) as GatesElement[];
    assert.deepStrictEqual([f().gates.getTreeItem(task!).label, f().gates.getTreeItem(task!).description, f().gates.getTreeItem(task!).contextValue], ["add-subtract", "needs a run", "gateTask.missing"]);
    assert.ok(kids.some((k) => /needs a new run \(no run of case on it yet\)/.test(String(k.item.label))));
    assert.strictEqual((await itemOf("disposable-sandbox-repo")).description, "locked · tasks 0/1");
    assert.strictEqual((await itemOf("disposable-sandbox-repo")).contextValue, "gate.locked", "no runs for a locked gate");
    await showGates("copied-repo-fixture");
    await screenshot("stage-gates-tasks-missing");
  });

  test("Run What Is Missing runs case on the task (the consent asked in a modal); copied-repo-fixture passes", async () => {
    answer = (m) => (/^Run the gated engine 'case' in this workspace\?$/.test(m) ? "Enable for This Workspace" : undefined);
    const codes = await vscode.commands.executeCommand<{ task: string; exit: number | undefined }[]>("cto.gates.runMissing", await gateEl("copied-repo-fixture"));
    assert.deepStrictEqual(asked.map((a) => [a.message, a.items]), [["Run the gated engine 'case' in this workspace?", ["Enable for This Workspace"]]]);
    assert.match(asked[0]!.detail ?? "", /still needs a valid source admission record and an eligibility decision/);
    assert.deepStrictEqual(codes, [{ task: "add-subtract", exit: 0 }]);
    await waitGate("copied-repo-fixture", /^passed · tasks 1\/1$/, "copied-repo-fixture passed");
    await waitGate("disposable-sandbox-repo", /^open · tasks 0\/1$/, "disposable-sandbox-repo open");
    const newest = f().harness.evidenceOf(f().model.workspaces()[0]!).find((e) => e.engine === "case" && e.taskId === "add-subtract")!;
    assert.deepStrictEqual([newest.status, newest.verdict, newest.isolation], ["pass", "verified", "bubblewrap"]);
  });

  test("disposable-sandbox-repo: Run What Is Missing runs on a throwaway repo (named in the bundle, deleted afterwards) and passes", async () => {
    const kids = await children("disposable-sandbox-repo");
    assert.ok(kids.some((k) => /run on the task's own repo, not on a throwaway repo/.test(String(k.item.label))), kids.map((k) => k.item.label).join(" | "));
    const codes = await vscode.commands.executeCommand<{ task: string; exit: number | undefined }[]>("cto.gates.runMissing", "disposable-sandbox-repo");
    assert.deepStrictEqual(codes, [{ task: "add-subtract", exit: 0 }]);
    await waitGate("disposable-sandbox-repo", /^passed · tasks 1\/1$/, "disposable-sandbox-repo passed");
    const bundle = f().harness.evidenceOf(f().model.workspaces()[0]!).find((e) => e.sandboxRepo)!;
    assert.ok(bundle, "a bundle names its throwaway repo");
    const report = JSON.parse(readFileSync(path.join(bundle.path, "report.json"), "utf8"));
    assert.strictEqual(report.freshness.sandbox_repo.source_repo, path.join(root, "repos", "calc"));
    assert.ok(!existsSync(report.task.repo), "the throwaway repo is deleted after the run");
  });

  test("owned-noncritical-repo waits for a person: Review Patch… (diff beside the report, verdict, note, modal) records the review and the gate passes", async function () {
    if (!screenshotDir()) this.skip();
    await waitGate("owned-noncritical-repo", /^open · tasks 0\/1 · 1 review\(s\) outstanding$/, "owned-noncritical-repo waiting for a review");
    const kids = await children("owned-noncritical-repo");
    const reviews = kids.find((k) => k.el.kind === "reviews")!;
    assert.strictEqual(reviews.item.label, "Reviews outstanding: 1");
    const [rev] = (await f().gates.getChildren(reviews.el)) as GatesElement[];
    const revItem = f().gates.getTreeItem(rev!);
    assert.strictEqual(revItem.contextValue, "gateReview");
    assert.strictEqual(revItem.command?.command, "cto.reviewPatch");
    await showGates("owned-noncritical-repo");
    await screenshot("stage-gates-review-outstanding");

    const bundle = String(revItem.command!.arguments![0]);
    asked.length = 0;
    answer = (m) => (/^Approve the patch of run /.test(m) ? "Record Review" : undefined);
    const reviewing = vscode.commands.executeCommand<string | undefined>("cto.reviewPatch", bundle);
    // Each box is clicked before typing, as a person does: with the report and the diff opening
    // beside it, keyboard focus is not always in the box (a fresh-clone CI run once typed the note
    // elsewhere and the review never reached its modal).
    await typeInWorkbench({ click: ['.quick-input-widget input[placeholder*="Approve or reject the patch"]'], waitFor: '.quick-input-widget input[placeholder*="Approve or reject the patch"]', text: "Approve", press: ["Enter"] });
    // The note's input box is up now, with the patch open beside the report.
    await typeInWorkbench({ waitFor: '.quick-input-widget input[placeholder*="A note for the review"]' });
    await screenshot("review-patch-note");
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === "cto-artifact" && e.document.uri.path.endsWith("/patch.diff") && e.document.languageId === "diff"), vscode.window.visibleTextEditors.map((e) => e.document.uri.toString()).join(" | "));
    await typeInWorkbench({ click: ['.quick-input-widget input[placeholder*="A note for the review"]'], waitFor: '.quick-input-widget input[placeholder*="A note for the review"]', text: "reads right: sub(a, b) is a - b", press: ["Enter"] });
    const file = await Promise.race([reviewing, sleep(60_000).then(() => "timeout")]);
    // The modal showed who reviews, the verdict, the note and the digest it will name.
    assert.strictEqual(asked.length, 1, JSON.stringify(asked));
    assert.match(asked[0]!.message, /^Approve the patch of run \S+ \(case on add-subtract\)\?$/);
    assert.deepStrictEqual(asked[0]!.items, ["Record Review"]);
    assert.match(asked[0]!.detail ?? "", /^Reviewer: Jane Reviewer <jane@example\.com> \(from git config --global\)\nVerdict: approve\nNote: reads right: sub\(a, b\) is a - b\nBundle: .* \(verified\)\nAttestation: sha256:[0-9a-f]{64}\n/);
    assert.ok(file && file !== "timeout" && existsSync(file), `the review record (${file})`);
    assert.ok(file!.startsWith(path.join(root, ".cto", "runs", ".reviews", path.basename(bundle)) + path.sep), file);
    const payload = JSON.parse(Buffer.from(JSON.parse(readFileSync(file!, "utf8")).payload, "base64").toString("utf8"));
    assert.strictEqual(payload.predicateType, "https://cto-workbench.dev/review/v1");
    assert.deepStrictEqual([payload.predicate.verdict, payload.predicate.reviewer, payload.predicate.note, payload.predicate.tool], ["approve", { name: "Jane Reviewer", email: "jane@example.com" }, "reads right: sub(a, b) is a - b", "vscode"]);
    assert.deepStrictEqual(readdirSync(bundle).filter((n) => /review/.test(n)), [], "nothing was written into the bundle");
    await waitGate("owned-noncritical-repo", /^passed · tasks 1\/1$/, "owned-noncritical-repo passed");
    assert.ok(((await f().gates.getChildren(await gateEl("owned-noncritical-repo"))) as GatesElement[]).every((e) => e.kind !== "reviews"), "no review outstanding");
    await showGates("candidate-default");
    await screenshot("stage-gates-five-passed");
  });

  test("a dirty repo is a located record-structure diagnostic on each task set (read without running git in the repo)", async () => {
    const stray = path.join(root, "repos", "calc", "stray.txt");
    writeFileSync(stray, "uncommitted\n");
    const doc = vscode.Uri.file(path.join(root, ".sot", "03-PROTOCOLS", "TASKS-copied-repo-fixture.md"));
    try {
      await f().harness.refreshEvidence();
      const diags = await waitForDiagnostics(doc, (d) => d.some((x) => x.code === "record-structure"));
      const d = diags.find((x) => x.code === "record-structure")!;
      assert.match(d.message, /^repo 'repos\/calc' is not a clean start: .*stray\.txt.* — a run would be blocked \(dirty_start\); commit or stash first$/);
      assert.deepStrictEqual([d.range.start.line + 1, d.range.start.character + 1], [20, 35], "on the repo cell of the task's row");
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    } finally {
      rmSync(stray, { force: true });
      await f().harness.refreshEvidence();
    }
    await waitForDiagnostics(doc, (d) => !d.some((x) => x.code === "record-structure"));
  });

  test("an edited task file un-passes the task-set gates, visibly: which task needs a new run and why", async function () {
    if (!screenshotDir()) this.skip(); // it needs the runs above
    const file = path.join(root, "tasks", "add.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, before.replace("timeout_s: 60", "timeout_s: 61"));
    try {
      await f().harness.refreshEvidence();
      await waitGate("copied-repo-fixture", /^open · tasks 0\/1$/, "copied-repo-fixture back to open");
      const kids = await children("copied-repo-fixture");
      assert.ok(kids.some((k) => /task add-subtract: needs a new run \(.*of an older task file .*the task file changed/.test(String(k.item.label))), kids.map((k) => k.item.label).join(" | "));
      assert.strictEqual((await itemOf("owned-noncritical-repo")).description, "locked · tasks 0/1");
    } finally {
      writeFileSync(file, before);
      await f().harness.refreshEvidence();
    }
    await waitGate("copied-repo-fixture", /^passed · tasks 1\/1$/, "copied-repo-fixture passed again");
  });
});
