// package.json contributions that only the real host exercises otherwise: the walkthrough's steps,
// their media and the commands they name; the config schema wired to .cto/config.yaml.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "./helpers";

const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8"));
const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
const views = new Set<string>(Object.values(pkg.contributes.views).flat().map((v) => (v as { id: string }).id));

describe("package.json contributions", () => {
  it("every walkthrough step has a completion event, existing media and commands that exist", () => {
    const [w] = pkg.contributes.walkthroughs;
    assert.equal(w.id, "cto.gettingStarted");
    assert.deepEqual(w.steps.map((s: { id: string }) => s.id), ["workspace", "drift", "issues", "gates", "fixtures", "report"]);
    for (const s of w.steps) {
      assert.ok(s.completionEvents?.length > 0, `${s.id}: no completion event`);
      for (const e of s.completionEvents as string[]) {
        const [kind, arg] = e.split(/:(.*)/s);
        if (kind === "onCommand") assert.ok(contributed.has(arg), `${s.id}: ${arg} is not a contributed command`);
        else if (kind === "onView") assert.ok(views.has(arg), `${s.id}: no view ${arg}`);
        else assert.equal(kind, "onContext", `${s.id}: ${e}`);
      }
      const media = s.media.image ?? s.media.markdown;
      assert.ok(existsSync(path.join(REPO, media)), `${s.id}: ${media} is missing`);
      for (const m of (s.description as string).matchAll(/\(command:([\w.]+)(?:\?[^)]*)?\)/g)) {
        const id = m[1];
        const builtIn = id.startsWith("workbench.") || (id.endsWith(".focus") && views.has(id.slice(0, -".focus".length)));
        assert.ok(contributed.has(id) || builtIn, `${s.id}: button command ${id} does not exist`);
      }
    }
  });

  it("the .vsix ships what the walkthrough and the SARIF links need", () => {
    const ignore = readFileSync(path.join(REPO, ".vscodeignore"), "utf8");
    for (const line of ["!media/**", "!docs/images/**", "!docs/rules.md", "!schemas/**"]) assert.ok(ignore.split("\n").includes(line), line);
  });

  it("schemas/config.schema.json validates .cto/config.yaml in the editor", () => {
    const v = pkg.contributes.yamlValidation.find((y: { fileMatch: string }) => y.fileMatch === "**/.cto/config.yaml");
    assert.equal(v?.url, "./schemas/config.schema.json");
  });
});
