// A CTO child workspace for comparisons: the fixture workspace's stage gates (with the
// candidate-default `Comparison rule:`), an admission record and an eligibility decision for the
// recorded-log `ca` replayer (fixtures/engines/case/ca — NOT Case), a candidate-default task set,
// and tasks every engine can run: `fake` from the task's scenario, `codex` and `pi` through the
// stdout replayer (fixtures/engines/replay-stdout — NOT codex, NOT pi) replaying their recorded
// logs, `case` through the ca replayer. None of these is the real engine; the harness around
// them (sandbox, isolation, bundles, signatures) is the real one.
import { createHash } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ENGINE_FIXTURES, FIXTURES, tempDir } from "./helpers";
import { WORKSPACE } from "./matrixHelpers";

export const CA = join(ENGINE_FIXTURES, "case", "ca");
const CA_SHA = createHash("sha256").update(readFileSync(CA)).digest("hex");
const REPLAY = join(ENGINE_FIXTURES, "replay-stdout");
const GATES_DOC = ".sot/03-PROTOCOLS/CTO-CASE-STAGE-GATES.md";

export interface CompareWorkspace {
  root: string;
  /** Task files, absolute, in the set's order. */
  tasks: string[];
  /** The task-set record, absolute. */
  taskSet: string;
  /** The plain-folder repo the tasks run on. */
  repo: string;
  /** env for runs: the replayers as codex, pi and case. */
  env: NodeJS.ProcessEnv;
  passEnv: string[];
  expose: string[];
  /** The CLI flags for the same (cto compare). */
  cliFlags: string[];
}

/** One task's shape: `pass` (sub() right, tests pass) or `tests-fail` (a test command that fails whatever the change). */
export type TaskKind = "pass" | "tests-fail";

const SUB = "module.exports = function sub(a, b) {\n  return a - b;\n};\n";

export function compareWorkspace(kinds: TaskKind[] = ["pass", "tests-fail"], o: { timeoutS?: number } = {}): CompareWorkspace {
  const root = tempDir("cto-cmpws-");
  writeFileSync(join(root, "WORKBOARD.yaml"), "workspace: { name: compare-test }\n");
  mkdirSync(join(root, ".sot/03-PROTOCOLS"), { recursive: true });
  cpSync(join(WORKSPACE, GATES_DOC), join(root, GATES_DOC));
  const fm = (name: string, type: string, extra = "") => `---\nname: ${name}\ntier: local\nstatus: draft\ncreated: 2026-05-31\nlast_reviewed: 2026-05-31\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\nrecord_type: ${type}\n${extra}---\n\n`;
  mkdirSync(join(root, "records"));
  writeFileSync(
    join(root, "records", "admission.md"),
    `${fm("adm", "source-admission")}# Admission\n\nLocal planning SOT only. Not a Core Protocol. Not active Core authority.\n\nSource ID: case-30b1fa1\nSource URL: https://github.com/workos/case\nPinned commit: 30b1fa1285a9d8f5a05f81377bcf95fbe250642c\nLicense note: no LICENSE file; no license granted; sandbox evaluation only\nRetrieval date: 2026-05-16\nRetrieval command: git clone https://github.com/workos/case\nIntegrity hash: sha256:${CA_SHA}\nAllowed execution mode: sandbox only\nProtected-source boundary: source repo never mutated\n\n| Date | Previous source ID | New source ID | Reason |\n| --- | --- | --- | --- |\n| 2026-05-16 | — | case-30b1fa1 | first admission |\n`,
  );
  writeFileSync(
    join(root, "records", "decision.md"),
    `${fm("dec", "eligibility-decision")}# Decision\n\nLocal planning SOT only. Not a Core Protocol. Not active Core authority.\n\nSelected backend: \`case\`\nDenied backends: none\nRisk class: high\nRequired gates: gated-engine\nAllowed mutation mode: sandbox\nReasons: evaluation\nEscalation path: CTO\nDecided by: CTO (human reviewer)\nDecided on: 2026-05-16\n`,
  );
  const repo = join(root, "repos", "calc");
  cpSync(join(FIXTURES, "repo"), repo, { recursive: true });
  mkdirSync(join(root, "tasks"));
  const tasks = kinds.map((kind, i) => {
    const id = `t${i + 1}-${kind}`;
    const file = join(root, "tasks", `${id}.yaml`);
    const test = kind === "pass" ? `["node", "test.js"]` : `["node", "-e", "process.exit(1)"]`;
    writeFileSync(file, `id: ${id}\nprompt: "Add subtract() in src/sub.js"\nrepo: ../repos/calc\nallowed_files: ["src/**"]\ntest_command: ${test}\ntimeout_s: ${o.timeoutS ?? 30}\nscenario:\n  - write: { path: src/sub.js, content: ${JSON.stringify(SUB)} }\n  - exit: 0\n`);
    return file;
  });
  const taskSet = join(root, "records", "compare-set.md");
  writeFileSync(taskSet, `${fm("compare-set", "task-set", "gate: candidate-default\n")}# Candidate-default comparison set\n\nLocal planning SOT only. Not a Core Protocol. Not active Core authority.\n\n| task | task file | repo |\n| --- | --- | --- |\n${tasks.map((t) => `| ${t.split("/").pop()!.replace(/\.yaml$/, "")} | \`tasks/${t.split("/").pop()}\` | \`repos/calc\` |`).join("\n")}\n`);
  // codex and pi: the stdout replayer with each engine's recorded success log.
  const bin = join(root, "bin");
  mkdirSync(bin);
  for (const engine of ["codex", "pi"]) {
    const w = join(bin, engine);
    writeFileSync(w, `#!/usr/bin/env node\n// Test stand-in: replays ${engine}'s recorded log (not ${engine}).\nprocess.env.CTO_REPLAY_SPEC = ${JSON.stringify(join(ENGINE_FIXTURES, engine, "replay-success.json"))};\nrequire(${JSON.stringify(REPLAY)});\n`);
    chmodSync(w, 0o755);
  }
  const env = { ...process.env, CTO_CODEX_COMMAND: join(bin, "codex"), CTO_PI_COMMAND: join(bin, "pi"), CTO_CASE_COMMAND: CA, CTO_CA_REPLAY: join(ENGINE_FIXTURES, "case", "replay-completed.json") };
  const passEnv = ["CTO_CA_REPLAY"];
  const expose = [ENGINE_FIXTURES, bin];
  return { root, tasks, taskSet, repo, env, passEnv, expose, cliFlags: ["--enable-gated", "case", "--pass-env", "CTO_CA_REPLAY", "--expose", ENGINE_FIXTURES, "--expose", bin] };
}

/** The workspace's stage gates doc with the candidate-default rule line replaced (removed with ""; put back after the promotion condition). */
export function setRuleLine(ws: CompareWorkspace, line: string): void {
  const f = join(ws.root, GATES_DOC);
  const text = readFileSync(f, "utf8");
  writeFileSync(f, /^Comparison rule:.*$/m.test(text) ? text.replace(/^Comparison rule:.*$/m, line) : text.replace(/^(Promotion condition: a side-by-side comparison.*)$/m, `$1\n\n${line}`));
}
