// Shared test helpers for the harness suite (plain Node, mocha).
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, lstatSync, rmSync, cpSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import Ajv from "ajv";
import { runTask, type RunOptions, type RunHooks, type RunResult } from "../../../src/harness";
import { listProcs } from "../../../src/harness/proc";
import { randomBytes } from "node:crypto";

/** Live processes whose command line carries `marker` (as a `sleep <marker>` argument). */
export function withMarker(marker: string): number[] {
  return listProcs()
    .filter((p) => p.state !== "Z")
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0").includes(marker);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}
/** A unique `sleep` duration that names a test's background process. */
export const marker = () => `${300 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;

/** The repo root: the nearest folder above this bundle (out/test/unit/harness, out/test/engines, …) holding our package.json. */
export const ROOT = (() => {
  for (let d = __dirname; ; d = dirname(d)) {
    if (existsSync(join(d, "package.json")) && existsSync(join(d, "fixtures", "harness"))) return d;
    if (dirname(d) === d) return resolve(__dirname, "../../../..");
  }
})();
export const FIXTURES = join(ROOT, "fixtures", "harness");
export const ENGINE_FIXTURES = join(ROOT, "fixtures", "engines");
export const CLI = join(ROOT, "dist", "cli.js");

const temps: string[] = [];
export function tempDir(prefix = "cto-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
export function cleanupTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A digest of every file, link and mode below `dir` (the "never mutated" check). */
export function treeHash(dir: string): string {
  const h = createHash("sha256");
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name);
      const r = rel + "/" + name;
      const st = lstatSync(a);
      h.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(a));
      else if (st.isDirectory()) walk(a, r);
      else h.update(readFileSync(a));
    }
  };
  walk(dir, "");
  return h.digest("hex");
}

export async function run(opts: Partial<RunOptions> & { taskFile: string }, hooks?: RunHooks): Promise<RunResult & { out: string }> {
  const out = opts.outDir ?? join(tempDir("cto-runs-"), "runs");
  const r = await runTask({ engine: "fake", killGraceMs: 200, ...opts, outDir: out }, hooks);
  return { ...r, out };
}

/** A task as an object, written as JSON (which is YAML): no quoting of shell snippets. */
export function writeTaskObject(task: Record<string, unknown>, o: { repo?: string } = {}): { taskFile: string; dir: string; repo: string } {
  return writeTask(JSON.stringify({ repo: "./repo", allowed_files: ["src/**"], test_command: ["node", "test.js"], timeout_s: 30, ...task }, null, 2), o);
}

/** Writes a task file into a temp folder (repo defaults to a copy of the fixture repo). */
export function writeTask(yaml: string, o: { repo?: string } = {}): { taskFile: string; dir: string; repo: string } {
  const dir = tempDir("cto-task-");
  const repo = o.repo ?? join(dir, "repo");
  if (!o.repo) cpSync(join(FIXTURES, "repo"), repo, { recursive: true });
  const taskFile = join(dir, "task.yaml");
  writeFileSync(taskFile, yaml.replace("{{REPO}}", repo));
  return { taskFile, dir, repo };
}

export function gitIn(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A git repo (outside our repo) holding a copy of the fixture repo, committed. */
export function makeGitRepo(): string {
  const repo = join(tempDir("cto-gitrepo-"), "repo");
  cpSync(join(FIXTURES, "repo"), repo, { recursive: true });
  gitIn(repo, "init", "-q");
  gitIn(repo, "add", "-A");
  gitIn(repo, "commit", "-q", "-m", "base");
  return repo;
}

export const SUB = "module.exports = function sub(a, b) {\\n  return a - b;\\n};\\n";

let ajv: Ajv | undefined;
export function schemaValidator(name: "report" | "event" | "task") {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false });
    for (const n of ["event", "report", "task"]) ajv.addSchema(JSON.parse(readFileSync(join(ROOT, "schemas", `${n}.schema.json`), "utf8")));
  }
  const v = ajv.getSchema(`https://cto-workbench.invalid/schemas/${name}.schema.json`)!;
  return (data: unknown) => (v(data) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

export function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}
