// Task-file holes (issue 8, item 6) and two CLI leftovers (item 13): every bad
// task file is a located usage error (file:line:col, exit 2, no bundle, no
// stack trace), never a crash, a hang, a quietly wider run or a misreported
// blocker; `cto run` survives its stdout closing and never writes its default
// runs folder inside the task's repo.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";
import { compareEngines, getEngine, ENGINE_IDS, loadTask, parseTask, runTask, RunUsageError, TaskError, verifyBundle } from "../../../src/harness";
import { compileAllowed } from "../../../src/harness/allowed";
import { engineOptionProblems } from "../../../src/harness/engineOptions";
import { scanPlainFolder } from "../../../src/harness/repocheck";
import { TASK_DEFAULTS, TASK_LIMITS } from "../../../src/harness/task";
import { main } from "../../../src/cli/main";
import { cleanupTemps, CLI, FIXTURES, gitIn, ROOT, run, schemaValidator, SUB, tempDir, writeTask } from "./helpers";

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TaskError, `expected a TaskError, got ${(e as Error)?.stack ?? String(e)}`);
    return (e as TaskError).problems;
  }
  assert.fail("expected a TaskError");
};
const parseProblems = (text: string) => problemsOf(() => parseTask(text, "/x/task.yaml"));

/** `cto run` in-process: exit code, stdout, stderr. */
async function cli(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["run", ...args], { out: (l) => out.push(l), err: (l) => err.push(l), cwd: o.cwd ?? process.cwd(), env: o.env ?? process.env });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** A usage refusal as the person sees it: exit 2, the located message, no bundle, no stack. */
async function refusedAt(taskFile: string, re: RegExp, o: { engine?: string; cwd?: string; env?: NodeJS.ProcessEnv; extra?: string[] } = {}) {
  const runs = join(tempDir("cto-runs-"), "runs");
  const r = await cli(["--engine", o.engine ?? "fake", "--task", taskFile, "--out", runs, ...(o.extra ?? [])], o);
  assert.equal(r.code, 2, `exit 2 expected:\n${r.out}\n${r.err}`);
  assert.match(r.err, re);
  assert.doesNotMatch(r.err, /internal error|\n\s+at /, "no stack trace");
  assert.ok(!existsSync(runs) || readdirSync(runs).length === 0, "no bundle");
  return r;
}

const BASE = `id: t\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\n`;
const WRITE_SUB = `  - write: { path: src/sub.js, content: "${SUB}" }\n`;

