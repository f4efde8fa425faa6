// The CI recipes (docs/ci/*.yaml), the pre-commit hook and `cto init`: they parse, call only
// `cto` commands and options that exist, and the package npm would install holds the CLI.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { main } from "../../src/cli/main";
import type { CliIo } from "../../src/cli/io";
import { REPO } from "./helpers";

async function cto(args: string[], cwd = REPO) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: {} };
  const code = await main(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Every `cto …` invocation in a shell script, as argv (up to a redirection, pipe or list operator). */
function ctoCalls(script: string): string[][] {
  const calls: string[][] = [];
  for (const line of script.split("\n")) {
    for (const m of line.matchAll(/(?:^|[;&|(]\s*|\s)cto\s+([^;&|>]*)/g)) calls.push(m[1].trim().split(/\s+/).filter(Boolean));
  }
  return calls;
}

/** The shell scripts of a GitHub workflow (steps' `run`) or a GitLab file (`script`, `before_script`). */
function scripts(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "run" && typeof x === "string") out.push(x);
        else if ((k === "script" || k === "before_script") && Array.isArray(x)) out.push(...x.map(String));
        else walk(x);
      }
    }
  };
  walk(doc);
  return out;
}

/** Proves a call parses: the same argv plus --help must exit 0 (an unknown option exits 2). */
async function assertCallExists(argv: string[], where: string) {
  const [command, ...rest] = argv;
  const r = await cto([command, ...rest.filter((a) => !a.startsWith('"$')), "--help"]);
  assert.equal(r.code, 0, `${where}: 'cto ${argv.join(" ")}' does not parse: ${r.err}`);
}

describe("CI recipes", () => {
  const gh = parse(readFileSync(path.join(REPO, "docs/ci/github-actions.yaml"), "utf8"));
  const gl = parse(readFileSync(path.join(REPO, "docs/ci/gitlab-ci.yaml"), "utf8"));

  it("the GitHub workflow validates (annotations, SARIF upload), runs the fixtures and shows the gates", async () => {
    assert.deepEqual(Object.keys(gh.jobs), ["validate", "harness"]);
    const calls = scripts(gh).flatMap(ctoCalls);
    assert.deepEqual(calls.map((c) => c.join(" ")), ["validate . --format github", "validate . --format sarif", "fixtures --json", "gates ."]);
    for (const c of calls) await assertCallExists(c, "github-actions.yaml");
    const steps = gh.jobs.validate.steps as { uses?: string; run?: string; with?: Record<string, string> }[];
    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))!;
    assert.ok(upload, "no upload-sarif step");
    assert.ok(steps.some((s) => s.run?.includes(`--format sarif > ${upload.with!.sarif_file}`)), "the uploaded file is not the one --format sarif writes");
    assert.equal(gh.jobs.validate.permissions["security-events"], "write");
    assert.equal(gh.jobs.harness.needs, "validate");
  });

  it("the GitLab job validates, runs the fixtures and shows the gates", async () => {
    assert.ok(gl["cto-validate"] && gl["cto-harness"]);
    const calls = scripts(gl).flatMap(ctoCalls);
    assert.deepEqual(calls.map((c) => c.join(" ")), ["validate . --format json", "validate .", "fixtures", "gates ."]);
    for (const c of calls) await assertCallExists(c, "gitlab-ci.yaml");
  });

  it("the check itself catches an option that does not exist", async () => {
    const r = await cto(["validate", ".", "--format", "sarif", "--upload", "--help"]);
    assert.equal(r.code, 2);
    assert.deepEqual(ctoCalls('cto validate . --format sarif > x.sarif || test $? -eq 1\nnpx cto gates . | tee'), [["validate", ".", "--format", "sarif"], ["gates", "."]]);
  });

  it("docs/ci.md shows both recipes as they are in docs/ci/", () => {
    const md = readFileSync(path.join(REPO, "docs/ci.md"), "utf8");
    for (const f of ["github-actions.yaml", "gitlab-ci.yaml"]) {
      const text = readFileSync(path.join(REPO, "docs/ci", f), "utf8").trimEnd();
      assert.ok(md.includes(text), `docs/ci.md does not hold docs/ci/${f} verbatim`);
    }
  });
});

