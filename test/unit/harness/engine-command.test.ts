// The command a CLI engine is located, probed and admitted by is the command that runs. A task
// shared by several engines (cto compare) cannot name a command in engine_options (fake takes
// none), so CTO_CODEX_COMMAND / CTO_PI_COMMAND / CTO_CASE_COMMAND name it — from the caller's env.
// The engine's own env is an allow-list without them: an adapter that looked its command up
// again there launched the default name instead (`codex`, `ca`: not found, or whatever the
// engine's PATH holds — for case, not the executable its admission record pins).
import * as assert from "node:assert/strict";
import { compareWorkspace } from "./compareHelpers";
import { cleanupTemps, run } from "./helpers";

describe("harness: an env-configured engine command is the one that runs", function () {
  this.timeout(30_000);
  after(cleanupTemps);

  for (const engine of ["codex", "pi", "case"]) {
    it(`${engine}: CTO_${engine.toUpperCase()}_COMMAND, no such name on PATH`, async () => {
      const ws = compareWorkspace(["pass"]);
      const env = { ...ws.env, PATH: "/usr/bin:/bin" };
      const r = await run({ engine, taskFile: ws.tasks[0]!, cwd: ws.root, env, passEnv: ws.passEnv, expose: ws.expose, enableGated: ["case"] });
      assert.equal(r.report.status, "pass", JSON.stringify(r.report.blockers));
      if (engine !== "case") assert.match(r.report.engine.version ?? "", /replay-stdout/); // the ca replayer has no --version
    });
  }
});
