import * as assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../src/cli/main";
import type { CliIo } from "../../src/cli/io";
import { FIXTURES, TODAY } from "./helpers";

async function cto(args: string[], cwd = FIXTURES, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("cto validate", () => {
  it("exits 0 on the clean fixture workspace and prints no finding lines", async () => {
    const r = await cto(["validate", "workspace", "--today", TODAY]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "");
    assert.match(r.err, /0 errors, 0 warnings, 0 infos in 7 planning docs/);
  });

  it("prints path:line:column: severity rule-id message and exits 1 on errors", async () => {
    const r = await cto(["validate", "broken/authority-drift", "--today", TODAY]);
    assert.equal(r.code, 1);
    assert.equal(
      r.out,
      "broken/authority-drift/.sot/03-PROTOCOLS/CTO-CASE-SMOKE-PRD.md:26:3: error authority-drift claims default status: a candidate backend earns default status only through staged, evidenced gates ('Make case the default')",
    );
  });

  it("prints the contract's JSON shape", async () => {
    const r = await cto(["validate", path.join(FIXTURES, "broken/promotion-status"), "--json"], FIXTURES, { CTO_TODAY: TODAY });
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.deepEqual(Object.keys(j), ["tool", "version", "scope", "backend_ready", "ok", "root", "files", "findings", "suppressed", "inline_config", "skipped", "summary"]);
    assert.equal(j.tool, "cto-validate");
    assert.equal(j.scope, "planning-only");
    assert.equal(j.backend_ready, false);
    assert.equal(j.ok, false);
    assert.equal(j.root, path.join(FIXTURES, "broken/promotion-status"));
    assert.deepEqual(j.findings, [
      {
        rule: "promotion-status",
        severity: "error",
        file: ".sot/03-PROTOCOLS/CTO-CASE-SMOKE-PRD.md",
        line: 9,
        column: 24,
        end_line: 9,
        end_column: 32,
        message: "core_promotion_status is 'promoted': local planning docs are never promoted (expected 'not-promoted')",
      },
    ]);
    assert.deepEqual(j.summary, { errors: 1, warnings: 0, infos: 0, suppressed: 0 });
  });

  it("validates single files within their workspace", async () => {
    const r = await cto(["validate", "broken/dependency/.sot/03-PROTOCOLS/CTO-CASE-SMOKE-ISSUES.md", "--today", TODAY]);
    assert.equal(r.code, 1);
    assert.match(r.out, /^broken\/dependency\/\.sot\/03-PROTOCOLS\/CTO-CASE-SMOKE-ISSUES\.md:45:13: error dependency /);
  });

  it("exits 2 on usage errors", async () => {
    assert.equal((await cto(["validate", "--today", "yesterday"])).code, 2);
    assert.equal((await cto(["validate", "--rule", "nope=error"])).code, 2);
    assert.equal((await cto(["validate", "--bogus"])).code, 2);
    assert.equal((await cto(["validate", "no/such/dir"])).code, 2);
    assert.equal((await cto(["frobnicate"])).code, 2);
    for (const cmd of ["issues", "gates", "run", "verify", "fixtures", "compare"]) {
      const r = await cto([cmd, "--no-such-option"]);
      assert.equal(r.code, 2, `${cmd}: ${r.err}`);
      assert.match(r.err, /no-such-option/);
    }
  });

  it("exits 2 on a folder with no WORKBOARD.yaml at, below or above it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cto-none-"));
    try {
      writeFileSync(path.join(dir, "notes.md"), "# notes\n");
      const r = await cto(["validate", dir]);
      assert.equal(r.code, 2);
      assert.match(r.err, /no CTO child workspace/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies --rule and --max-review-age-days", async () => {
    const lenient = await cto(["validate", "broken/authority-drift", "--today", TODAY, "--rule", "authority-drift=warning"]);
    assert.equal(lenient.code, 0);
    assert.match(lenient.out, /: warning authority-drift /);
    const stale = await cto(["validate", "workspace", "--today", "2026-11-25", "--max-review-age-days", "10", "--rule", "stale-review=error"]);
    assert.equal(stale.code, 1);
  });

  it("copes with hostile paths: spaces, unicode, symlink loops", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cto ü "));
    try {
      cpSync(path.join(FIXTURES, "workspace"), path.join(dir, "my ws"), { recursive: true });
      require("node:fs").symlinkSync("..", path.join(dir, "my ws", "loop"));
      const r = await cto(["validate", path.join(dir, "my ws"), "--today", TODAY]);
      assert.equal(r.code, 0, r.out + r.err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("harness commands and .cto/config.yaml", () => {
  it("cto gates and cto run use the config's evidence and fixtures folders; a broken config stops them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cto-cfgrun-"));
    try {
      cpSync(path.join(FIXTURES, "configured"), dir, { recursive: true });
      const g = JSON.parse((await cto(["gates", ".", "--json"], dir)).out);
      assert.equal(g.runs, path.join(dir, "evidence/runs"));
      assert.equal(g.fixtures, path.join(dir, "harness-fixtures"));
      const r = await cto(["run", "--engine", "fake", "--task", "harness-fixtures/happy-path/task.yaml", "--json", "--isolation", "none"], dir, { PATH: process.env.PATH ?? "" });
      assert.equal(r.code, 0, r.out + r.err);
      const bundles = require("node:fs").readdirSync(path.join(dir, "evidence/runs"));
      assert.equal(bundles.length, 1);
      writeFileSync(path.join(dir, ".cto/config.yaml"), "evidenceFolder: ../../outside\n");
      const bad = await cto(["gates", ".", "--json"], dir);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /\.cto\/config\.yaml:1:17: error config evidenceFolder must stay inside the workspace/);
      assert.equal((await cto(["run", "--engine", "fake", "--task", "harness-fixtures/happy-path/task.yaml"], dir)).code, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