describe("pre-commit hook", () => {
  const hooks = parse(readFileSync(path.join(REPO, ".pre-commit-hooks.yaml"), "utf8")) as Record<string, unknown>[];

  it("declares cto-validate as a node hook calling an existing command", async () => {
    assert.equal(hooks.length, 1);
    const h = hooks[0] as { id: string; entry: string; language: string; files: string; pass_filenames: boolean };
    assert.equal(h.id, "cto-validate");
    assert.equal(h.language, "node");
    assert.equal(h.pass_filenames, false);
    const [bin, ...args] = h.entry.split(/\s+/);
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8"));
    assert.equal(pkg.bin[bin], "dist/cli.js");
    assert.match(pkg.scripts.prepare, /esbuild\.mjs/, "npm install from git must build dist/cli.js");
    await assertCallExists(args, ".pre-commit-hooks.yaml");
    const files = new RegExp(h.files);
    for (const p of ["docs/PRD.md", "WORKBOARD.yaml", "sub/WORKBOARD.yaml", ".cto/config.yaml", "ws/.cto/lexicon.yaml"]) assert.ok(files.test(p), p);
    for (const p of ["src/a.ts", "NOTWORKBOARD.yaml", ".cto/runs/x/report.json"]) assert.ok(!files.test(p), p);
  });

  it("npm pack prints only the tarball name, even while prepare builds (pre-commit reads it)", () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8"));
    const r = spawnSync("npm", ["pack", "--dry-run"], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${pkg.name}-${pkg.version}.tgz`);
  });

  it("the package npm installs holds the CLI and what it reads at run time", () => {
    const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    for (const f of ["package.json", "dist/cli.js", "docs/rules.md", "schemas/config.schema.json", "fixtures/harness/happy-path/task.yaml"]) {
      assert.ok(files.includes(f), `npm pack leaves out ${f}`);
    }
    assert.ok(!files.some((f) => f.startsWith("src/") || f.startsWith("test/") || f.endsWith(".map")), files.join(" "));
  });
});

describe("cto init", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "cto-init-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes WORKBOARD.yaml, a valid .cto/config.yaml and, with --ci github, the workflow", async () => {
    const r = await cto(["init", path.join(dir, "ws"), "--ci", "github"], dir);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split("\n"), ["wrote ws/WORKBOARD.yaml", "wrote ws/.cto/config.yaml", "wrote ws/.github/workflows/cto.yaml"]);
    assert.equal(readFileSync(path.join(dir, "ws/.github/workflows/cto.yaml"), "utf8"), readFileSync(path.join(REPO, "docs/ci/github-actions.yaml"), "utf8"));
    // The starter config is valid, and the workspace validates (its to-do list: the missing docs).
    const v = JSON.parse((await cto(["validate", path.join(dir, "ws"), "--json"], dir)).out);
    assert.deepEqual(v.findings.filter((f: { rule: string }) => f.rule === "config"), []);
    assert.ok(v.findings.some((f: { message: string }) => /'PRD\.md' does not exist/.test(f.message)));
  });

  it("never overwrites, and says what it skipped", async () => {
    writeFileSync(path.join(dir, "WORKBOARD.yaml"), "mine: true\n");
    const r = await cto(["init", "."], dir);
    assert.equal(r.code, 0);
    assert.deepEqual(r.out.split("\n"), ["wrote .cto/config.yaml", "skipped WORKBOARD.yaml: exists (left as it is)"]);
    assert.equal(readFileSync(path.join(dir, "WORKBOARD.yaml"), "utf8"), "mine: true\n");
    assert.ok(!existsSync(path.join(dir, ".github")), "no workflow without --ci github");
  });

  it("does not write through a symbolic link", async () => {
    const elsewhere = path.join(dir, "elsewhere");
    mkdirSync(elsewhere);
    mkdirSync(path.join(dir, "ws"));
    symlinkSync(elsewhere, path.join(dir, "ws", ".cto"));
    symlinkSync(path.join(elsewhere, "board"), path.join(dir, "ws", "WORKBOARD.yaml")); // dangling
    const r = await cto(["init", "ws"], dir);
    assert.deepEqual(r.out.split("\n"), ["skipped ws/WORKBOARD.yaml: exists (left as it is)", "skipped ws/.cto/config.yaml: .cto is a symbolic link; not written"]);
    assert.ok(!existsSync(path.join(elsewhere, "config.yaml")) && !existsSync(path.join(elsewhere, "board")));
  });

  it("refuses an unknown --ci and extra folders (exit 2)", async () => {
    assert.equal((await cto(["init", ".", "--ci", "jenkins"], dir)).code, 2);
    assert.equal((await cto(["init", "a", "b"], dir)).code, 2);
  });
});
