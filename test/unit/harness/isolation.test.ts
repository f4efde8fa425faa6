// Isolation: what stays visible inside bubblewrap's fresh /tmp.
import * as assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { explicitTmpInputs, wrapArgv } from "../../../src/harness/isolation";

describe("harness: isolation", () => {
  it("keeps the folders of explicitly given inputs below /tmp visible, read-only", () => {
    const dir = mkdtempSync("/tmp/cto-iso-");
    try {
      const tool = join(dir, "tool");
      writeFileSync(tool, "#!/bin/sh\n");
      assert.deepEqual(explicitTmpInputs([tool, "--flag", "/tmp/does-not-exist/x"], { SPEC: join(dir, "spec.json") }), [dir]);
      const argv = wrapArgv({ kind: "bubblewrap", bin: "bwrap" } as never, [tool], { writable: "/tmp/sandbox", network: false, cwd: "/tmp/sandbox" });
      const i = argv.indexOf(dir);
      assert.ok(i > 0 && argv[i - 1] === "--ro-bind" && argv[i + 1] === dir, argv.join(" "));
      assert.ok(argv.indexOf("--tmpfs") < i, "bound after the fresh /tmp, so it is not hidden by it");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves argv alone without isolation", () => {
    assert.deepEqual(wrapArgv({ kind: "none" } as never, ["node", "x.js"], { writable: "/w", network: false, cwd: "/w" }), ["node", "x.js"]);
  });
});
