// Done is earned (CONTRACT §5), the core's half: the Validator: line as an argv (no shell), the
// comparison of a verified done record with the doc as typed, the tree states and the
// done-evidence rule. The host's half (signatures, history, the sandboxed run) is in
// test/unit/harness/done.test.ts.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { buildIssueTree, doneEvidence, issueScope, issueStatus, parseDoc, sectionDigest, splitArgv, validatorCommand, type CtoWorkspace, type Issue } from "../../../src/core";
import { byRule, DISCLAIMER, findings, fm, FIXTURES, matchingDoneView, options, SEED_REL, validFiles, workspace } from "../helpers";

const argv = (line: string) => {
  const r = splitArgv(line);
  if ("error" in r) throw new Error(`refused: ${r.error}`);
  return r.argv;
};
const refusal = (line: string) => {
  const r = splitArgv(line);
  assert.ok("error" in r, `${JSON.stringify(line)} should be refused, got ${JSON.stringify(r)}`);
  return r;
};

describe("the Validator: line as an argv (no shell)", () => {
  it("splits words; quotes and escapes keep what they hold literally", () => {
    assert.deepEqual(argv("python3 tools/validate_cto_child.py"), ["python3", "tools/validate_cto_child.py"]);
    assert.deepEqual(argv("  node\t-e   'x'  "), ["node", "-e", "x"]);
    assert.deepEqual(argv(`prog "a b" 'c d' e\\ f`), ["prog", "a b", "c d", "e f"]);
    assert.deepEqual(argv(`prog '' ""`), ["prog", "", ""]);
    assert.deepEqual(argv(`prog 'a|b;c&&d>e' '$HOME' "\\$HOME" "say \\"hi\\"" '*.py' '~' '#'`), ["prog", "a|b;c&&d>e", "$HOME", "$HOME", 'say "hi"', "*.py", "~", "#"]);
    assert.deepEqual(argv(`prog ab'cd'"ef"`), ["prog", "abcdef"]);
    // Not a first word: an ordinary argument. A quoted first word is no assignment either.
    assert.deepEqual(argv("make X=1"), ["make", "X=1"]);
    assert.deepEqual(argv("'FOO=1' prog"), ["FOO=1", "prog"]);
    assert.deepEqual(argv("prog a~b c#d"), ["prog", "a~b", "c#d"]);
  });

  it("refuses, at the offending character, whatever only a shell gives a meaning", () => {
    const cases: [string, number, RegExp][] = [
      ["a | b", 2, /'\|' is a pipe/],
      ["cd tools && python3 x.py", 9, /'&' is a background job or an && list/],
      ["a; rm -rf /", 1, /command list/],
      ["a > out.txt", 2, /redirection/],
      ["a < in.txt", 2, /redirection/],
      ["(a)", 0, /subshell/],
      ["echo $(id)", 5, /command substitution/],
      ["echo `id`", 5, /backquote is command substitution/],
      ["echo $HOME", 5, /shell expansion/],
      ['echo "$HOME"', 6, /inside double quotes is a shell expansion/],
      ['echo "`id`"', 6, /backquote inside double quotes/],
      ["ls *.py", 3, /glob/],
      ["ls a?", 4, /glob/],
      ["ls [ab]", 3, /glob/],
      ["echo {a,b}", 5, /brace/],
      ["cat ~/.ssh/id_ed25519", 4, /home-folder expansion/],
      ["prog # comment", 5, /comment/],
      ["FOO=1 prog", 0, /sets an environment variable/],
      ["! prog", 0, /negates/],
      ["prog 'open", 5, /single quote that is never closed/],
      ['prog "open', 5, /double quote that is never closed/],
      ["prog \\", 5, /backslash at the end/],
      ["prog\u0000x", 4, /control character \(U\+0000\)/],
      ["prog \u001b[31m", 5, /control character \(U\+001B\)/],
      ["prog\nrm -rf /", 4, /control character \(U\+000A\)/],
      ["", 0, /empty/],
      ["   ", 0, /empty/],
      ["'' arg", 0, /program name is empty/],
    ];
    for (const [line, at, re] of cases) {
      const r = refusal(line);
      assert.match(r.error, re, JSON.stringify(line));
      assert.equal(r.at, at, `${JSON.stringify(line)}: ${r.error}`);
    }
  });

  it("bounds a line: a command, not a script", () => {
    assert.match(refusal("x ".repeat(300)).error, /more than 256 words/);
    assert.match(refusal("x" + "y".repeat(9000)).error, /longer than 8192 characters/);
  });
});

