// .cto/config.yaml: parsing with located problems, agreement with its JSON Schema, layering
// (defaults < config < flags/settings), and each key's effect on a real validation.
import * as assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import { CONFIG_FILE, discoverWorkspaces, loadWorkspace, nodeFs, optionsFor, parseConfig, validateWorkspace } from "../../../src/core";
import { byRule, FIXTURES, findings, options, REPO, validFiles, workspace } from "../helpers";

const schema = JSON.parse(readFileSync(path.join(REPO, "schemas", "config.schema.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: true });
const schemaValid = ajv.compile(schema);
const yamlToJs = (text: string) => require("yaml").parse(text);

function problemsOf(text: string) {
  return parseConfig(text).problems.map((p) => `${p.range.line}:${p.range.column} ${p.message}`);
}

describe(".cto/config.yaml", () => {
  it("reads every key", () => {
    const { config, problems } = parseConfig(readFileSync(path.join(FIXTURES, "configured", CONFIG_FILE), "utf8"));
    assert.deepEqual(problems, []);
    assert.deepEqual(config, {
      rules: { "stale-review": "error", "local-disclaimer": "warning", "record-structure": "off" },
      maxReviewAgeDays: 30,
      candidates: ["nova"],
      ignore: ["archive/", "**/*.draft.md"],
      evidenceFolder: "evidence/runs",
      fixturesFolder: "harness-fixtures",
    });
  });

  it("locates every problem on the key or value at fault", () => {
    const text = [
      "rules:",
      "  authority-drift: loud", // 2: bad severity
      "  no-such-rule: error", // 3: unknown rule
      "  config: off", // 4: config cannot be configured
      "maxReviewAgeDays: -3", // 5
      "candidates: [nova, 'deep coder']", // 6
      "ignore: [/etc/**, ../x/**, '!keep.md', ok/**]", // 7
      "evidenceFolder: ../../elsewhere", // 8
      "fixturesFolder: /abs", // 9
      "colour: blue", // 10: unknown key
    ].join("\n");
    assert.deepEqual(problemsOf(text), [
      "2:20 severity of 'authority-drift' must be error, warning, info or off",
      "3:3 unknown rule 'no-such-rule' (rules: required-artifact, promotion-status, local-disclaimer, authority-drift, workboard-entry, stale-review, frontmatter, issue-structure, dependency, readiness-claim, record-structure, suppression, unused-suppression)",
      "4:3 'config' reports problems in this file itself; it is always an error",
      "5:19 maxReviewAgeDays must be a whole number of days (0 or more)",
      "6:20 candidate name 'deep coder' must be one word of letters a-z and digits",
      "7:10 ignore pattern '/etc/**': must be relative to the workspace root",
      "7:19 ignore pattern '../x/**': must not climb out of the workspace with '..'",
      "7:28 ignore pattern '!keep.md': negated patterns are not supported (list what to ignore)",
      "8:17 evidenceFolder must stay inside the workspace (got '../../elsewhere')",
      "9:17 fixturesFolder must be relative to the workspace root (got '/abs')",
      "10:1 unknown key 'colour' (known: version, rules, maxReviewAgeDays, candidates, ignore, evidenceFolder, fixturesFolder)",
    ]);
    // What was well-formed still applies.
    const { config } = parseConfig(text);
    assert.deepEqual(config.candidates, ["nova"]);
    assert.deepEqual(config.ignore, ["ok/**"]);
    assert.equal(config.maxReviewAgeDays, undefined);
  });

  it("reports YAML syntax errors at their position, and a non-mapping at its start", () => {
    const [p] = parseConfig("rules:\n  stale-review: [error\n").problems;
    assert.match(p.message, /^YAML: /);
    assert.ok(p.range.line >= 2, JSON.stringify(p.range));
    assert.deepEqual(problemsOf("- a\n- b\n"), ["1:1 the config must be a mapping of keys (rules, maxReviewAgeDays, candidates, ignore, evidenceFolder, fixturesFolder)"]);
    assert.deepEqual(problemsOf("rules: {a: b, a: c}\n").length, 1); // duplicate key
    assert.deepEqual(problemsOf(""), []);
    assert.deepEqual(problemsOf("# only a comment\n"), []);
  });

  it("agrees with schemas/config.schema.json on what is valid", () => {
    const samples = [
      readFileSync(path.join(FIXTURES, "configured", CONFIG_FILE), "utf8"),
      "rules: {stale-review: off}",
      "rules: {stale-review: loud}",
      "rules: {nope: error}",
      "rules: {config: off}",
      "maxReviewAgeDays: 0",
      "maxReviewAgeDays: 1.5",
      "maxReviewAgeDays: -1",
      "candidates: [nova, orca2]",
      "candidates: [deep-coder]",
      "candidates: nova",
      "ignore: ['docs/**']",
      "ignore: ['/abs/**']",
      "ignore: ['a/../../b']",
      "ignore: ['!x']",
      "ignore: ['']",
      "evidenceFolder: runs",
      "evidenceFolder: ../runs",
      "evidenceFolder: /tmp/runs",
      "evidenceFolder: 'C:\\\\runs'",
      "fixturesFolder: fx/rows",
      "version: 1",
      "version: 2",
      "other: 1",
    ];
    for (const s of samples) {
      const ours = parseConfig(s).problems.length === 0;
      const theirs = schemaValid(yamlToJs(s) ?? {});
      assert.equal(ours, theirs, `${JSON.stringify(s)}: parser says ${ours ? "valid" : "invalid"}, schema says ${theirs ? "valid" : "invalid"} ${JSON.stringify(schemaValid.errors)}`);
    }
  });

  it("layers defaults < config < flags or settings, rule by rule", () => {
    const { config } = parseConfig("rules: {stale-review: error, local-disclaimer: warning}\nmaxReviewAgeDays: 30\nignore: [a/**]\n");
    const o = optionsFor(config, { today: "2026-06-01", severities: { "stale-review": "off" } });
    assert.deepEqual(o.severities, { "stale-review": "off", "local-disclaimer": "warning" });
    assert.equal(o.maxReviewAgeDays, 30);
    assert.equal(optionsFor(config, { maxReviewAgeDays: 5 }).maxReviewAgeDays, 5);
    assert.equal(optionsFor(undefined, {}).maxReviewAgeDays, 90);
    assert.deepEqual(o.ignore, ["a/**"]);
    assert.equal(o.inlineConfig, true);
  });

  it("candidates: an extra candidate name is judged like case", () => {
    const files = validFiles({ "prd.md": validFiles()["prd.md"] + "\nFrom June on, Nova is the default.\n" });
    assert.equal(byRule(findings(workspace(files)), "authority-drift").length, 0);
    const ws = workspace(files);
    ws.setConfig("candidates: [nova]\n");
    const found = byRule(findings(ws), "authority-drift");
    assert.equal(found.length, 1);
    assert.match(found[0].message, /Nova is the default/);
    // Also through .cto/lexicon.yaml's `candidates`, and the config adds to it.
    ws.setConfig(undefined);
    ws.setLexicon("candidates: [orca]\n");
    ws.setDoc("prd.md", files["prd.md"] + "Orca becomes the default.\n");
    assert.equal(byRule(findings(ws), "authority-drift").length, 1);
    ws.setConfig("candidates: [nova]\n");
    assert.equal(byRule(findings(ws), "authority-drift").length, 2);
  });

  it("ignore: ignored docs get no findings; the config's own problems are always reported", () => {
    const files = validFiles({ "archive/old.md": "---\nname: old\ncore_promotion_status: promoted\n---\n\nCase is the default backend.\n" });
    const ws = workspace(files);
    assert.ok(findings(ws).some((f) => f.file === "archive/old.md"));
    ws.setConfig("ignore: [archive/]\n");
    const res = validateWorkspace(ws, optionsFor(ws.config, { today: "2026-06-01" }));
    assert.deepEqual(res.get("archive/old.md"), []);
    ws.setConfig("ignore: [archive/]\nrules: {config: off}\n");
    const cfg = validateWorkspace(ws, optionsFor(ws.config, { today: "2026-06-01", severities: { config: "off" } })).get(CONFIG_FILE)!;
    assert.equal(cfg.length, 1, "the config rule cannot be turned off, by the config or by a flag");
    assert.equal(cfg[0].severity, "error");
  });

  it("a config that cannot be read is an error, never 'no config'", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cto-cfg-"));
    try {
      writeFileSync(path.join(dir, "WORKBOARD.yaml"), "docs: []\n");
      mkdirSync(path.join(dir, ".cto"));
      writeFileSync(path.join(dir, CONFIG_FILE), Buffer.from([0x72, 0x75, 0x6c, 0x65, 0x73, 0x00, 0x3a]));
      const ws = await loadWorkspace((await discoverWorkspaces(dir, nodeFs))[0], nodeFs);
      const f = validateWorkspace(ws, options()).get(CONFIG_FILE)!;
      assert.equal(f.length, 1);
      assert.equal(f[0].rule, "config");
      assert.match(f[0].message, /binary/);
      rmSync(path.join(dir, CONFIG_FILE));
      mkdirSync(path.join(dir, CONFIG_FILE));
      const ws2 = await loadWorkspace((await discoverWorkspaces(dir, nodeFs))[0], nodeFs);
      assert.match(validateWorkspace(ws2, options()).get(CONFIG_FILE)![0].message, /not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
