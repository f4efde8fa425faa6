// `cto validate --format text|json|sarif|github`: the SARIF validates against the official
// SARIF 2.1.0 schema; GitHub annotations are escaped as GitHub requires; all four formats report
// the same findings; suppressed findings are listed for audits.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { main } from "../../src/cli/main";
import { escapeData, escapeProperty } from "../../src/cli/format/github";
import type { CliIo } from "../../src/cli/io";
import { FIXTURES, REPO, TODAY } from "./helpers";

async function cto(args: string[], cwd = REPO, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: { CTO_TODAY: TODAY, ...env } };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const SCHEMA_FILE = path.join(REPO, "test", "schemas", "sarif-schema-2.1.0.json");
let validateSarif: ReturnType<Ajv["compile"]> | undefined;
function sarifValidator() {
  if (!validateSarif) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validateSarif = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")));
  }
  return validateSarif;
}

/** A finding as every format can say it: file (cwd-relative), position, severity, rule, message. */
type Row = string;
const row = (file: string, l: number, c: number, el: number, ec: number, sev: string, rule: string, msg: string): Row => `${file}:${l}:${c}-${el}:${ec} ${sev} ${rule} ${msg}`;

describe("cto validate --format", () => {
  const configured = "fixtures/configured";

  it("uses the official SARIF 2.1.0 schema, unchanged", () => {
    const sha = createHash("sha256").update(readFileSync(SCHEMA_FILE)).digest("hex");
    assert.equal(sha, "10666d46649b52e262001e70d43e6c52f7c0279ca3dbdfe9a7dc2e4071556454");
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));
    assert.equal(schema.$id, "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json");
  });

  it("sarif validates against the schema for every fixture workspace, and the schema does reject broken logs", async () => {
    const dirs = ["fixtures/workspace", configured, ...readdirSync(path.join(FIXTURES, "broken")).map((d) => `fixtures/broken/${d}`)];
    for (const d of dirs) {
      const r = await cto(["validate", d, "--format", "sarif"]);
      assert.ok(r.code === 0 || r.code === 1, `${d}: exit ${r.code} ${r.err}`);
      const log = JSON.parse(r.out);
      const v = sarifValidator();
      assert.ok(v(log), `${d}: ${JSON.stringify(v.errors, null, 1)}`);
      // A control: the same log with a result's level misspelt must fail, or the check proves nothing.
      const bad = structuredClone(log);
      bad.runs[0].results.push({ ...(bad.runs[0].results[0] ?? { message: { text: "x" } }), level: "fatal" });
      assert.equal(v(bad), false, `${d}: the schema accepted a bad level`);
    }
  });

  it("sarif carries rule metadata with help links to each rule's section, fixes and suppressions", async () => {
    const log = JSON.parse((await cto(["validate", configured, "--format", "sarif"])).out);
    const driver = log.runs[0].tool.driver;
    const rulesDoc = readFileSync(path.join(REPO, "docs", "rules.md"), "utf8");
    for (const rule of driver.rules) {
      assert.ok(rule.shortDescription.text.length > 10, rule.id);
      assert.match(rule.helpUri, new RegExp(`^file://.*/docs/rules\\.md#${rule.id}$`));
      assert.ok(rulesDoc.includes(`\n## ${rule.id}\n`), `docs/rules.md has no section '## ${rule.id}'`);
    }
    assert.equal((await cto(["validate", configured, "--format", "sarif"], REPO, { CTO_DOCS_URL: "https://example.test/cto/docs/" })).out.includes('"helpUri": "https://example.test/cto/docs/rules.md#authority-drift"'), true);
    const results = log.runs[0].results;
    for (const r of results) assert.equal(driver.rules[r.ruleIndex].id, r.ruleId);
    const suppressed = results.filter((r: { suppressions?: unknown[] }) => r.suppressions);
    assert.deepEqual(suppressed.map((r: { suppressions: { justification: string }[] }) => r.suppressions[0].justification), [
      "verbatim from the proposal we turned down in May",
      "the vendor's pitch, verbatim, kept for the record",
      "the vendor's pitch, verbatim, kept for the record",
    ]);
    const stale = results.find((r: { ruleId: string }) => r.ruleId === "stale-review");
    assert.deepEqual(stale.fixes[0].artifactChanges[0].replacements[0], {
      deletedRegion: { startLine: 7, startColumn: 16, endLine: 7, endColumn: 26 },
      insertedContent: { text: TODAY },
    });
    assert.equal(stale.fixes[0].artifactChanges[0].artifactLocation.uri, "fixtures/configured/.sot/NOVA-PRD.md");
  });

  it("text, json, sarif and github report the same findings", async () => {
    const text = (await cto(["validate", configured])).out.split("\n").map((l) => /^(.+?):(\d+):(\d+): (\w+) (\S+) (.*)$/.exec(l)!);
    const json = JSON.parse((await cto(["validate", configured, "--format", "json"])).out);
    const sarif = JSON.parse((await cto(["validate", configured, "--format", "sarif"])).out).runs[0].results;
    const gh = (await cto(["validate", configured, "--format", "github"])).out.split("\n");
    const LEVEL: Record<string, string> = { error: "error", warning: "warning", note: "info", notice: "info" };
    const fromJson = json.findings.map((f: Record<string, never>) => row(`${configured}/${f.file}`, f.line, f.column, f.end_line, f.end_column, f.severity, f.rule, f.message));
    const fromSarif = sarif
      .filter((r: { suppressions?: unknown }) => !r.suppressions)
      .map((r: { locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[]; level: string; ruleId: string; message: { text: string } }) => {
        const p = r.locations[0].physicalLocation;
        return row(decodeURIComponent(p.artifactLocation.uri), p.region.startLine, p.region.startColumn, p.region.endLine, p.region.endColumn, LEVEL[r.level], r.ruleId, r.message.text);
      });
    const fromGithub = gh.map((l) => {
      const m = /^::(\w+) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+)(?:,endColumn=(\d+))?,title=cto ([^:]+)::(.*)$/.exec(l)!;
      assert.ok(m, l);
      const un = (s: string) => s.replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
      const endCol = m[6] ? Number(m[6]) + 1 : undefined;
      return { m, endCol, un };
    });
    assert.equal(fromJson.length, 6);
    assert.deepEqual(fromSarif, fromJson);
    assert.deepEqual(text.map((m) => `${m[1]}:${m[2]}:${m[3]} ${m[4]} ${m[5]} ${m[6]}`), fromJson.map((r: string) => r.replace(/-\d+:\d+ /, " ")));
    assert.deepEqual(
      fromGithub.map(({ m, endCol, un }) => row(un(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), endCol ?? -1, LEVEL[m[1]], un(m[7]), un(m[8]))),
      json.findings.map((f: Record<string, never>) => row(`${configured}/${f.file}`, f.line, f.column, f.end_line, f.end_line === f.line ? f.end_column : -1, f.severity, f.rule, f.message)),
    );
  });

  it("json lists suppressed findings with their reasons; --no-inline-config reports them instead", async () => {
    const j = JSON.parse((await cto(["validate", configured, "--json"])).out);
    assert.equal(j.inline_config, true);
    assert.deepEqual(
      j.suppressed.map((s: { file: string; line: number; rule: string; reason: string; suppression: object }) => [s.file, s.line, s.rule, s.reason, s.suppression]),
      [
        [".sot/NOVA-PRD.md", 31, "authority-drift", "verbatim from the proposal we turned down in May", { kind: "next-line", line: 30, column: 1 }],
        [".sot/NOVA-PRD.md", 34, "readiness-claim", "the vendor's pitch, verbatim, kept for the record", { kind: "block", line: 33, column: 1 }],
        [".sot/NOVA-PRD.md", 35, "readiness-claim", "the vendor's pitch, verbatim, kept for the record", { kind: "block", line: 33, column: 1 }],
      ],
    );
    assert.deepEqual(j.skipped, [
      { file: ".sot/IDEAS.draft.md", reason: "ignored by .cto/config.yaml ('**/*.draft.md')" },
      { file: "archive/OLD-PLAN.md", reason: "ignored by .cto/config.yaml ('archive/')" },
      { file: "harness-fixtures/repo/README.md", reason: "no YAML frontmatter: not a planning doc" },
    ]);
    const audit = JSON.parse((await cto(["validate", configured, "--json", "--no-inline-config"])).out);
    assert.equal(audit.inline_config, false);
    assert.deepEqual(audit.suppressed, []);
    const rules = audit.findings.map((f: { rule: string; line: number; file: string }) => `${f.file}:${f.line} ${f.rule}`);
    for (const r of [".sot/NOVA-PRD.md:31 authority-drift", ".sot/NOVA-PRD.md:34 readiness-claim", ".sot/NOVA-PRD.md:35 readiness-claim"]) assert.ok(rules.includes(r), rules.join("\n"));
    assert.ok(!rules.some((r: string) => /suppression/.test(r)), rules.join("\n"));
    const text = await cto(["validate", configured, "--no-inline-config"]);
    assert.match(text.err, /inline suppressions ignored \(--no-inline-config\)/);
  });

  it("flags override the config, and usage errors exit 2", async () => {
    const j = JSON.parse((await cto(["validate", configured, "--json", "--rule", "stale-review=off", "--max-review-age-days", "365", "--rule", "record-structure=error"])).out);
    const rules = j.findings.map((f: { rule: string }) => f.rule);
    assert.ok(!rules.includes("stale-review"));
    assert.ok(rules.includes("record-structure"));
    assert.equal((await cto(["validate", configured, "--format", "junit"])).code, 2);
    assert.equal((await cto(["validate", configured, "--json", "--format", "sarif"])).code, 2);
    assert.equal((await cto(["validate", configured, "--rule", "config=off"])).code, 2);
  });

  it("github: annotations escape %, CR, LF in messages and also ':' and ',' in properties", async () => {
    assert.equal(escapeData("100% done\r\nnext: a, b"), "100%25 done%0D%0Anext: a, b");
    assert.equal(escapeProperty("C:\\a,b%\n"), "C%3A\\a%2Cb%25%0A");
    const dir = mkdtempSync(path.join(tmpdir(), "cto-gh-"));
    try {
      cpSync(path.join(FIXTURES, "broken", "authority-drift"), dir, { recursive: true });
      const odd = ".sot/03-PROTOCOLS/odd,name:100%.md";
      renameSync(path.join(dir, ".sot/03-PROTOCOLS/CTO-CASE-SMOKE-PRD.md"), path.join(dir, odd));
      const r = await cto(["validate", ".", "--format", "github", "--rule", "stale-review=off", "--rule", "workboard-entry=off", "--rule", "required-artifact=off"], dir);
      assert.equal(r.code, 1);
      assert.equal(
        r.out,
        "::error file=.sot/03-PROTOCOLS/odd%2Cname%3A100%25.md,line=26,col=3,endLine=26,endColumn=57,title=cto authority-drift::claims default status: a candidate backend earns default status only through staged, evidenced gates ('Make case the default')",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
