// The task file: exactly CONTRACT §4's keys (plus test_timeout_s); unknown keys
// and bad values are errors naming the key and its line; `cto run` exits 2.
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { parseTask, TaskError } from "../../../src/harness";
import { main } from "../../../src/cli/main";
import { cleanupTemps, FIXTURES, schemaValidator, tempDir } from "./helpers";
import { writeFileSync, readFileSync } from "node:fs";
import { parse } from "yaml";

const problems = (text: string) => {
  try {
    parseTask(text, "/x/task.yaml");
  } catch (e) {
    assert.ok(e instanceof TaskError);
    return (e as TaskError).problems;
  }
  assert.fail("expected a TaskError");
};

describe("harness: task file", () => {
  after(cleanupTemps);

  it("parses the contract's example with defaults that fail closed", () => {
    const t = parseTask(`id: add-subtract\nrepo: ./repo\n`, "/x/task.yaml");
    assert.equal(t.repo, "/x/repo");
    assert.deepEqual(t.allowed_files, []);
    assert.equal(t.test_command, undefined);
    assert.deepEqual(t.approvals, { policy: "deny" });
    assert.deepEqual(t.reviewer, { policy: "approve" });
    assert.equal(t.timeout_s, 600);
    assert.equal(t.test_timeout_s, 300);
    assert.match(t.sha256, /^[0-9a-f]{64}$/);
  });

  it("an unknown key is an error naming the key and its line and column", () => {
    const p = problems(`id: x\nrepo: ./r\nallowed_file: ["src/**"]\n`);
    assert.equal(p.length, 1);
    assert.match(p[0]!.message, /unknown key 'allowed_file'/);
    assert.deepEqual([p[0]!.line, p[0]!.column], [3, 1]);
  });

  it("unknown keys inside reviewer, approvals and scenario steps are errors too", () => {
    const p = problems(`id: x\nrepo: ./r\nreviewer: { polcy: approve }\napprovals: { policy: deny, mode: x }\nscenario:\n  - write: { path: a, content: b, mode: 1 }\n  - teleport: { to: mars }\n`);
    const msgs = p.map((x) => `${x.line}: ${x.message}`).join("\n");
    assert.match(msgs, /3: unknown key 'polcy' in reviewer/);
    assert.match(msgs, /4: unknown key 'mode' in approvals/);
    assert.match(msgs, /6: unknown key 'mode' in scenario step 'write'/);
    assert.match(msgs, /7: unknown scenario step 'teleport'/);
  });

  it("bad values are errors: missing id, bad timeouts, bad policies, bad argv", () => {
    const p = problems(`repo: ./r\ntimeout_s: -1\ntest_timeout_s: soon\napprovals: { policy: maybe }\ntest_command: node test.js\n`);
    const msgs = p.map((x) => x.message).join("\n");
    for (const re of [/missing required key 'id'/, /'timeout_s' must be a positive/, /'test_timeout_s' must be a positive/, /'approvals.policy' must be deny, grant or ask/, /'test_command' must be a list of strings/]) assert.match(msgs, re);
  });

  it("YAML syntax errors are located, never a crash", () => {
    const p = problems(`id: x\nrepo: [unclosed\n`);
    assert.ok(p[0]!.line >= 2);
  });

  it("cto run exits 2 on an invalid task, printing file:line:col", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "task.yaml"), `id: x\nrepo: .\ntest_comand: ["node"]\n`);
    const err: string[] = [];
    const code = await main(["run", "--engine", "fake", "--task", join(dir, "task.yaml"), "--out", join(dir, "runs")], { out: () => {}, err: (l) => err.push(l), cwd: dir, env: process.env });
    assert.equal(code, 2);
    assert.match(err.join("\n"), /task\.yaml:3:1: unknown key 'test_comand'/);
    assert.equal(await main(["run", "--engine", "nope", "--task", join(dir, "task.yaml")], { out: () => {}, err: () => {}, cwd: dir, env: process.env }), 2);
    assert.equal(await main(["run", "--task", join(dir, "task.yaml")], { out: () => {}, err: () => {}, cwd: dir, env: process.env }), 2);
  });

  it("every fixture task validates against schemas/task.schema.json", () => {
    const v = schemaValidator("task");
    for (const row of ["happy-path", "no-diff", "timeout", "reviewer-reject", "provider-unavailable", "self-approval"]) {
      assert.deepEqual(v(parse(readFileSync(join(FIXTURES, row, "task.yaml"), "utf8"))), [], row);
    }
    assert.notDeepEqual(v({ id: "x", repo: ".", allowed_file: [] }), []);
  });
});
