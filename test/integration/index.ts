// Entry point the extension host loads (extensionTestsPath): runs every *.test.js bundled beside
// this file with mocha and reports the counts in a line the runner parses, because the only channel
// out of a code-server extension host is its console.
import * as fs from "fs";
import * as path from "path";
import Mocha from "mocha";

export interface SuiteResults {
  passed: number;
  failed: number;
  skipped: number;
  failures: { title: string; message: string }[];
}

/** Test files below `dir`, as sorted relative paths, so the order is the same on every host. */
function testFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(path.join(dir, rel))) {
    const r = path.join(rel, name);
    if (fs.statSync(path.join(dir, r)).isDirectory()) out.push(...testFiles(dir, r));
    else if (name.endsWith(".test.js")) out.push(r);
  }
  return out.sort();
}

export function run(): Promise<void> {
  // A trust run (workspace opened untrusted) takes only *.untrusted.test.js; a normal run the rest.
  const untrusted = process.env.CTO_TEST_TRUST === "untrusted";
  // CTO_TEST_FILES (comma-separated) picks files by name, e.g. the smoke test for the installed .vsix.
  const only = process.env.CTO_TEST_FILES?.split(",").filter(Boolean);
  // CTO_TEST_EXCLUDE: suites that walk a workspace of their own run in a host of their own (scripts/test.mjs).
  const exclude = new Set(process.env.CTO_TEST_EXCLUDE?.split(",").filter(Boolean));
  const files = testFiles(__dirname).filter((f) => (only ? only.includes(path.basename(f)) : f.endsWith(".untrusted.test.js") === untrusted && !exclude.has(path.basename(f))));
  const mocha = new Mocha({ ui: "tdd", timeout: 60_000, color: false, reporter: "spec" });
  Mocha.interfaces.bdd(mocha.suite); // describe/it too, as in the unit tests: one style per file, either works
  if (process.env.CTO_TEST_GREP) mocha.grep(process.env.CTO_TEST_GREP);
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  const results: SuiteResults = { passed: 0, failed: 0, skipped: 0, failures: [] };
  return new Promise<void>((resolve, reject) => {
    const runner = mocha.run(() => {
      console.log(`__CTO_RESULTS__ ${JSON.stringify(results)}`);
      // Also written to a file: a desktop VS Code's console does not reach the runner.
      if (process.env.CTO_RESULTS_FILE) fs.writeFileSync(process.env.CTO_RESULTS_FILE, JSON.stringify(results));
      console.log(`integration (${files.length} file(s)): ${results.passed} passed, ${results.failed} failed`
        + (results.skipped ? `, ${results.skipped} skipped` : ""));
      if (results.failed > 0) reject(new Error(`${results.failed} integration test(s) failed`));
      else resolve();
    });
    runner.on("pass", () => { results.passed++; });
    runner.on("pending", () => { results.skipped++; });
    // Also fires for failing hooks, which then count as failures: a broken suiteSetup is not a pass.
    runner.on("fail", (test, err: unknown) => {
      results.failed++;
      results.failures.push({ title: test.fullTitle(), message: err instanceof Error ? err.message : String(err) });
    });
  });
}
