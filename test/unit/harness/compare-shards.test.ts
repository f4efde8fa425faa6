// Scale-out across a CI matrix: `cto compare --shard K/N` runs a stable share of engine × task,
// `cto compare --merge DIR...` builds the comparison from the shards' bundles after verifying
// each (here the shards sign with a "CI" key the workspace lists in .cto/trusted-keys, the merge
// with the local one). Three shard processes at once merge to the same comparison as one run:
// same cells, same verdict. A merge with a missing, duplicated or unverified bundle writes nothing.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discoverWorkspaces, evaluateGates, loadWorkspace, nodeFs } from "../../../src/core";
import { main } from "../../../src/cli/main";
import type { CliIo } from "../../../src/cli/io";
import {
  assignShards,
  compareEngines,
  CompareError,
  loadSigningKey,
  loadTrustStore,
  mergeShards,
  parseShard,
  readComparisons,
  trustedKeyLine,
  writeComparison,
  renderComparisonMd,
  type Comparison,
} from "../../../src/harness";
import { compareWorkspace, type CompareWorkspace } from "./compareHelpers";
import { CLI, cleanupTemps, tempDir } from "./helpers";
import { flipByte } from "./matrixHelpers";

const ENGINES = ["case", "fake", "codex", "pi"];
/** What a cell says, whichever run or machine made it. */
const outcome = (c: Comparison) => c.cells.map((x) => `${x.engine} × ${x.task}: ${x.status} exit ${x.exit_code} [${x.blockers.join(",")}] ${x.verdict} available=${x.available}`);

function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", rej);
    p.on("close", (code) => res({ code, out, err }));
  });
}

