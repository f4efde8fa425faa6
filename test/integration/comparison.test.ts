// The Stage Gates view's comparison table, in the real workbench: a task set for candidate-default
// and a signed comparison of case, fake, codex and pi written into the workspace (case not enabled,
// codex and pi without a CLI here: their cells say so), read back by the extension with every
// bundle verified again, shown under candidate-default as engine × task with status and blocker.
// Everything written is removed afterwards (the other suites expect the fixture workspace as is).
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import type { CtoApi } from "../../src/vscode/extension";
import { compareEngines } from "../../src/harness";
import { getApi, screenshot, sleep, waitFor, workspaceRoot } from "./util";

// In a folder that exists already: a file made in a brand-new folder can escape the file watcher.
const SET_REL = ".sot/03-PROTOCOLS/CTO-CASE-COMPARISON-SET.md";

suite("Stage Gates: the candidate-default comparison table", () => {
  let api: CtoApi;
  const root = () => workspaceRoot().fsPath;
  const written: string[] = [];

  suiteSetup(async () => {
    api = await getApi<CtoApi>();
    await api.ready;
  });

  suiteTeardown(async () => {
    fs.rmSync(path.join(root(), ...SET_REL.split("/")), { force: true });
    for (const p of written.reverse()) fs.rmSync(p, { recursive: true, force: true });
    // The next suites expect the workspace as it was: wait until the model has seen the record go.
    await waitFor(() => !api.features.model.workspaces().some((w) => w.docs.has(SET_REL)), 20_000, "the task-set record to leave the model");
    await api.features.harness.refreshEvidence();
  });

  test("shows the comparison it was judged on: each engine, each task, status and blocker", async function () {
    this.timeout(120_000);
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), "cto-it-repo-"));
    written.push(repo);
    fs.cpSync(path.join(api.features.harness.fixturesDir(), "repo"), repo, { recursive: true });
    const tasks = path.join(root(), "compare-tasks");
    fs.mkdirSync(tasks);
    written.push(tasks);
    const task = path.join(tasks, "add-subtract.yaml");
    fs.writeFileSync(task, `id: add-subtract\nprompt: "Add subtract() in src/sub.js"\nrepo: ${repo}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n  - write: { path: src/sub.js, content: "module.exports = function sub(a, b) {\\n  return a - b;\\n};\\n" }\n`);
    const set = path.join(root(), ...SET_REL.split("/"));
    fs.writeFileSync(set, `---\nname: candidate-default-set\ntier: local\nstatus: draft\ncreated: 2026-05-31\nlast_reviewed: 2026-05-31\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\nrecord_type: task-set\ngate: candidate-default\n---\n\n# Candidate-default comparison set\n\nLocal planning SOT only. Not a Core Protocol. Not active Core authority.\n\n| task | task file | repo |\n| --- | --- | --- |\n| add-subtract | compare-tasks/add-subtract.yaml | ${repo} |\n`);
    const out = path.join(root(), ".cto", "compare", "it-comparison");
    written.push(out);
    const env = { ...process.env, CTO_CODEX_COMMAND: "/nonexistent/codex", CTO_PI_COMMAND: "/nonexistent/pi" };
    const r = await compareEngines({ engines: ["case", "fake", "codex", "pi"], tasks: [task], outDir: out, env, taskSet: { record: SET_REL, gate: "candidate-default" } });
    assert.deepStrictEqual(r.comparison.cells.map((c) => `${c.engine}:${c.status}:${c.blockers[0] ?? "-"}`), ["case:blocked:engine_not_enabled", "fake:pass:-", "codex:blocked:provider_unavailable", "pi:blocked:provider_unavailable"]);

    const gates = api.features.gates;
    const candidate = async () => (await gates.getChildren()).find((e) => gates.getTreeItem(e).label === "candidate-default")!;
    let seen = "";
    const comparisonNode = await waitFor(async () => {
      await api.features.harness.refreshEvidence();
      const kids = await gates.getChildren(await candidate());
      seen = kids.map((e) => String(gates.getTreeItem(e).label)).join(" | ");
      return kids.find((e) => gates.getTreeItem(e).label === "Comparison");
    }, 30_000, "the Comparison node under candidate-default").catch((e: Error) => {
      throw new Error(`${e.message}; candidate-default shows: ${seen}`);
    });
    const item = gates.getTreeItem(comparisonNode);
    assert.match(String(item.description), /^1 task\(s\) × 4 engines · .* · signed by local key$/);
    assert.match((item.tooltip as vscode.MarkdownString).value, /\| add-subtract \| blocked engine\\_not\\_enabled \| pass \| blocked provider\\_unavailable \| blocked provider\\_unavailable \|/);
    const engines = await gates.getChildren(comparisonNode);
    assert.deepStrictEqual(engines.map((e) => `${gates.getTreeItem(e).label}: ${gates.getTreeItem(e).description}`), ["case: 0/1 passed · engine_not_enabled", "fake: 1/1 passed", "codex: 0/1 passed · provider_unavailable", "pi: 0/1 passed · provider_unavailable"]);
    const cells = await Promise.all(engines.map(async (e) => (await gates.getChildren(e)).map((c) => `${gates.getTreeItem(c).label} ${gates.getTreeItem(c).description}`)));
    assert.deepStrictEqual(cells, [["add-subtract blocked · engine_not_enabled"], ["add-subtract pass"], ["add-subtract blocked · provider_unavailable"], ["add-subtract blocked · provider_unavailable"]]);
    const reasons = (await gates.getChildren(await candidate())).map((e) => String(gates.getTreeItem(e).label));
    assert.ok(reasons.some((t) => /^a compared engine could not run, so it was not compared: case: engine_not_enabled on 1 task\(s\); codex: provider_unavailable on 1 task\(s\); pi: provider_unavailable on 1 task\(s\)$/.test(t)), reasons.join(" | "));
    assert.ok(reasons.some((t) => /^all 4 bundles re-verified/.test(t)), reasons.join(" | "));

    await vscode.commands.executeCommand("workbench.view.extension.cto");
    await gates.view.reveal(engines[3]!, { expand: true, focus: false, select: false });
    await gates.view.reveal(comparisonNode, { expand: 2, focus: true, select: true });
    // Narrow the editor part so the side bar shows the cells' descriptions (best effort; code-server
    // applies the size commands to the editor here).
    for (let i = 0; i < 10; i++) await vscode.commands.executeCommand("workbench.action.decreaseViewWidth").then(undefined, () => undefined);
    await sleep(800);
    await screenshot("stage-gates-comparison");
    for (let i = 0; i < 10; i++) await vscode.commands.executeCommand("workbench.action.increaseViewWidth").then(undefined, () => undefined);
  });
});
