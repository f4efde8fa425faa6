// Stage gates on 500 bundles (issue 12): `cto gates --json` in a fresh process over a runs folder
// of 500 evidence bundles — every bundle re-verified (digests, manifest, Ed25519 signature,
// consistency, freshness) and every review's signature checked — on a workspace whose gates 1–5
// all pass on that evidence. Prints one JSON object (a `npm run bench` section):
//   gates_500_ms             median wall time (fresh `node cli.js gates --json`), target < 1000
//   gates_500_per_bundle_ms  that / 500
//   gates_500_cpu_ms         its CPU time (user + sys; GNU time), the figure a busy machine inflates least
//   gates_500_rss_mb         peak RSS of that process
//   gates_bundles_verified   how many of the 500 verified (all must)
// The 500: the whole failure matrix (`cto fixtures`, 17 bundles) and, for 3 tasks, a case run on
// the task's repo and one on a throwaway repo (`cto sandbox-repo create`), each reviewed (`cto
// review`) — case is the recorded-log replayer fixtures/engines/case/ca, NOT Case — then those
// bundles copied into new folders until there are 500 (a copy is a whole bundle, verified like any).
// Usage: node scripts/bench-gates.mjs [--runs N] [--bundles N]
import { build } from "esbuild";
import { nodeBundleOptions } from "./bundle-options.mjs";
import { spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("--runs", Number(process.env.CTO_BENCH_RUNS) || 5);
const BUNDLES = arg("--bundles", 500);
const log = (m) => process.stderr.write(`[bench-gates] ${m}\n`);
const r1 = (x) => Math.round(x * 10) / 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const GATES = ["copied-repo-fixture", "disposable-sandbox-repo", "owned-noncritical-repo"];
const CA = join(root, "fixtures", "engines", "case", "ca");
const GNU_TIME = existsSync("/usr/bin/time") && spawnSync("/usr/bin/time", ["-f", "%M %U %S", "true"], { encoding: "utf8" }).status === 0 ? "/usr/bin/time" : undefined;

const work = mkdtempSync(join(tmpdir(), "cto-bench-gates-"));
const env = { ...process.env, CTO_SIGNING_KEY: join(work, "signing-key.pem"), CTO_CA_REPLAY: join(root, "fixtures", "engines", "case", "replay-completed.json") };
writeFileSync(env.CTO_SIGNING_KEY, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
const git = (cwd, ...args) => {
  const r = spawnSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@cto.invalid", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
};

try {
  const cli = join(work, "cli.js");
  await build({ ...nodeBundleOptions(), entryPoints: [join(root, "src/cli/main.ts")], outfile: cli });
  const cto = (args, { ok = [0] } = {}) => {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: ws, env, encoding: "utf8", maxBuffer: 256 << 20 });
    if (!ok.includes(r.status)) throw new Error(`cto ${args.join(" ")}: exit ${r.status}\n${r.stderr}${r.stdout.slice(0, 2000)}`);
    return r.stdout;
  };

  // The workspace: the fixture workspace, its admission pinning the replayer, a git repo, 3 tasks, a task set per gate.
  const ws = join(work, "workspace");
  cpSync(join(root, "fixtures", "workspace"), ws, { recursive: true, filter: (s) => !s.includes(`${sep}.cto${sep}runs`) });
  const adm = join(ws, ".sot/03-PROTOCOLS/CTO-CASE-SOURCE-ADMISSION.md");
  writeFileSync(adm, readFileSync(adm, "utf8").replace(/sha256:0{64}/, `sha256:${createHash("sha256").update(readFileSync(CA)).digest("hex")}`));
  const repo = join(ws, "repos", "calc");
  cpSync(join(root, "fixtures", "harness", "repo"), repo, { recursive: true });
  git(repo, "init", "-q");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  mkdirSync(join(ws, "tasks"));
  const tasks = [1, 2, 3].map((n) => `sub-${n}`);
  for (const id of tasks) writeFileSync(join(ws, "tasks", `${id}.yaml`), `id: ${id}\nprompt: "Add subtract() in src/sub.js (${id})"\nrepo: ../repos/calc\nallowed_files: ["src/**"]\ntest_command: ["node", "test.js"]\ntimeout_s: 60\nreviewer: { command: ["node", "-e", "process.exit(0)"] }\nengine_options: { command: ["${CA}"] }\n`);
  const rows = tasks.map((id) => `| ${id} | tasks/${id}.yaml | repos/calc |`).join("\n");
  for (const g of GATES) {
    writeFileSync(
      join(ws, ".sot/03-PROTOCOLS", `TASKS-${g}.md`),
      `---\nname: bench-task-set-${g}\ntier: local\nstatus: draft\ncreated: 2026-05-31\nlast_reviewed: 2026-05-31\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\nrecord_type: task-set\ngate: ${g}\n---\n\n# Task set: ${g}\n\nLocal planning SOT only. Not a Core Protocol. Not active Core authority.\n\n| task | task file | repo |\n| --- | --- | --- |\n${rows}\n`,
    );
  }
  const runs = join(ws, ".cto", "runs");

  log("the whole failure matrix (cto fixtures)");
  cto(["fixtures", "--workspace", ws, "--fixtures", join(root, "fixtures", "harness"), "--out", runs, "--json"]);
  const caseRun = (task, extra = []) => JSON.parse(cto(["run", "--engine", "case", "--enable-gated", "case", "--task", `tasks/${task}.yaml`, "--pass-env", "CTO_CA_REPLAY", "--expose", join(root, "fixtures", "engines"), "--json", ...extra])).bundle;
  for (const t of tasks) {
    log(`case on ${t}: on its repo, then on a throwaway repo; each reviewed`);
    const a = caseRun(t);
    const sb = cto(["sandbox-repo", "create", "--task", `tasks/${t}.yaml`]).trim();
    const b = caseRun(t, ["--sandbox-repo", sb]);
    rmSync(sb, { recursive: true, force: true });
    for (const bundle of [a, b]) cto(["review", bundle, "--approve", "--by", "Bench Reviewer", "--note", "bench"]);
  }
  const FIX = ["--fixtures", join(root, "fixtures", "harness")];
  const states = JSON.parse(cto(["gates", ws, "--json", ...FIX])).gates.map((g) => `${g.id}:${g.state}`);
  if (states.slice(0, 5).some((s) => !s.endsWith(":passed"))) throw new Error(`the bench workspace should pass gates 1–5: ${states.join(", ")}`);

  // Copies, until there are BUNDLES folders.
  const made = readdirSync(runs).filter((n) => !n.startsWith("."));
  for (let i = 0; made.length + i < BUNDLES; i++) cpSync(join(runs, made[i % made.length]), join(runs, `${made[i % made.length]}-copy${String(i).padStart(4, "0")}`), { recursive: true });

  log(`cto gates --json over ${BUNDLES} bundles, ${RUNS} fresh process(es)`);
  const walls = [];
  const rss = [];
  const cpu = [];
  let verified = 0;
  for (let i = 0; i < RUNS; i++) {
    const argv = [cli, "gates", ws, "--json", ...FIX];
    const t0 = performance.now();
    const r = GNU_TIME ? spawnSync(GNU_TIME, ["-f", "%M %U %S", process.execPath, ...argv], { cwd: ws, env, encoding: "utf8", maxBuffer: 256 << 20 }) : spawnSync(process.execPath, argv, { cwd: ws, env, encoding: "utf8", maxBuffer: 256 << 20 });
    walls.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`cto gates: exit ${r.status}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    if (j.evidence_bundles !== BUNDLES) throw new Error(`cto gates read ${j.evidence_bundles} bundles, not ${BUNDLES}`);
    if (j.gates.slice(0, 5).some((g) => g.state !== "passed")) throw new Error(`gates 1–5 should pass: ${j.gates.map((g) => g.state).join(", ")}`);
    verified = j.evidence.verified;
    if (GNU_TIME) {
      const [kb, user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
      rss.push(kb / 1024);
      cpu.push((user + sys) * 1000);
    }
  }
  const ms = median(walls);
  const figures = {
    gates_500_ms: r1(ms),
    gates_500_per_bundle_ms: r1((ms / BUNDLES) * 100) / 100,
    gates_500_cpu_ms: cpu.length ? r1(median(cpu)) : null,
    gates_500_rss_mb: rss.length ? r1(median(rss)) : null,
    gates_bundles_verified: verified,
    gates_bench_loadavg: r1(loadavg()[0]),
  };
  process.stdout.write(
    `${JSON.stringify({
      figures,
      rows: [
        { key: "gates_500_ms", label: `cto gates on ${BUNDLES} bundles, each re-verified`, unit: "ms", target: "< 1000 ms" },
        { key: "gates_500_per_bundle_ms", label: "… per bundle", unit: "ms" },
        { key: "gates_500_cpu_ms", label: "… its CPU time (user + sys)", unit: "ms", target: "< 1000 ms" },
        { key: "gates_500_rss_mb", label: "… peak RSS", unit: "MB" },
        { key: "gates_bundles_verified", label: "… bundles that verified", unit: "" },
      ],
      walls_ms: walls.map(r1),
    })}\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