describe("harness: task-file holes", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  describe("allowed_files: ordered patterns, '!' excludes, the last match decides", () => {
    it("decides like .gitignore: order matters, exclusions re-included, only exclusions allow nothing", () => {
      const d = compileAllowed(["src/**", "!src/secret.js", "!src/gen/**", "src/gen/keep.js"]);
      assert.deepEqual(d("src/a.js"), { allowed: true, by: "src/**" });
      assert.deepEqual(d("src/secret.js"), { allowed: false, by: "!src/secret.js" });
      assert.equal(d("src/gen/x.js").allowed, false);
      assert.equal(d("src/gen/keep.js").allowed, true);
      assert.equal(d("test.js").allowed, false);
      assert.equal(d("src/.env").allowed, true, "dotfiles are matched");
      // The same two patterns the other way round: the later one wins.
      assert.equal(compileAllowed(["!src/secret.js", "src/**"])("src/secret.js").allowed, true);
      for (const p of ["src/a.js", "x", ".env"]) assert.equal(compileAllowed(["!src/secret.js", "!**/*.md"])(p).allowed, false, p);
      assert.equal(compileAllowed([])("a").allowed, false);
    });

    it("a run writing an excluded file is disallowed_file; an allowed sibling passes", async () => {
      const yaml = (path: string) => `id: neg\nrepo: ./repo\nallowed_files: ["src/**", "!src/secret.js"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n${WRITE_SUB}  - write: { path: ${path}, content: "x" }\n`;
      const bad = await run({ taskFile: writeTask(yaml("src/secret.js")).taskFile, isolation: "none" });
      assert.equal(bad.exitCode, 11, JSON.stringify(bad.report.blockers));
      assert.deepEqual(bad.report.blockers.map((b) => b.id), ["disallowed_file"]);
      assert.match(bad.report.blockers[0]!.reason, /src\/secret\.js: excluded by '!src\/secret\.js'/);
      const good = await run({ taskFile: writeTask(yaml("src/other.js")).taskFile, isolation: "none" });
      assert.equal(good.exitCode, 0, JSON.stringify(good.report.blockers));
    });

    it("a pattern that cannot mean what it says is a located error", () => {
      const p = parseProblems(`id: x\nrepo: ./r\nallowed_files:\n  - "!"\n  - "!!src/a"\n  - "!(secret).js"\n  - "/src/**"\n  - "src/"\n  - ""\n  - "../x/**"\n  - 7\n  - "src/**"\n`);
      const at = p.map((x) => `${x.line}:${x.column} ${x.message}`);
      assert.equal(p.length, 8, at.join("\n"));
      for (const [i, re] of [/'!' alone/, /double '!'/, /leading '!\(' is ambiguous/, /drop the leading '\/'/, /ending in '\/'/, /empty pattern/, /'\.\.'/, /list of strings/].entries()) {
        assert.match(at[i]!, new RegExp(`^${i + 4}:5 .*${re.source}`), at[i]);
      }
    });
  });

  describe("engine_options: each adapter declares its options", () => {
    it("every option an adapter reads is declared (and nothing it does not read)", () => {
      for (const id of ENGINE_IDS) {
        const src = readFileSync(join(ROOT, "src", "harness", "engines", `${id}.ts`), "utf8");
        const read = new Set([...src.matchAll(/ctx\.options\.(\w+)/g)].map((m) => m[1]!));
        if (/configuredCommand\(/.test(src)) read.add("command"); // cli.ts reads task.engine_options.command
        assert.deepEqual([...read].sort(), Object.keys(getEngine(id)!.options).sort(), id);
      }
    });

    it("a typo is an unknown option located at its key; cto run exits 2 and the engine never runs", async () => {
      const t = writeTask(`${BASE}engine_options:\n  network: false\n  netwrok: false\nscenario:\n${WRITE_SUB}`);
      const r = await refusedAt(t.taskFile, /task\.yaml:8:3: unknown engine option 'netwrok' for engine 'fake' \(it takes: network\)/);
      assert.doesNotMatch(r.err, /:7:/, "the right key is fine");
    });

    it("ill-typed values are located at the value; options of another engine say whose they are", () => {
      const t = (opts: string) => parseTask(`id: x\nrepo: ./r\nengine_options: ${opts}\n`, "/x/task.yaml");
      const msg = (engine: string, opts: string) => engineOptionProblems(t(opts), getEngine(engine)!).map((p) => `${p.line}:${p.column} ${p.message}`);
      assert.deepEqual(msg("fake", `{ network: "no" }`), ["3:28 'engine_options.network' must be true or false"]);
      assert.match(msg("codex", `{ sandbox: full }`)[0]!, /^3:28 'engine_options.sandbox' must be one of: read-only, workspace-write, danger-full-access/);
      assert.match(msg("pi", `{ command: [] }`)[0]!, /^3:28 'engine_options.command' must be a non-empty list/);
      assert.match(msg("case", `{ command: "ca" }`)[0]!, /^3:28 'engine_options.command' must be a list of strings/);
      assert.match(msg("fake", `{ command: ["x"] }`)[0]!, /^3:19 unknown engine option 'command' for engine 'fake' .*'command' is an option of codex, pi, case/);
      assert.match(msg("pi", `{ sandbox: read-only }`)[0]!, /unknown engine option 'sandbox' for engine 'pi'.*option of codex/);
      assert.deepEqual(msg("codex", `{ command: ["./codex"], sandbox: read-only, network: false }`), []);
    });

    it("cto compare refuses a bad option before anything runs", async () => {
      const t = writeTask(`${BASE}engine_options: { netwrok: false }\nscenario:\n${WRITE_SUB}`);
      const out = tempDir("cto-cmp-");
      await assert.rejects(compareEngines({ engines: ["fake"], tasks: [t.taskFile], outDir: out, cwd: t.dir }), (e) => e instanceof TaskError && /:6:19: unknown engine option 'netwrok'/.test(e.message));
      assert.deepEqual(readdirSync(out), [], "nothing ran");
    });
  });

  describe("durations", () => {
    it("every duration is capped below Node's timer maximum, with a located error", () => {
      const max = TASK_LIMITS.max_duration_s;
      assert.equal(max, 2147483);
      assert.ok(max * 1000 <= 2 ** 31 - 1);
      const p = parseProblems(`id: x\nrepo: ./r\ntimeout_s: 3000000\ntest_timeout_s: ${max + 1}\nprogress_timeout_s: 1e9\nscenario:\n  - sleep_ms: ${2 ** 31}\n`);
      assert.deepEqual(
        p.map((x) => `${x.line}:${x.column}`),
        ["3:12", "4:17", "5:21", "7:15"],
      );
      for (const x of p.slice(0, 3)) assert.match(x.message, /is at most 2147483 seconds/);
      assert.match(p[3]!.message, /'sleep_ms' must be a number of milliseconds from 0 to 2147483647/);
      const ok = parseTask(`id: x\nrepo: ./r\ntimeout_s: ${max}\ntest_timeout_s: ${max}\nscenario:\n  - sleep_ms: ${2 ** 31 - 1}\n`, "/x/t.yaml");
      assert.equal(ok.timeout_s, max);
    });

    it("a huge timeout_s does not fire at once: the engine runs to its own end", async () => {
      // 2147483 s is accepted and must behave as "long": the fake sleeps 300 ms, then passes.
      const t = writeTask(`id: t\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 2147483\nscenario:\n  - sleep_ms: 300\n${WRITE_SUB}`);
      const r = await run({ taskFile: t.taskFile, isolation: "none" });
      assert.equal(r.exitCode, 0, JSON.stringify(r.report.blockers));
    });

    it("progress_timeout_s: optional positive seconds, default 60, in the schema too", () => {
      assert.equal(TASK_DEFAULTS.progress_timeout_s, 60);
      assert.equal(parseTask(`id: x\nrepo: ./r\n`, "/x/t.yaml").progress_timeout_s, 60);
      assert.equal(parseTask(`id: x\nrepo: ./r\nprogress_timeout_s: 5\n`, "/x/t.yaml").progress_timeout_s, 5);
      assert.match(parseProblems(`id: x\nrepo: ./r\nprogress_timeout_s: 0\n`)[0]!.message, /'progress_timeout_s' must be a positive number/);
      const v = schemaValidator("task");
      assert.deepEqual(v({ id: "x", repo: ".", progress_timeout_s: 5 }), []);
      for (const bad of [{ progress_timeout_s: 0 }, { timeout_s: 3e6 }, { test_timeout_s: 2147484 }, { allowed_files: ["!"] }]) assert.notDeepEqual(v({ id: "x", repo: ".", ...bad }), [], JSON.stringify(bad));
    });
  });

  describe("what travels to the engine", () => {
    it("a scenario over 128 KB reaches the fake engine (a file, not the environment) and the run passes", async () => {
      const big = "x".repeat(200 * 1024);
      const t = writeTask(`id: big\nrepo: ./repo\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n${WRITE_SUB}  - write: { path: src/big.txt, content: "${big}" }\n`);
      for (const isolation of ["none", "auto"] as const) {
        const r = await run({ taskFile: t.taskFile, isolation });
        assert.equal(r.exitCode, 0, `${isolation}: ${JSON.stringify(r.report.blockers)}`);
        assert.ok(r.report.changed_files.some((f) => f.path === "src/big.txt"));
        assert.ok(readFileSync(join(r.bundleDir!, "patch.diff"), "utf8").includes(big));
      }
    });

    it("a prompt over 64 KiB, or with a NUL, is a located error; so is a NUL in any argv", () => {
      const p = parseProblems(`id: x\nrepo: ./r\nprompt: "${"p".repeat(TASK_LIMITS.prompt_bytes + 1)}"\ntest_command: ["node", "a\\0b"]\nreviewer: { command: ["x\\0"] }\nscenario:\n  - spawn: { command: ["sleep", "1\\0"] }\n`);
      assert.deepEqual(p.map((x) => `${x.line}:${x.column}`), ["3:9", "4:15", "5:22", "7:12"]);
      assert.match(p[0]!.message, /'prompt' is 65537 bytes; at most 65536 \(the prompt travels to the engine as one command-line argument\)/);
      for (const x of p.slice(1)) assert.match(x.message, /NUL/);
      assert.match(parseProblems(`id: x\nrepo: ./r\nprompt: "a\\0b"\n`)[0]!.message, /'prompt' may not contain a NUL/);
      assert.match(parseProblems(`id: x\nrepo: ./r\ntest_command: ["${"a".repeat(70000)}"]\n`)[0]!.message, /'test_command' is 70001 bytes; at most 65536/);
      // The largest accepted prompt is parsed whole.
      assert.equal(parseTask(`id: x\nrepo: ./r\nprompt: "${"é".repeat(TASK_LIMITS.prompt_bytes / 2)}"\n`, "/x/t.yaml").prompt.length, TASK_LIMITS.prompt_bytes / 2);
    });

    it("E2BIG when the engine starts is a usage error (exit 2, no bundle), never provider_unavailable", async () => {
      const t = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      // One environment string over Linux's 128 KiB per-string cap: the exec itself fails.
      const env = { ...process.env, PATH: `${process.env.PATH}:/${"x".repeat(140 * 1024)}` };
      await assert.rejects(run({ taskFile: t.taskFile, isolation: "none", env }), (e) => e instanceof RunUsageError && /the engine 'fake' cannot be started: .*E2BIG/.test(e.message));
      await refusedAt(t.taskFile, /cto run: the engine 'fake' cannot be started: its command line .* exceed the system's limit \(E2BIG/, { env, extra: ["--isolation", "none"] });
    });
  });

  describe("repo", () => {
    const taskWithRepo = (repo: string) => {
      const t = writeTask(`id: t\nrepo: ${JSON.stringify(repo)}\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\nscenario:\n${WRITE_SUB}`);
      return t;
    };

    it("the filesystem root is refused at the repo's line and column, without a stack trace", async () => {
      await refusedAt(taskWithRepo("/").taskFile, /task\.yaml:2:7: repo '\/' is the filesystem root/);
    });

    it("the home folder, or a folder holding it, is refused", async () => {
      const t = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      await refusedAt(t.taskFile, /task\.yaml:2:7: repo '.*' is your home folder/, { env: { ...process.env, HOME: t.repo } });
      mkdirSync(join(t.repo, "me"));
      await refusedAt(t.taskFile, /task\.yaml:2:7: repo '.*' contains your home folder/, { env: { ...process.env, HOME: join(t.repo, "me") } });
    });

    it("a repo holding the sandbox folder, or the runs folder, is refused", async () => {
      const t = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      await assert.rejects(run({ taskFile: t.taskFile, tmpRoot: join(t.repo, "tmp") }), (e) => e instanceof TaskError && /:2:7: repo .* contains the temp folder where sandboxes are made/.test(e.message));
      const r = await cli(["--engine", "fake", "--task", t.taskFile, "--out", join(t.repo, "runs")]);
      assert.equal(r.code, 2);
      assert.match(r.err, /task\.yaml:2:7: repo .* contains the evidence folder .*runs: a bundle written there changes the repo it describes/);
      assert.ok(!existsSync(join(t.repo, "runs")), "nothing written into the repo");
    });

    it("a missing repo or a file is a located error", async () => {
      const t = writeTask(`id: t\nrepo: ./nope\n`);
      await refusedAt(t.taskFile, /task\.yaml:2:7: repo '.*nope' does not exist/);
      writeFileSync(join(t.dir, "nope"), "");
      await refusedAt(t.taskFile, /task\.yaml:2:7: repo '.*nope' is not a folder/);
    });

    it("a FIFO, a socket or a device in a plain folder is a located error, not a hang or a crash", async () => {
      const fifo = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      mkdirSync(join(fifo.repo, "deep", "er"), { recursive: true });
      assert.equal(spawnSync("mkfifo", [join(fifo.repo, "deep", "er", "pipe")]).status, 0);
      await refusedAt(fifo.taskFile, /task\.yaml:2:7: repo .* holds a FIFO \(deep\/er\/pipe\), which cannot be copied into a sandbox/);

      const sock = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      const server = createServer();
      await new Promise<void>((r) => server.listen(join(sock.repo, "s.sock"), r));
      try {
        await refusedAt(sock.taskFile, /holds a socket \(s\.sock\)/);
      } finally {
        server.close();
      }

      if (process.getuid?.() === 0) {
        const dev = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
        assert.equal(spawnSync("mknod", [join(dev.repo, "null"), "c", "1", "3"]).status, 0);
        await refusedAt(dev.taskFile, /holds a device \(null\)/);
      }

      // A symlink to a device is a link (copied verbatim), and a FIFO inside a nested .git is not copied.
      const ok = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      symlinkSync("/dev/null", join(ok.repo, "devnull"));
      mkdirSync(join(ok.repo, "sub", ".git"), { recursive: true });
      spawnSync("mkfifo", [join(ok.repo, "sub", ".git", "p")]);
      const r = await run({ taskFile: ok.taskFile, isolation: "none" });
      assert.equal(r.exitCode, 0, JSON.stringify(r.report.blockers));
    });

    it("a git repo is not scanned (git copies only tracked files); an empty .git does not make a folder git", async () => {
      const t = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      gitIn(t.repo, "init", "-q");
      gitIn(t.repo, "add", "-A");
      gitIn(t.repo, "commit", "-q", "-m", "base");
      assert.equal(spawnSync("mkfifo", [join(t.repo, "pipe")]).status, 0);
      const r = await run({ taskFile: t.taskFile, isolation: "none" });
      assert.equal(r.exitCode, 0, JSON.stringify(r.report.blockers));

      const bogus = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      mkdirSync(join(bogus.repo, ".git"));
      assert.equal(spawnSync("mkfifo", [join(bogus.repo, "pipe")]).status, 0);
      await refusedAt(bogus.taskFile, /task\.yaml:2:7: repo .* holds a FIFO \(pipe\)/);
    });

    it("a plain folder is scanned within the sandbox copy's limits (files, bytes, depth)", () => {
      const dir = tempDir("cto-scan-");
      for (let i = 0; i < 5; i++) writeFileSync(join(dir, `f${i}`), "12345");
      mkdirSync(join(dir, "a", "b"), { recursive: true });
      assert.equal(scanPlainFolder(dir, { files: 5, bytes: 25, depth: 2 }), undefined);
      assert.match(scanPlainFolder(dir, { files: 4, bytes: 1e9, depth: 9 })!, /more than 4 files: make it a git repo/);
      assert.match(scanPlainFolder(dir, { files: 100, bytes: 24, depth: 9 })!, /more than 24 bytes/);
      assert.match(scanPlainFolder(dir, { files: 100, bytes: 1e9, depth: 1 })!, /nested deeper than 1 levels \(a\/b\)/);
    });

    it("a .git file that is not git metadata is a located error, not an internal one", async () => {
      const t = writeTask(`${BASE}scenario:\n${WRITE_SUB}`);
      writeFileSync(join(t.repo, ".git"), "gitdir: " + "x".repeat(5000) + "\n");
      await refusedAt(t.taskFile, /task\.yaml:2:7: repo .* has a \.git that cannot be read as git metadata/);
    });
  });

  describe("YAML and the file itself", () => {
    it("anchors, aliases and tags are refused where they are written", () => {
      const p = parseProblems(`id: x\nrepo: ./r\nreviewer: &rev { policy: approve }\napprovals: *rev\nprompt: !!binary aGVsbG8=\nscenario:\n  - emit: { type: engine.message, data: { a: !foo bar } }\n`);
      const at = p.map((x) => `${x.line}:${x.column} ${x.message}`);
      assert.ok(at.some((s) => /^3:11 YAML anchors are not allowed in a task file \('&rev'\)/.test(s)), at.join("\n"));
      assert.ok(at.some((s) => /^4:12 YAML aliases are not allowed in a task file \('\*rev'\)/.test(s)), at.join("\n"));
      assert.ok(at.some((s) => /^5:9 YAML tags are not allowed in a task file \('!!binary'\)/.test(s)), at.join("\n"));
      assert.ok(at.some((s) => /^7:46 YAML tags are not allowed in a task file \('!foo'\)/.test(s)), at.join("\n"));
    });

    it("an alias bomb is refused before it is expanded", () => {
      const lines = ["id: x", "repo: ./r", "engine_options:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 30; i++) lines.push(`  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
      const t0 = Date.now();
      const p = parseProblems(lines.join("\n") + "\n");
      assert.ok(p.length > 0);
      assert.ok(Date.now() - t0 < 5000, "not expanded");
    });

    it("a task file of more YAML items than a task needs is refused at the item, before the parser builds them", () => {
      // 1 MiB of `[a,a,a,...]` cost the parser 571 MB (npm run bench, section taskfile).
      const flow = `id: x\nrepo: ./r\nallowed_files: [${Array(TASK_LIMITS.yaml_items + 10).fill("a").join(",")}]\n`;
      const p = parseProblems(flow);
      assert.equal(p.length, 1, JSON.stringify(p.slice(0, 3)));
      assert.match(`${p[0]!.line}:${p[0]!.column} ${p[0]!.message}`, new RegExp(`^3:${String(16 + 2 * (TASK_LIMITS.yaml_items - 2))} YAML holds more than ${TASK_LIMITS.yaml_items} items \\(lines and list entries\\); a task file needs far fewer$`));
      // As many lines: the same refusal, on the line past the limit.
      const lines = `id: x\nrepo: ./r\nallowed_files:\n${"  - a\n".repeat(TASK_LIMITS.yaml_items)}`;
      assert.match(`${parseProblems(lines)[0]!.line} ${parseProblems(lines)[0]!.message}`, new RegExp(`^${TASK_LIMITS.yaml_items + 1} YAML holds more than`));
      // A long prompt full of commas is one item: a quoted scalar is skipped whole.
      assert.deepEqual(parseProblems(`id: x\nrepo: ./r\nprompt: "${"a, ".repeat(60_000)}"\n`).filter((x) => /items/.test(x.message)), []);
    });

    it("a task file over 1 MiB is refused before parsing (a 50 MB one too, without reading it)", async () => {
      const dir = tempDir("cto-big-");
      const f = join(dir, "task.yaml");
      writeFileSync(f, `id: x\nrepo: .\n`);
      truncateSync(f, 50 * 1024 * 1024);
      assert.match(problemsOf(() => loadTask(f))[0]!.message, /is 52428800 bytes; a task file is at most 1048576 bytes \(1 MiB\)/);
      await refusedAt(f, /task\.yaml:1:1: the task file is 52428800 bytes; a task file is at most 1048576 bytes/);
      assert.match(parseProblems("#".repeat(TASK_LIMITS.file_bytes + 1))[0]!.message, /at most 1048576 bytes/);
      // Just under the limit is read and parsed.
      writeFileSync(f, `id: x\nrepo: .\nprompt: "${"a".repeat(60000)}"\n#${"c".repeat(TASK_LIMITS.file_bytes - 60100)}\n`);
      assert.equal(loadTask(f).id, "x");
    });

    it("a directory, a device or a FIFO as the task file is refused without blocking", () => {
      const dir = tempDir("cto-fifo-");
      const fifo = join(dir, "task.yaml");
      assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
      for (const [file, kind] of [[fifo, "a FIFO"], [dir, "a directory"], ["/dev/zero", "a character device"]] as const) {
        // In a child process: a read that blocks must fail the test, not hang the suite.
        const r = spawnSync(process.execPath, [CLI, "run", "--engine", "fake", "--task", file, "--out", join(dir, "runs")], { encoding: "utf8", timeout: 15_000 });
        assert.equal(r.status, 2, `${file}: ${r.signal ?? ""} ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`:1:1: the task file is ${kind}, not a regular file`));
      }
    });

    it("a task file that is not UTF-8 is located at its first bad byte", () => {
      const dir = tempDir("cto-utf8-");
      const f = join(dir, "task.yaml");
      writeFileSync(f, Buffer.concat([Buffer.from("id: x\nrepo: .\nprompt: \"ab"), Buffer.from([0xff, 0xfe]), Buffer.from("\"\n")]));
      const p = problemsOf(() => loadTask(f));
      assert.deepEqual([p[0]!.line, p[0]!.column], [3, 12]);
      assert.match(p[0]!.message, /not valid UTF-8/);
    });

    it("every fixture task still parses and validates", () => {
      const v = schemaValidator("task");
      for (const row of readdirSync(FIXTURES)) {
        const f = join(FIXTURES, row, "task.yaml");
        if (!existsSync(f)) continue;
        const task = loadTask(f);
        assert.deepEqual(v(parse(readFileSync(f, "utf8"))), [], row);
        const engine = (readFileSync(join(FIXTURES, row, "expect.yaml"), "utf8").match(/^engine:\s*(\S+)/m) ?? [])[1] ?? "fake";
        assert.deepEqual(engineOptionProblems(task, getEngine(engine)!), [], row);
      }
    });
  });

  describe("cto run's output", () => {
    it("survives its stdout closing early (| head -1): no crash, the exit code stands", async () => {
      const out = tempDir("cto-epipe-");
      for (const [args, want] of [
        [["run", "--engine", "fake", "--task", join(FIXTURES, "happy-path", "task.yaml"), "--out", join(out, "runs")], 0],
        [["run", "--engine", "fake", "--task", join(FIXTURES, "no-diff", "task.yaml"), "--out", join(out, "runs"), "--json"], 10],
        [["--help"], 0],
      ] as const) {
        const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.destroy(); // the reader is gone before the first line
        let err = "";
        child.stderr.on("data", (d) => (err += d));
        const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
        assert.equal(code, want, `${args.join(" ")}: ${err}`);
        assert.doesNotMatch(err, /EPIPE|Unhandled|\n\s+at /, err);
      }
    });

    it("the default runs folder never lands inside the task's repo (repo: .): the bundle stays fresh", async () => {
      const dir = tempDir("cto-dot-");
      const ws = join(dir, "ws");
      const repo = join(ws, "proj");
      mkdirSync(ws);
      writeFileSync(join(ws, "WORKBOARD.yaml"), "version: 1\n");
      spawnSync("cp", ["-r", join(FIXTURES, "repo"), repo]);
      gitIn(repo, "init", "-q");
      writeFileSync(join(repo, "cto-task.yaml"), `id: dot\nrepo: .\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n${WRITE_SUB}`);
      gitIn(repo, "add", "-A");
      gitIn(repo, "commit", "-q", "-m", "base");
      const env = { ...process.env, XDG_STATE_HOME: join(dir, "state") };
      for (let i = 0; i < 2; i++) {
        // cwd inside the repo: <cwd>/.cto/runs would be in it; the workspace's .cto/runs is not.
        const r = await cli(["--engine", "fake", "--task", "cto-task.yaml", "--isolation", "none"], { cwd: repo, env });
        assert.equal(r.code, 0, `run ${i + 1} (the second must not be dirty_start): ${r.out}\n${r.err}`);
        assert.match(r.err, /note: the default runs folder .*proj\/\.cto\/runs is inside the task's repo .*; bundles go to .*ws\/\.cto\/runs/);
        const bundle = r.out.match(/bundle: (.*)/)![1]!;
        assert.ok(bundle.startsWith(join(ws, ".cto", "runs")), bundle);
        assert.equal((await verifyBundle(bundle, { repo })).verdict, "verified");
      }
      assert.ok(!existsSync(join(repo, ".cto")), "nothing written inside the repo");

      // No workspace outside the repo: the user's state folder.
      const lone = join(dir, "lone");
      spawnSync("cp", ["-r", join(FIXTURES, "repo"), lone]);
      writeFileSync(join(lone, "cto-task.yaml"), `id: lone\nrepo: .\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 30\nscenario:\n${WRITE_SUB}`);
      const r = await runTask({ engine: "fake", taskFile: "cto-task.yaml", cwd: lone, env, isolation: "none" });
      assert.equal(r.exitCode, 0, JSON.stringify(r.report.blockers));
      assert.ok(r.bundleDir!.startsWith(join(dir, "state", "cto-workbench", "runs")), r.bundleDir!);
      assert.equal((await verifyBundle(r.bundleDir!, { repo: lone })).verdict, "verified", "a plain repo's tree is unchanged: fresh");
      assert.ok(!existsSync(join(lone, ".cto")));
    });
  });
});