describe("harness: cto compare --shard K/N and --merge", function () {
  this.timeout(180_000);
  after(cleanupTemps);

  describe("the split", () => {
    const cells = ["case", "fake", "codex", "pi"].flatMap((engine) => ["a", "b", "c", "d", "e"].map((t) => ({ engine, taskId: t, taskSha256: `${t}`.repeat(64).slice(0, 64) })));
    const key = (c: { engine: string; taskId: string }) => `${c.engine}/${c.taskId}`;
    const split = (list: typeof cells, n: number) => {
      const where = assignShards(list, n);
      return new Map(list.map((c, i) => [key(c), where[i]!]));
    };

    it("puts each cell in the same shard whatever the order given; shards differ in size by at most one and cover every cell once", () => {
      for (const n of [1, 2, 3, 7, 20, 25]) {
        const a = split(cells, n);
        const shuffled = [...cells].sort(() => Math.random() - 0.5);
        assert.deepEqual([...split(shuffled, n)].sort(), [...a].sort(), `n=${n}`);
        const sizes = Array.from({ length: n }, (_, k) => [...a.values()].filter((s) => s === k + 1).length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: ${sizes}`);
        assert.equal(sizes.reduce((x, y) => x + y, 0), cells.length);
      }
    });

    it("depends on engine, task id and task digest only (never a path)", () => {
      const a = assignShards(cells, 3);
      const moved = cells.map((c) => ({ ...c, path: `/elsewhere/${c.taskId}.yaml` }));
      assert.deepEqual(assignShards(moved, 3), a);
      const edited = cells.map((c, i) => (i === 0 ? { ...c, taskSha256: "f".repeat(64) } : c));
      assert.notDeepEqual(assignShards(edited, 3), a, "an edited task is another cell");
    });

    it("--shard K/N is checked", () => {
      assert.deepEqual(parseShard("2/3"), { k: 2, n: 3 });
      for (const bad of ["0/3", "4/3", "1/0", "3", "a/b", "1/257", "-1/2", "1.5/3"]) assert.throws(() => parseShard(bad), /--shard/, bad);
    });
  });

  describe("three shards in parallel processes, merged", () => {
    let ws: CompareWorkspace;
    let shardsDir: string;
    let ciEnv: NodeJS.ProcessEnv;
    let single: Comparison;
    let merged: Comparison;
    let mergedDir: string;

    before(async () => {
      ws = compareWorkspace(["pass", "tests-fail"]);
      // The CI machine's key: the shards sign with it; the workspace trusts it.
      const ciKey = join(tempDir("cto-ci-key-"), "ci.pem");
      writeFileSync(ciKey, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
      ciEnv = { ...ws.env, CTO_SIGNING_KEY: ciKey };
      mkdirSync(join(ws.root, ".cto"), { recursive: true });
      writeFileSync(join(ws.root, ".cto", "trusted-keys"), `# CI\n${trustedKeyLine(loadSigningKey(ciEnv), "ci@github-actions")}\n`);
      shardsDir = join(tempDir("cto-shards-"), "artifacts");
      const runs = [1, 2, 3].map((k) => cli(["compare", "--task-set", ws.taskSet, "--shard", `${k}/3`, "--out", join(shardsDir, `compare-shard-${k}`), ...ws.cliFlags, "--json"], ciEnv, ws.root));
      const results = await Promise.all(runs);
      for (const r of results) assert.equal(r.code, 0, r.err);
      const counts = results.map((r) => JSON.parse(r.out).cells.length);
      assert.deepEqual(counts.sort(), [2, 3, 3], "8 cells over 3 shards");
      single = (await compareEngines({ engines: ENGINES, tasks: ws.tasks, outDir: join(ws.root, ".cto", "compare", "single"), env: ws.env, passEnv: ws.passEnv, expose: ws.expose, enableGated: ["case"] })).comparison;
      mergedDir = join(ws.root, ".cto", "compare", "merged");
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: ws.root, env: ws.env };
      const code = await main(["compare", "--merge", ...[1, 2, 3].map((k) => join(shardsDir, `compare-shard-${k}`)), "--task-set", ws.taskSet, "--out", mergedDir, "--json"], io);
      assert.equal(code, 0, err.join("\n"));
      merged = JSON.parse(out.join("\n"));
    });

    it("the merge is the same comparison as one run: same cells, in the same order", () => {
      assert.deepEqual(outcome(merged), outcome(single));
      assert.deepEqual(merged.tasks, single.tasks);
      assert.deepEqual(merged.summary.map((s) => [s.engine, s.passed, s.pass_rate, s.blockers_by_kind]), single.summary.map((s) => [s.engine, s.passed, s.pass_rate, s.blockers_by_kind]));
      assert.equal(merged.origin.kind, "merge");
      const shards = merged.origin.kind === "merge" ? merged.origin.shards : [];
      assert.deepEqual(shards.map((x) => x.shard), ["1/3", "2/3", "3/3"]);
      assert.equal(shards.reduce((n, x) => n + x.bundles, 0), 8);
      // the bundles were copied in: the comparison folder holds its own evidence
      for (const c of merged.cells) assert.ok(c.bundle!.startsWith("runs/") && existsSync(join(mergedDir, c.bundle!, "report.json")), c.bundle!);
      assert.equal(readdirSync(join(mergedDir, "runs")).length, 8);
    });

    it("and the same verdict: the gate's conditions hold on either, with the same table", async () => {
      const [found] = await discoverWorkspaces(ws.root, nodeFs);
      const w = await loadWorkspace(found!, nodeFs);
      const trust = loadTrustStore({ workspaceRoot: ws.root });
      const judge = async (dir: string) => evaluateGates(w, [], { comparisons: await readComparisons(dir, { root: ws.root, trust }) }).find((g) => g.id === "candidate-default")!;
      const a = await judge(join(ws.root, ".cto", "compare", "single"));
      const b = await judge(mergedDir);
      assert.deepEqual(a.lacks, []);
      assert.deepEqual(b.lacks, []);
      const cells = (g: typeof a) => g.comparison!.cells.map((c) => `${c.engine}/${c.taskId}: ${c.status} ${c.blocker} ${c.counts}`);
      assert.deepEqual(cells(b), cells(a));
      assert.match(b.conditions.map((c) => c.text).join("\n"), /signed by local key/);
    });

    const attempt = async (dirs: string[], o: { trustCi?: boolean } = {}) => {
      const out = join(tempDir("cto-merge-"), "c");
      const ok = o.trustCi === false ? loadTrustStore() : loadTrustStore({ workspaceRoot: ws.root });
      try {
        await mergeShards({ engines: ENGINES, tasks: ws.tasks, root: ws.root, outDir: out, dirs, trust: ok, env: ws.env });
      } catch (e) {
        assert.ok(e instanceof CompareError, String(e));
        assert.ok(!existsSync(join(out, "comparison.json")) && !existsSync(join(out, "attestation.json")), "nothing is written");
        assert.ok(!existsSync(join(out, "runs")) || readdirSync(join(out, "runs")).length === 0, "no bundle is left behind");
        return (e as Error).message;
      }
      assert.fail("the merge should have refused");
    };
    const copyShards = () => {
      const d = join(tempDir("cto-shards-copy-"), "a");
      cpSync(shardsDir, d, { recursive: true });
      return [1, 2, 3].map((k) => join(d, `compare-shard-${k}`));
    };
    const someBundle = (dir: string) => join(dir, "runs", readdirSync(join(dir, "runs"))[0]!);

    it("refuses a missing cell (a shard's artifact lost, or one bundle of it)", async () => {
      const dirs = copyShards();
      assert.match(await attempt(dirs.slice(0, 2)), /missing cell \w+ × t\d-[\w-]+: no shard folder holds its bundle/);
      const victim = someBundle(dirs[0]!);
      const r = JSON.parse(readFileSync(join(victim, "report.json"), "utf8"));
      rmSync(victim, { recursive: true });
      assert.match(await attempt(dirs), new RegExp(`missing cell ${r.engine.id} × ${r.task.id}`));
    });

    it("refuses a duplicated cell (the same shard twice, or a second run of a cell) — it never picks one", async () => {
      const dirs = copyShards();
      assert.match(await attempt([...dirs, dirs[0]!]), /duplicated cell .* a merge never chooses between runs/);
      const again = join(tempDir("cto-extra-"), "extra");
      await compareEngines({ engines: ["fake"], tasks: [ws.tasks[0]!], root: ws.root, outDir: again, env: ws.env });
      assert.match(await attempt([...dirs, again]), /duplicated cell fake × t1-pass: 2 bundles/);
    });

    it("refuses a bundle that does not verify: tampered, or signed by a key this workspace does not trust", async () => {
      let dirs = copyShards();
      flipByte(join(someBundle(dirs[1]!), "patch.diff"), 0);
      assert.match(await attempt(dirs), /bundle \S+ is tampered: patch\.diff changed/);
      dirs = copyShards();
      const m = await attempt(dirs, { trustCi: false });
      assert.match(m, /is untrusted: signed by key \w+, which is not trusted here/);
      assert.equal(m.split("\n").filter((l) => /is untrusted/.test(l)).length, 8, "every CI-signed bundle named");
    });

    it("refuses, before copying anything, a bundle whose (unverified) report names a path as its run id", async () => {
      const dirs = copyShards();
      const victim = someBundle(dirs[2]!);
      const r = JSON.parse(readFileSync(join(victim, "report.json"), "utf8"));
      r.run_id = "../../../escaped";
      writeFileSync(join(victim, "report.json"), JSON.stringify(r, null, 2) + "\n");
      const m = await attempt(dirs);
      assert.match(m, /report\.json names run id "\.\.\/\.\.\/\.\.\/escaped", which is not a run id/);
      assert.ok(!existsSync(join(dirs[2]!, "..", "..", "escaped")) && !existsSync(join(tempDir(), "..", "escaped")));
    });

    it("cto compare --merge exits 1 with the reasons; --shard and --merge are checked", async () => {
      const err: string[] = [];
      const io: CliIo = { out: () => {}, err: (l) => err.push(l), cwd: ws.root, env: ws.env };
      const dirs = copyShards();
      assert.equal(await main(["compare", "--merge", dirs[0]!, "--task-set", ws.taskSet, "--out", join(tempDir(), "x")], io), 1);
      assert.match(err.join("\n"), /cto compare: the shards do not make a comparison:\n {2}- missing cell/);
      assert.equal(await main(["compare", "--merge", "--task-set", ws.taskSet], io), 2);
      assert.equal(await main(["compare", "--merge", dirs[0]!, "--shard", "1/2", "--task-set", ws.taskSet], io), 2);
      assert.equal(await main(["compare", "--shard", "3/2", "--task-set", ws.taskSet], io), 2);
      assert.equal(await main(["compare", dirs[0]!, "--task-set", ws.taskSet], io), 2, "a folder without --merge is a usage error");
    });

    it("a merged comparison re-signed with a missing or a duplicated cell fails the gate, naming the cell", async () => {
      const key = loadSigningKey();
      const [found] = await discoverWorkspaces(ws.root, nodeFs);
      const w = await loadWorkspace(found!, nodeFs);
      for (const [edit, re] of [
        [(c: Comparison) => (c.cells = c.cells.filter((x) => !(x.engine === "codex" && x.task === "t2-tests-fail"))), /codex × t2-tests-fail is missing/],
        [(c: Comparison) => c.cells.push({ ...c.cells[0]! }), /case × t1-pass appears 2 times/],
      ] as const) {
        const dir = join(tempDir("cto-resigned-"), "c");
        cpSync(mergedDir, dir, { recursive: true });
        const c: Comparison = JSON.parse(readFileSync(join(dir, "comparison.json"), "utf8"));
        edit(c);
        writeComparison(dir, c, renderComparisonMd(c), key);
        const ev = await readComparisons(dir, { root: ws.root, trust: loadTrustStore({ workspaceRoot: ws.root }) });
        assert.deepEqual([ev[0]!.signature, ev[0]!.problems], ["trusted", []]);
        const g = evaluateGates(w, [], { comparisons: ev }).find((x) => x.id === "candidate-default")!;
        assert.match(g.lacks.join("\n"), re);
      }
    });
  });
});
