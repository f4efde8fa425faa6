// candidate-default with the real codex and pi CLIs (pinned, from npm; driven by our scripted
// model server on 127.0.0.1), `fake`, and case through the recorded-log `ca` replayer (NOT Case;
// admitted by its hash): `cto compare` over a task set in a child process, then `cto gates`. The
// task is shared by all four engines, so codex and pi are named by CTO_CODEX_COMMAND and
// CTO_PI_COMMAND from the caller's environment — the command the harness locates is the one it
// launches. The comparison is signed, every bundle re-verified when the gates read it, and the
// gate's conditions hold: every engine passed, case did at least as well as codex and pi.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { compareWorkspace } from "../unit/harness/compareHelpers";
import { cleanupTemps, tempDir } from "../unit/harness/helpers";
import { engineEnv, realEngineBin, writeEngineHome } from "./support/engineHome";
import { startModelServer, type ModelServer } from "./support/modelServer";

const ROOT = resolve(__dirname, "..", "..", "..");
const CLI = join(ROOT, "dist", "cli.js");

function cto(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code) => res({ code, out, err }));
  });
}

describe("engines: cto compare with the real codex and pi CLIs, then the candidate-default gate", function () {
  this.timeout(240_000);
  let server: ModelServer;
  before(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first`);
    server = await startModelServer({ mode: "script" });
  });
  after(async () => {
    await server?.close();
    cleanupTemps();
  });

  it("a signed comparison of case, fake, codex and pi on which the gate's conditions hold", async () => {
    const ws = compareWorkspace(["pass"], { timeoutS: 120 });
    // One user home holding codex's and pi's own configuration, both pointing at the server.
    const env = engineEnv({
      home: writeEngineHome(join(tempDir("cto-cmp-home-"), "home"), server.port),
      codex: realEngineBin("codex"),
      pi: realEngineBin("pi"),
      caseCommand: ws.env.CTO_CASE_COMMAND!,
      ...(process.env.CTO_SIGNING_KEY ? { signingKey: process.env.CTO_SIGNING_KEY } : {}),
      extra: { CTO_CA_REPLAY: ws.env.CTO_CA_REPLAY! },
    });
    const out = join(ws.root, ".cto", "compare", "real");
    const c = await cto(["compare", "--task-set", ws.taskSet, "--out", out, "--enable-gated", "case", "--pass-env", "CTO_CA_REPLAY", "--expose", ws.expose[0]!, "--json"], env, ws.root);
    assert.equal(c.code, 0, c.err);
    const cmp = JSON.parse(c.out);
    assert.deepEqual(
      cmp.cells.map((x: { engine: string; status: string; blockers: string[]; verdict: string }) => `${x.engine}: ${x.status} ${x.blockers.join(",") || "—"} ${x.verdict}`),
      ["case: pass — verified", "fake: pass — verified", "codex: pass — verified", "pi: pass — verified"],
      c.err,
    );
    assert.ok(server.requests.some((q) => q.path.endsWith("/responses")) && server.requests.some((q) => q.path.endsWith("/chat/completions")), "both real CLIs called the server");
    const g = await cto(["gates", ".", "--json"], env, ws.root);
    assert.equal(g.code, 0, g.err);
    const cd = JSON.parse(g.out).gates.find((x: { id: string }) => x.id === "candidate-default");
    assert.deepEqual(cd.lacks, []);
    assert.ok(cd.conditions.some((x: { text: string }) => x.text === "pass rate: case passes 1/1, at least as many as codex 1/1, pi 1/1"));
    assert.deepEqual(cd.comparison.totals.map((t: { engine: string; passed: number }) => `${t.engine} ${t.passed}`), ["case 1", "fake 1", "codex 1", "pi 1"]);
  });
});