/** A one-issue workspace whose issue has the given Validator: value (and, optionally, every criterion checked). */
function oneIssue(validator: string, checked = true, extra = ""): CtoWorkspace {
  const mark = checked ? "x" : " ";
  const issues = [
    fm({ name: "issues", source: "prd.md" }),
    "# Issues",
    "",
    DISCLAIMER,
    "",
    "### CTO-WORK-002 - The work",
    "",
    "Type: AFK",
    "",
    "Blocked by: CTO-WORK-001",
    "",
    "What to build: Something small.",
    "",
    "Acceptance criteria:",
    "",
    `- [${mark}] It works.`,
    `- [${mark}] It is tested.`,
    "",
    "Allowed files: `src/**`, `test/**`",
    "",
    `Validator: ${validator}`,
    "",
    "Done evidence: validator JSON, clean worktree, commit.",
    extra,
    "### CTO-WORK-003 - After it",
    "",
    "Type: AFK",
    "",
    "Blocked by: CTO-WORK-002",
    "",
    "What to build: More.",
    "",
    "Acceptance criteria:",
    "",
    "- [ ] More works.",
    "",
    "Allowed files: docs only.",
    "",
    "Validator: `npm test`",
    "",
    "Done evidence: validator JSON.",
    "",
  ].join("\n");
  return workspace(validFiles({ "issues.md": issues }));
}
const issue2 = (ws: CtoWorkspace): Issue => ws.definitions("CTO-WORK-002")[0]!.issue;

