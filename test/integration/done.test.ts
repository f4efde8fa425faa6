// Done is earned, in the real workbench: a copy of fixtures/done (its own git repository) inside
// the test folder; CTO-WORK-101 shows "checked, not evidenced" with the done-evidence warning;
// `cto done CTO-WORK-101` (the real CLI, in a child process) writes the signed record and the
// Work Issues tree shows "done"; the re-check command shows the validator command and runs it only
// once confirmed; a commit that changes the issue's files makes the tree fall back.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { appendFileSync, cpSync, existsSync, rmSync, writeFileSync } from "fs";
import * as path from "path";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import { getApi, screenshot, sleep, waitFor, waitForDiagnostics, workspaceRoot } from "./util";

type El = Parameters<CtoApi["features"]["issues"]["getTreeItem"]>[0];
const ISSUES = ".sot/03-PROTOCOLS/CTO-DONE-DEMO-ISSUES.md";

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" },
  });
  assert.strictEqual(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
}

suite("done is earned: cto done and the Work Issues tree", () => {
  let api: CtoApi;
  let demo: string;
  const view = () => api.features.issues;
  const ext = () => vscode.extensions.getExtension("cto-workbench.cto-workbench")!.extensionPath;
  const realWarning = vscode.window.showWarningMessage;

  /** Label and description of every item of the real TreeDataProvider, as VS Code asks for them. */
  async function walk(): Promise<{ label: string; description: string; parent?: string; el: El }[]> {
    const out: { label: string; description: string; parent?: string; el: El }[] = [];
    const visit = async (els: El[], parent?: string) => {
      for (const el of els) {
        const item = view().getTreeItem(el);
        const label = typeof item.label === "string" ? item.label : (item.label?.label ?? "");
        out.push({ label, description: String(item.description ?? ""), ...(parent ? { parent } : {}), el });
        if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None) await visit(await view().getChildren(el), label);
      }
    };
    await visit(await view().getChildren());
    return out;
  }
  const described = async (id: string) => (await walk()).find((i) => i.label.startsWith(`${id} `) && !i.description.startsWith("↑"))?.description ?? "";
  const doneDetail = async () => (await walk()).find((i) => i.parent?.startsWith("CTO-WORK-101 ") && i.label === "Done record")?.description ?? "";
  const demoWs = () => api.features.model.workspaces().find((w) => w.root === demo);
  let narrowed = 0;

  /** A wide side bar (the editor made narrower), CTO-WORK-101's done record selected. */
  async function showForScreenshot(name: string): Promise<void> {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await vscode.commands.executeCommand("workbench.action.closePanel");
    // "Decrease Editor Width" gives the side bar the room; undone in suiteTeardown.
    for (; narrowed < 8; narrowed++) await vscode.commands.executeCommand("workbench.action.decreaseViewWidth");
    await vscode.commands.executeCommand("workbench.actions.treeView.ctoIssues.collapseAll");
    await sleep(500); // the collapse is the workbench's, after the command returns: let it land first
    const detail = (await walk()).find((i) => i.parent?.startsWith("CTO-WORK-101 ") && i.label === "Done record")!;
    await waitFor(async () => {
      await view().view.reveal(detail.el, { select: true, focus: true, expand: true });
      const sel = view().view.selection[0];
      return sel?.kind === "detail" && sel.label === "Done record" && sel.id === "CTO-WORK-101" && view().view.visible;
    }, 10_000, "the done record line revealed");
    await sleep(500);
    await screenshot(name);
  }

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
    await vscode.commands.executeCommand("workbench.view.extension.cto");
    view().setMode("tree");
    demo = path.join(workspaceRoot().fsPath, "done-demo");
    cpSync(path.join(ext(), "fixtures", "done"), demo, { recursive: true });
    git(demo, "init", "-q");
    git(demo, "add", "-A");
    git(demo, "commit", "-qm", "done demo");
    // Files copied into a folder made a moment ago can beat its file watch: rescan as a person would.
    await vscode.commands.executeCommand("cto.validateWorkspace");
    await waitFor(() => demoWs(), 15_000, "the done-demo workspace to be discovered");
  });

  suiteTeardown(async () => {
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = realWarning;
    for (; narrowed > 0; narrowed--) await vscode.commands.executeCommand("workbench.action.increaseViewWidth");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    rmSync(demo, { recursive: true, force: true });
    await vscode.commands.executeCommand("cto.validateWorkspace");
    await waitFor(() => api.features.model.workspaces().length === 1, 15_000, "the done-demo workspace to go away");
  });

  test("every box ticked but no record: 'checked, not evidenced', a done-evidence warning, its dependant blocked", async () => {
    await waitFor(async () => /^checked, not evidenced · 3\/3/.test(await described("CTO-WORK-101")), 10_000, "101 checked, not evidenced");
    assert.match(await described("CTO-WORK-102"), /^blocked by 101/);
    assert.match(await doneDetail(), /^not evidenced: no done record \(\.cto\/done\/CTO-WORK-101\.json\): run `cto done CTO-WORK-101`/);
    const diags = await waitForDiagnostics(vscode.Uri.file(path.join(demo, ISSUES)), (d) => d.some((x) => x.code === "done-evidence"));
    const d = diags.find((x) => x.code === "done-evidence")!;
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.strictEqual(d.range.start.line, 39); // the `Done evidence:` line (1-based 40)
  });

  test("`cto done CTO-WORK-101` runs the validator in the sandbox, signs the record, and the tree shows done", async () => {
    const r = spawnSync(process.execPath, [path.join(ext(), "dist", "cli.js"), "done", "CTO-WORK-101"], { cwd: demo, encoding: "utf8", env: process.env, timeout: 120_000 });
    assert.strictEqual(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /CTO-WORK-101: done record written \(\.cto\/done\/CTO-WORK-101\.json\)/);
    assert.ok(existsSync(path.join(demo, ".cto", "done", "CTO-WORK-101.json")));
    await waitFor(async () => /^done · 3\/3/.test(await described("CTO-WORK-101")), 15_000, "101 done in the tree");
    assert.match(await described("CTO-WORK-102"), /^ready · 0\/1/);
    assert.match(await doneDetail(), /^\.cto\/done\/CTO-WORK-101\.json · commit [0-9a-f]{12} · signed by /);
    await waitForDiagnostics(vscode.Uri.file(path.join(demo, ISSUES)), (ds) => !ds.some((x) => x.code === "done-evidence"));
    await showForScreenshot("done-tree");
  });

  test("Re-check Done Evidence shows the validator command first and runs it only once confirmed", async () => {
    const asked: { message: string; detail?: string }[] = [];
    let answer: string | undefined;
    // The person's answer to the modal (a modal cannot be clicked from inside the extension host).
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = async (message: string, options: vscode.MessageOptions, ...items: string[]) => {
      if (!options?.modal) return undefined;
      asked.push({ message, detail: options.detail });
      return answer === "confirm" ? items[0] : undefined;
    };
    const recheck = path.join(demo, ".cto", "done", "CTO-WORK-101.recheck.json");
    answer = "decline";
    assert.strictEqual(await vscode.commands.executeCommand("cto.recheckDone", "CTO-WORK-101"), 1);
    assert.strictEqual(existsSync(recheck), false, "declined: nothing ran, nothing was written");
    answer = "confirm";
    assert.strictEqual(await vscode.commands.executeCommand("cto.recheckDone", "CTO-WORK-101"), 0);
    assert.ok(existsSync(recheck), "confirmed: the validator ran and its result was signed");
    assert.strictEqual(asked.length, 2);
    for (const a of asked) {
      assert.match(a.message, /Re-run the validator of CTO-WORK-101/);
      assert.match(a.detail ?? "", /^node tools\/validate_done_demo\.js\n\nin .*done-demo\n\n.*without a shell, in a disposable sandbox copy of the committed tree/s);
    }
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = realWarning;
    await waitFor(async () => /^done/.test(await described("CTO-WORK-101")), 10_000, "still done after the matching recheck");
  });

  test("a commit that changes the issue's Allowed files makes the tree fall back, saying why", async () => {
    appendFileSync(path.join(demo, "tools", "validate_done_demo.js"), "// changed after the record\n");
    git(demo, "commit", "-qam", "change the validator");
    await waitFor(async () => /^checked, not evidenced/.test(await described("CTO-WORK-101")), 15_000, "101 back to checked after the commit");
    assert.match(await doneDetail(), /^not evidenced: 1 file\(s\) of the issue's Allowed files changed since its commit [0-9a-f]{12}: tools\/validate_done_demo\.js/);
    assert.match(await described("CTO-WORK-102"), /^blocked by 101/);
    await showForScreenshot("done-void");
  });

  test("the issue validator task runs its line in the sandbox copy, never in the workspace itself", async () => {
    writeFileSync(path.join(demo, "tools", "touch.js"), "require('fs').writeFileSync('touched-by-validator.txt', 'x'); console.log('touched');\n");
    // The new issue is typed into the doc and saved, as a person would.
    const doc = await vscode.workspace.openTextDocument(path.join(demo, ISSUES));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, doc.lineAt(doc.lineCount - 1).range.end, "\n### CTO-WORK-160 - Touch\n\nType: AFK\n\nBlocked by: None\n\nWhat to build: A validator that writes a file.\n\nAcceptance criteria:\n\n- [ ] It writes.\n\nAllowed files: `tools/**`\n\nValidator: `node tools/touch.js`\n\nDone evidence: validator output.\n");
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    git(demo, "add", "-A");
    git(demo, "commit", "-qm", "touch");
    await waitFor(() => demoWs()?.definitions("CTO-WORK-160").length, 15_000, "CTO-WORK-160 in the model");
    const asked: string[] = [];
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = async (message: string, options: vscode.MessageOptions, ...items: string[]) => {
      if (!options?.modal) return undefined;
      asked.push(`${message}\n${options.detail}`);
      return items[0];
    };
    try {
      const task = (await vscode.tasks.fetchTasks({ type: "cto" })).find((t) => t.name === "CTO-WORK-160 validator")!;
      assert.ok(task, "the validator task is provided");
      const ended = new Promise<number | undefined>((resolve) => {
        const sub = vscode.tasks.onDidEndTaskProcess((e) => {
          if (e.execution.task.name === task.name) {
            sub.dispose();
            resolve(e.exitCode);
          }
        });
      });
      await vscode.tasks.executeTask(task);
      assert.strictEqual(await ended, 0);
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = realWarning;
    }
    assert.strictEqual(asked.length, 1);
    assert.match(asked[0]!, /^Run the validator of CTO-WORK-160\?\nnode tools\/touch\.js\n/);
    assert.strictEqual(existsSync(path.join(demo, "touched-by-validator.txt")), false, "it wrote into the disposable copy only");
  });
});
