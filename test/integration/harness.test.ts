// The harness in a real extension host: the cto task provider, the fixture matrix run as a task
// and from the Test Explorer, gated engines refused without the setting, the Evidence Runs view,
// the report view, and the Stage Gates moving on evidence (and back when it is tampered with).
import * as assert from "assert";
import { spawnSync } from "child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import { getApi, screenshot, sleep, waitFor, workspaceRoot } from "./util";

const MATRIX = ".sot/03-PROTOCOLS/CTO-CASE-FAILURE-FIXTURE-MATRIX.md";
const uri = (rel: string) => vscode.Uri.joinPath(workspaceRoot(), ...rel.split("/"));

/** Runs a task and resolves with its exit code. */
async function runTask(task: vscode.Task, timeoutMs = 120_000): Promise<number | undefined> {
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name === task.name) {
        sub.dispose();
        resolve(e.exitCode);
      }
    });
  });
  await vscode.tasks.executeTask(task);
  return Promise.race([ended, sleep(timeoutMs).then(() => { throw new Error(`task '${task.name}' did not end in ${timeoutMs} ms`); })]);
}

suite("harness in the extension host", () => {
  let api: CtoApi;
  const f = () => api.features;
  const gateStates = async () => {
    const els = await f().gates.getChildren();
    // The state only (the description goes on with counts: "open · rows 2/3").
    return els.map((e) => `${f().gates.getTreeItem(e).label}:${String(f().gates.getTreeItem(e).description).split(" · ")[0]}`);
  };

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
  });

  test("the task provider lists validate, fixtures and each issue's Validator: line", async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: "cto" });
    const names = tasks.map((t) => t.name);
    assert.ok(names.includes("validate planning docs"), names.join(" | "));
    assert.ok(names.includes("run all fixtures"));
    for (const id of ["CTO-WORK-003", "CTO-WORK-008"]) assert.ok(names.includes(`${id} validator`), names.join(" | "));
    const validate = tasks.find((t) => t.name === "validate planning docs")!;
    assert.deepStrictEqual(validate.problemMatchers, ["$cto"]);
  });

  test("the validate task runs the core and exits 0 on the clean workspace", async () => {
    const task = (await vscode.tasks.fetchTasks({ type: "cto" })).find((t) => t.name === "validate planning docs")!;
    assert.strictEqual(await runTask(task), 0);
  });

  test("a gated engine is refused without the setting (engine_not_enabled, exit 22)", async () => {
    const taskFile = path.join(f().harness.fixturesDir(), "gated-not-enabled", "task.yaml");
    const code = await vscode.commands.executeCommand<number>("cto.runEngine", "case", taskFile);
    assert.strictEqual(code, 22);
    await f().harness.refreshEvidence();
    const newest = f().harness.evidenceOf(f().model.workspaces()[0])[0];
    assert.deepStrictEqual(newest.blockers, ["engine_not_enabled"]);
    assert.strictEqual(newest.verdict, "verified");
  });

  test("running all fixtures as a task matches every row; the Evidence Runs view lists the bundles", async () => {
    const before = (await f().runs.getChildren()).length;
    const task = (await vscode.tasks.fetchTasks({ type: "cto" })).find((t) => t.name === "run all fixtures")!;
    assert.strictEqual(await runTask(task), 0);
    await waitFor(async () => (await f().runs.getChildren()).length >= before + 17, 20_000, "17 new bundles in the runs view");
    const items = (await f().runs.getChildren()).map((e) => f().runs.getTreeItem(e));
    assert.ok(items.filter((i) => /verified/.test(String(i.description))).length >= 17, items.map((i) => i.description).join(" | "));
    // Each says who signed it (the host signs with the test run's key: the local key).
    assert.ok(items.filter((i) => /· verified · signed by local key/.test(String(i.description))).length >= 17, items.map((i) => i.description).join(" | "));
    const entry = f().harness.evidenceOf(f().model.workspaces()[0]).find((e) => e.fixture === "happy path")!;
    assert.strictEqual(entry.signatureInfo.state, "trusted");
    assert.match(String((f().runs.getTreeItem({ kind: "run", ws: f().model.workspaces()[0], entry }).tooltip as vscode.MarkdownString).value), /Signed by \*\*local key\*\* \(key `[0-9a-f]{16}`\), trusted by local key \(/);
  });

  test("the Stage Gates move on that evidence: gated-engine and artificial-fixture pass", async () => {
    await f().harness.refreshEvidence();
    await waitFor(async () => (await gateStates()).slice(0, 3).join() === "gated-engine:passed,artificial-fixture:passed,copied-repo-fixture:open", 20_000, `gates (now ${(await gateStates()).join(", ")})`);
    assert.deepStrictEqual((await gateStates()).slice(3), ["disposable-sandbox-repo:locked", "owned-noncritical-repo:locked", "candidate-default:locked"]);
  });

  test("the report view shows a bundle's report and diff", async () => {
    const happy = f().harness.evidenceOf(f().model.workspaces()[0]).find((e) => e.fixture === "happy path")!;
    await vscode.commands.executeCommand("cto.openReport", happy.path);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: "cto-report", path: path.join(happy.path, "report.md") }));
    assert.match(doc.getText(), /^> \*\*Verified\*\* — signed by local key \(key [0-9a-f]{16}\), trusted by local key \(/);
    assert.match(doc.getText(), /\n# PASS: add-subtract with fake\n/);
    assert.match(doc.getText(), /## Diff\n\n```diff\ndiff --git a\/src\/sub\.js b\/src\/sub\.js/);
    // Show the Evidence Runs view beside the rendered report.
    await vscode.commands.executeCommand("workbench.view.extension.cto");
    await vscode.commands.executeCommand("ctoRuns.focus");
    await sleep(3000);
    await screenshot("report-view");
  });

  test("a hostile bundle (a FIFO as patch.diff and as a log) opens in the report and artifact views without hanging, marked TAMPERED", async () => {
    const happy = f().harness.evidenceOf(f().model.workspaces()[0]).find((e) => e.fixture === "happy path")!;
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "cto-hostile-")), "bundle");
    cpSync(happy.path, dir, { recursive: true });
    for (const file of ["patch.diff", "test.log"]) {
      rmSync(path.join(dir, file));
      assert.strictEqual(spawnSync("mkfifo", [path.join(dir, file)]).status, 0);
    }
    const report = await Promise.race([
      vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: "cto-report", path: path.join(dir, "report.md") })),
      sleep(15_000).then(() => { throw new Error("the report view hung on a FIFO"); }),
    ]);
    assert.match(report.getText(), /^> \*\*TAMPERED\*\* — signed by local key .*(patch\.diff|test\.log) is a FIFO, not a regular file/);
    assert.match(report.getText(), /## Diff\n\n```diff\n\(patch\.diff is a FIFO, not a regular file\)/);
    const log = await Promise.race([
      vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: "cto-artifact", path: path.join(dir, "test.log") })),
      sleep(15_000).then(() => { throw new Error("the artifact view hung on a FIFO"); }),
    ]);
    assert.match(log.getText(), /^test\.log cannot be shown: is a FIFO, not a regular file/);
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  test("a bundle the CLI writes in a terminal, and a tamper of any of its files, show without a refresh", async function () {
    this.timeout(90_000);
    // The CLI renames a whole bundle folder into place (atomic write): the watcher sees the folder,
    // never a report.json being created. Nothing here calls refreshEvidence.
    const ws = f().model.workspaces()[0];
    const cli = path.join(vscode.extensions.getExtension("cto-workbench.cto-workbench")!.extensionPath, "dist", "cli.js");
    const task = path.join(f().harness.fixturesDir(), "no-diff", "task.yaml");
    const before = f().harness.evidenceOf(ws).length;
    const r = spawnSync(process.execPath, [cli, "run", "--engine", "fake", "--task", task, "--out", f().harness.evidenceDir(ws)], { cwd: ws.root, encoding: "utf8", timeout: 60_000 });
    assert.strictEqual(r.status, 10, `cto run: ${r.stdout}\n${r.stderr}`);
    await waitFor(() => f().harness.evidenceOf(ws).length > before, 30_000, "the CLI's bundle in the evidence, without a refresh");
    const mine = f().harness.evidenceOf(ws).find((e) => e.blockers.includes("no_diff") && e.verdict === "verified" && r.stdout.includes(path.basename(e.path)));
    assert.ok(mine, `the new bundle, verified (stdout: ${r.stdout})`);
    // One byte of its trace (not report.json) flipped by another process.
    const log = path.join(mine.path, "trace.jsonl");
    const bytes = readFileSync(log);
    bytes[0] = bytes[0] ^ 1;
    writeFileSync(log, bytes);
    await waitFor(() => f().harness.evidenceOf(ws).find((e) => e.path === mine.path)?.verdict === "tampered", 30_000, "the tampered trace seen without a refresh");
    rmSync(mine.path, { recursive: true, force: true });
    await waitFor(() => !f().harness.evidenceOf(ws).some((e) => e.path === mine.path), 30_000, "the removed bundle gone without a refresh");
  });

  test("a tampered bundle un-passes its gate, visibly", async () => {
    const ws = f().model.workspaces()[0];
    const bundle = f().harness.evidenceOf(ws).find((e) => e.fixture === "self approval")!;
    const events = path.join(bundle.path, "events.normalized.jsonl");
    const bytes = readFileSync(events);
    bytes[10] = bytes[10] ^ 1;
    writeFileSync(events, bytes);
    // Every self-approval bundle must fail for the gate to lose its evidence: tamper them all.
    for (const other of f().harness.evidenceOf(ws).filter((e) => e.fixture === "self approval" && e.path !== bundle.path)) {
      const p = path.join(other.path, "events.normalized.jsonl");
      const b = readFileSync(p);
      b[10] = b[10] ^ 1;
      writeFileSync(p, b);
    }
    await f().harness.refreshEvidence();
    assert.strictEqual(f().harness.evidenceOf(ws).find((e) => e.path === bundle.path)?.verdict, "tampered");
    await waitFor(async () => (await gateStates())[0] === "gated-engine:open", 20_000, `gated-engine back to open (now ${(await gateStates()).join(", ")})`);
    assert.deepStrictEqual((await gateStates())[1], "artificial-fixture:locked");
    const reasons = (await f().gates.getChildren((await f().gates.getChildren())[0])).map((e) => String(f().gates.getTreeItem(e).label));
    assert.ok(reasons.some((r) => /self approval/.test(r) && /needs/.test(r)), reasons.join(" | "));
  });

  test("Test Explorer: two rows run; a broken expectation in the matrix doc fails with the mismatch", async () => {
    const tests = f().tests;
    assert.strictEqual(await tests.discover(), 17);
    const item = (name: string) => {
      let found: vscode.TestItem | undefined;
      tests.controller.items.forEach((i) => {
        if (i.id === name) found = i;
      });
      assert.ok(found, name);
      return found;
    };
    const cts = new vscode.CancellationTokenSource();
    await tests.profile.runHandler(new vscode.TestRunRequest([item("happy path"), item("no diff")]), cts.token);
    assert.deepStrictEqual([tests.lastResults.get("happy path")?.state, tests.lastResults.get("no diff")?.state], ["passed", "passed"]);

    // Break "no diff"'s expected exit code in the workspace's copy of the matrix doc.
    const doc = await vscode.workspace.openTextDocument(uri(MATRIX));
    const line = [...Array(doc.lineCount).keys()].find((l) => doc.lineAt(l).text.startsWith("| no diff |"))!;
    const text = doc.lineAt(line).text;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, doc.lineAt(line).range, text.replace("| 10 |", "| 99 |"));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await doc.save();
    await waitFor(async () => (await f().harness.matrixWorkspace())?.rows.find((r) => r.row === "no diff")?.exit === 99, 10_000, "the edited matrix");
    await tests.discover();
    await tests.profile.runHandler(new vscode.TestRunRequest([item("happy path"), item("no diff")]), cts.token);
    assert.strictEqual(tests.lastResults.get("happy path")?.state, "passed");
    assert.strictEqual(tests.lastResults.get("no diff")?.state, "failed");
    assert.match(tests.lastResults.get("no diff")?.message ?? "", /exit: expected 99, got 10/);

    await vscode.commands.executeCommand("workbench.view.testing.focus");
    await sleep(1500);
    await screenshot("test-explorer");
    // Put the doc back for whatever runs next.
    const restore = new vscode.WorkspaceEdit();
    restore.replace(doc.uri, doc.lineAt(line).range, text);
    await vscode.workspace.applyEdit(restore);
    await doc.save();
  });
});