describe("validatorCommand: the issue's line, located", () => {
  it("reads the seed's own Validator: line exactly (a code span)", () => {
    const doc = parseDoc(SEED_REL, readFileSync(path.join(FIXTURES, "workspace", SEED_REL)));
    for (const i of doc.issues) {
      const c = validatorCommand(i);
      assert.ok("argv" in c, i.id);
      assert.deepEqual(c.argv, ["python3", "tools/validate_cto_child.py"]);
    }
  });

  it("takes a bare command and a double-backquote span too", () => {
    const c1 = validatorCommand(issue2(oneIssue("node check.js --strict")));
    assert.ok("argv" in c1 && c1.argv.join(" ") === "node check.js --strict");
    const c2 = validatorCommand(issue2(oneIssue("`` node -e 'a' ``")));
    assert.ok("argv" in c2);
    assert.deepEqual(c2.argv, ["node", "-e", "a"]);
  });

  it("locates a shell operator at its column in the file", () => {
    const ws = oneIssue("`cd tools && python3 x.py`");
    const c = validatorCommand(issue2(ws));
    assert.ok("problem" in c);
    const doc = ws.docs.get("issues.md")!;
    const { line, column } = c.problem.range;
    assert.equal(doc.lines.lineText(line), "Validator: `cd tools && python3 x.py`");
    assert.equal(doc.lines.lineText(line)[column - 1], "&");
    assert.match(c.problem.message, /^CTO-WORK-002's Validator: '&' is a background job or an && list, which needs a shell/);
  });

  it("refuses prose or several commands around code spans, an empty line, a missing line", () => {
    const several = validatorCommand(issue2(oneIssue("`cto validate` on this workspace, then `cto fixtures`")));
    assert.ok("problem" in several && /must hold one command/.test(several.problem.message));
    const trailing = validatorCommand(issue2(oneIssue("`npm test` (in CI)")));
    assert.ok("problem" in trailing && /must hold one command/.test(trailing.problem.message));
    const empty = validatorCommand(issue2(oneIssue("")));
    assert.ok("problem" in empty && /line is empty/.test(empty.problem.message));
    const none = validatorCommand({ ...issue2(oneIssue("x")), fields: [] });
    assert.ok("problem" in none && /has no 'Validator:' line/.test(none.problem.message));
  });
});

describe("issueScope: the files a done record depends on", () => {
  it("is the globs when Allowed files lists only code spans, every file otherwise", () => {
    assert.deepEqual(issueScope(issue2(oneIssue("x")))?.map((g) => g.glob), ["src/**", "test/**"]);
    const seed = parseDoc(SEED_REL, readFileSync(path.join(FIXTURES, "workspace", SEED_REL)));
    // "CTO child workspace planning docs and local validator only." names no file exactly.
    assert.equal(issueScope(seed.issues[0]!), null);
    const ws = oneIssue("x");
    const mixed = ws.docs.get("issues.md")!.text.replace("Allowed files: `src/**`, `test/**`", "Allowed files: `src/**` and the docs");
    ws.setDoc("issues.md", mixed);
    assert.equal(issueScope(issue2(ws)), null);
  });
});

describe("done is earned: the tree states and the record comparison", () => {
  const state = (ws: CtoWorkspace, id: string) => issueStatus(ws, id)!.state;

  it("an unchecked issue is ready or blocked, with no evidence asked for", () => {
    const ws = oneIssue("`npm test`", false);
    ws.setDoneRecords(new Map());
    assert.equal(state(ws, "CTO-WORK-002"), "ready");
    assert.equal(issueStatus(ws, "CTO-WORK-002")!.evidence, undefined);
    assert.equal(state(ws, "CTO-WORK-003"), "blocked");
  });

  it("every box checked without a record is 'checked', and what it unblocks stays blocked", () => {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map());
    assert.equal(state(ws, "CTO-WORK-002"), "checked");
    assert.match(issueStatus(ws, "CTO-WORK-002")!.evidence!.reason!, /no done record \(\.cto\/done\/CTO-WORK-002\.json\): run `cto done CTO-WORK-002`/);
    assert.equal(state(ws, "CTO-WORK-003"), "blocked");
    const tree = buildIssueTree(ws, "tree");
    assert.deepEqual(tree.ready, [], "a checked issue is not 'ready to start', its dependant is blocked");
    // Records never read (a host that did not look) is no evidence either: fail closed.
    const unread = oneIssue("`npm test`");
    assert.equal(state(unread, "CTO-WORK-002"), "checked");
  });

  it("a record that matches the doc makes it done, and its dependant ready", () => {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map([["CTO-WORK-002", matchingDoneView(ws, "CTO-WORK-002")]]));
    assert.equal(state(ws, "CTO-WORK-002"), "done");
    assert.equal(issueStatus(ws, "CTO-WORK-002")!.evidence!.state, "evidenced");
    assert.equal(state(ws, "CTO-WORK-003"), "ready");
    assert.deepEqual(buildIssueTree(ws, "tree").ready, ["CTO-WORK-003"]);
    // The "unblocks" mode leaves done issues out, checked ones in.
    assert.deepEqual(buildIssueTree(ws, "unblocks").roots.map((n) => n.id), ["CTO-WORK-003"]);
  });

  it("the host's reason (signature, history, recheck) is the reason shown", () => {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map([["CTO-WORK-002", matchingDoneView(ws, "CTO-WORK-002", ["its signature is bad: it was changed after signing"])]]));
    assert.equal(state(ws, "CTO-WORK-002"), "checked");
    const ev = doneEvidence(ws, "CTO-WORK-002")!;
    assert.equal(ev.state, "void");
    assert.equal(ev.reason, "its signature is bad: it was changed after signing");
  });

  /** Records the issue as it is, then edits the doc; the record stops counting and says why. */
  function editedAfterRecord(from: string, to: string): string {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map([["CTO-WORK-002", matchingDoneView(ws, "CTO-WORK-002")]]));
    assert.equal(state(ws, "CTO-WORK-002"), "done");
    const text = ws.docs.get("issues.md")!.text;
    assert.ok(text.includes(from), from);
    ws.setDoc("issues.md", text.replace(from, to));
    assert.equal(state(ws, "CTO-WORK-002"), "checked");
    assert.equal(state(ws, "CTO-WORK-003"), "blocked");
    return doneEvidence(ws, "CTO-WORK-002")!.reason!;
  }

  it("stops counting when a criterion is edited, added or removed since the record", () => {
    assert.match(editedAfterRecord("- [x] It is tested.", "- [x] It is tested twice."), /the acceptance criteria changed since the record \(1 new or edited: 'It is tested twice\.'; 1 no longer there: 'It is tested\.'\)/);
    assert.match(editedAfterRecord("- [x] It is tested.\n", "- [x] It is tested.\n- [x] It is fast.\n"), /1 new or edited: 'It is fast\.'/);
    assert.match(editedAfterRecord("- [x] It works.\n", ""), /1 no longer there: 'It works\.'/);
  });

  it("stops counting when the Validator: line changed since the record", () => {
    assert.match(editedAfterRecord("Validator: `npm test`\n\nDone evidence: validator JSON, clean", "Validator: `npm run lint`\n\nDone evidence: validator JSON, clean"), /the Validator: line changed since the record \(it ran "npm test"\)/);
    // A line that can no longer run at all is a change too.
    assert.match(editedAfterRecord("Validator: `npm test`\n\nDone evidence: validator JSON, clean", "Validator: `npm test | tee log`\n\nDone evidence: validator JSON, clean"), /the Validator: line changed/);
  });

  it("stops counting when anything else in the issue's section changed", () => {
    assert.match(editedAfterRecord("What to build: Something small.", "What to build: Something larger."), /the issue's section changed since the record/);
  });

  it("the section digest ignores line endings and trailing blanks, nothing else", () => {
    const ws = oneIssue("`npm test`");
    const text = ws.docs.get("issues.md")!.text;
    const i = issue2(ws);
    const lf = sectionDigest(ws.docs.get("issues.md")!, i);
    const crlf = parseDoc("issues.md", text.replace(/\n/g, "\r\n").replace("It works.", "It works.   "));
    assert.equal(sectionDigest(crlf, crlf.issues[0]!), lf);
    const other = parseDoc("issues.md", text.replace("It works.", "It works!"));
    assert.notEqual(sectionDigest(other, other.issues[0]!), lf);
  });

  it("another issue's edit in the same doc leaves the record counting", () => {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map([["CTO-WORK-002", matchingDoneView(ws, "CTO-WORK-002")]]));
    ws.setDoc("issues.md", ws.docs.get("issues.md")!.text.replace("- [ ] More works.", "- [x] More works."));
    assert.equal(state(ws, "CTO-WORK-002"), "done");
    assert.equal(state(ws, "CTO-WORK-003"), "checked");
  });
});

describe("rule done-evidence", () => {
  it("warns on the Done evidence: line of a fully checked issue without a record that holds", () => {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map());
    const f = byRule(findings(ws), "done-evidence");
    assert.equal(f.length, 1);
    assert.equal(f[0].severity, "warning");
    const doc = ws.docs.get("issues.md")!;
    assert.equal(doc.lines.lineText(f[0].range.line), "Done evidence: validator JSON, clean worktree, commit.");
    assert.deepEqual([f[0].range.column, f[0].range.endColumn], [1, 14]);
    assert.match(f[0].message, /^CTO-WORK-002 is checked, not evidenced: no done record/);
  });

  it("is silent on an evidenced issue and on unchecked ones; says why a record stopped counting", () => {
    const ws = oneIssue("`npm test`");
    ws.setDoneRecords(new Map([["CTO-WORK-002", matchingDoneView(ws, "CTO-WORK-002")]]));
    assert.deepEqual(byRule(findings(ws), "done-evidence"), []);
    ws.setDoneRecords(new Map([["CTO-WORK-002", matchingDoneView(ws, "CTO-WORK-002", ["its commit 0123456789ab is not an ancestor of HEAD 89abcdef0123 (the branch was reset, rebased or switched): run `cto done CTO-WORK-002` again"])]]));
    const f = byRule(findings(ws), "done-evidence");
    assert.equal(f.length, 1);
    assert.match(f[0].message, /checked, not evidenced: its commit 0123456789ab is not an ancestor of HEAD/);
  });

  it("follows its severity setting, and leaves the fixture workspace clean", () => {
    const ws = oneIssue("`npm test`");
    assert.deepEqual(byRule(findings(ws, options({ severities: { "done-evidence": "off" } })), "done-evidence"), []);
    assert.equal(byRule(findings(ws, options({ severities: { "done-evidence": "error" } })), "done-evidence")[0].severity, "error");
    assert.deepEqual(byRule(findings(workspace(validFiles())), "done-evidence"), []);
  });

  it("reports a duplicated issue once, on its first definition", () => {
    const ws = oneIssue("`npm test`");
    const text = ws.docs.get("issues.md")!.text;
    const section = text.slice(text.indexOf("### CTO-WORK-002"), text.indexOf("### CTO-WORK-003"));
    ws.setDoc("more.md", `${fm({ name: "more", source: "prd.md" })}\n# More\n\n${DISCLAIMER}\n\n${section}`);
    const f = byRule(findings(ws), "done-evidence");
    assert.equal(f.length, 1);
  });
});
