// Done records (docs/gates.md "Done"): what `cto done` costs, and what reading records costs in
// the editor, where it must stay cheap (no validator ever runs there). Prints one JSON object
// (a `npm run bench` section):
//   done_cli_ms             `node dist/cli.js done` on a small repo (validator `node -e …`), median of 3
//   done_read_200_cold_ms   readDoneRecords of 200 records, HEAD = their commit (no git call), first read
//   done_read_200_ms        the same again (signatures are checked once per content), median of 5
//   done_read_200_moved_ms  the same after one more commit (ancestry + diff asked of git once), first read
//   done_read_200_warm_ms   that read again (the answer is cached per commit pair), median of 5
//   done_edit_parse_ms      an edit of the 200-issue doc: its re-parse (not this rule's cost), median of 50
//   done_edit_median_ms     then the done-evidence rule alone over its 200 checked issues, median of 50
//   done_edit_p95_ms        the same, p95
// Usage: node scripts/bench-done.mjs
import { build } from "esbuild";
import { nodeBundleOptions } from "./bundle-options.mjs";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (m) => process.stderr.write(`[bench-done] ${m}\n`);
const work = mkdtempSync(join(tmpdir(), "cto-bench-done-"));
const r1 = (x) => Math.round(x * 10) / 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const N = 200;

function git(cwd, ...args) {
  const r = spawnSync("git", ["-c", "user.name=Bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", ...args], { cwd, encoding: "utf8", env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" } });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

const fm = (name, extra = "") => `---\nname: ${name}\ntier: local\nstatus: draft\ncreated: 2026-05-28\nlast_reviewed: 2026-05-30\nlifecycle_classification: planning\ncore_promotion_status: not-promoted\n${extra}---\n`;
const DISCLAIMER = "Local planning SOT only. Not a Core Protocol. Not active Core authority.";

try {
  const out = join(work, "bundle.cjs");
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  const entry = join(work, "entry.ts");
  writeFileSync(entry, `export * from ${JSON.stringify(join(root, "src/harness/index.ts"))};\nexport * as core from ${JSON.stringify(join(root, "src/core/index.ts"))};\nexport { doneStatement } from ${JSON.stringify(join(root, "src/harness/doneRecord.ts"))};\nexport { signStatement } from ${JSON.stringify(join(root, "src/harness/attest.ts"))};\n`);
  await build({ ...nodeBundleOptions(), entryPoints: [entry], outfile: out });
  const h = createRequire(import.meta.url)(out);
  const key = join(work, "key.pem");
  writeFileSync(key, generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const env = { ...process.env, CTO_SIGNING_KEY: key };

  // A repo with a workspace of N fully checked issues.
  const repo = join(work, "repo");
  mkdirSync(join(repo, ".sot"), { recursive: true });
  writeFileSync(join(repo, "WORKBOARD.yaml"), "docs:\n  - path: .sot/prd.md\n  - path: .sot/issues.md\n");
  writeFileSync(join(repo, ".sot/prd.md"), `${fm("prd")}\n# PRD\n\n${DISCLAIMER}\n`);
  const issues = [];
  for (let i = 0; i < N; i++) {
    const id = `CTO-WORK-${String(100 + i).padStart(3, "0")}`;
    issues.push(`### ${id} - Issue ${i}\n\nType: AFK\n\nBlocked by: None\n\nWhat to build: Item ${i}.\n\nAcceptance criteria:\n\n- [x] It works.\n- [x] It is tested.\n\nAllowed files: \`src/${i}/**\`\n\nValidator: \`node -e "process.stdout.write('ok')"\`\n\nDone evidence: validator output, clean worktree, commit.\n`);
  }
  writeFileSync(join(repo, ".sot/issues.md"), `${fm("issues", "source: .sot/prd.md\n")}\n# Issues\n\n${DISCLAIMER}\n\n${issues.join("\n")}`);
  git(repo, "init", "-q");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "bench");
  const head = git(repo, "rev-parse", "HEAD");
  const tree = git(repo, "rev-parse", "HEAD^{tree}");

  log("cto done, 3 runs");
  const cli = join(root, "dist", "cli.js");
  const cliMs = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, "done", "CTO-WORK-100"], { cwd: repo, env, encoding: "utf8" });
    cliMs.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`cto done failed: ${r.stderr}`);
  }

  log(`${N} signed records`);
  const ws = await h.core.loadWorkspace((await h.core.discoverWorkspaces(repo, h.core.nodeFs))[0], h.core.nodeFs);
  const signer = h.loadSigningKey(env, { create: false });
  mkdirSync(join(repo, ".cto", "done"), { recursive: true });
  const doc = ws.docs.get(".sot/issues.md");
  for (const issue of doc.issues) {
    const p = {
      schema: "cto.done/v1",
      issue: { id: issue.id, title: issue.issueTitle, doc: ".sot/issues.md", line: issue.idRange.line, section_sha256: h.core.sectionDigest(doc, issue), criteria: issue.criteria.map((c) => ({ text: c.text, checked: true })), validator_line: "x", allowed_files: null },
      workspace: ".",
      validator: { argv: ["node", "-e", "process.stdout.write('ok')"], cwd: ".", exit_code: 0, duration_ms: 1, isolation: "bubblewrap", stdout: { sha256: "0".repeat(64), bytes: 2, cut_bytes: 0 }, stderr: { sha256: "0".repeat(64), bytes: 0, cut_bytes: 0 } },
      commit: head,
      tree,
      worktree_clean: true,
      scope: { include: [`src/${issue.id}/**`], exclude: [".cto/done/**", ".sot/issues.md"] },
      signer: { keyid: signer.keyid },
      recorded_at: new Date().toISOString(),
      harness_version: version,
    };
    writeFileSync(join(repo, ".cto/done", `${issue.id}.json`), h.signStatement(h.doneStatement(p, ".sot/issues.md"), signer));
  }
  const trust = h.loadTrustStore({ env, workspaceRoot: repo });
  const read = () => {
    const t = performance.now();
    const views = h.readDoneRecords(ws, { trust });
    const ms = performance.now() - t;
    const bad = [...views.values()].filter((v) => v.problems.length > 0);
    if (views.size !== N || bad.length > 0) throw new Error(`records: ${views.size}, not holding ${bad.length}: ${bad[0]?.problems[0]}`);
    return ms;
  };
  log("reading them");
  const cold = read();
  const atHead = median(Array.from({ length: 5 }, read));
  writeFileSync(join(repo, "NOTES.txt"), "moved on\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "one more");
  const moved = read();
  const warm = median(Array.from({ length: 5 }, read));

  log("keystrokes");
  ws.setDoneRecords(h.readDoneRecords(ws, { trust }));
  const sev = Object.fromEntries(h.core.RULE_IDS.map((id) => [id, id === "done-evidence" ? "warning" : "off"]));
  const opts = h.core.resolveOptions({ today: "2026-06-01", severities: sev });
  const base = ws.docs.get(".sot/issues.md").text;
  const parse = [];
  const times = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const affected = ws.setDoc(".sot/issues.md", base.replace("Item 7.", i % 2 ? "Item 7, edited." : "Item 7."));
    const t1 = performance.now();
    const f = h.core.validateWorkspace(ws, opts, affected);
    times.push(performance.now() - t1);
    parse.push(t1 - t);
    if ([...f.values()].flat().length !== (i % 2 ? 1 : 0)) throw new Error("unexpected done-evidence findings");
  }
  times.sort((a, b) => a - b);

  const figures = {
    done_cli_ms: r1(median(cliMs)),
    done_read_200_cold_ms: r1(cold),
    done_read_200_ms: r1(atHead),
    done_read_200_moved_ms: r1(moved),
    done_read_200_warm_ms: r1(warm),
    done_edit_parse_ms: r1(median(parse)),
    done_edit_median_ms: r1(times[Math.floor(times.length / 2)]),
    done_edit_p95_ms: r1(times[Math.floor(times.length * 0.95)]),
  };
  const rows = [
    { key: "done_cli_ms", label: "cto done, one issue (sandboxed validator, signed record)", unit: "ms" },
    { key: "done_read_200_cold_ms", label: "read + verify 200 done records, HEAD = their commit, first read", unit: "ms" },
    { key: "done_read_200_ms", label: "  again (signatures checked once per content)", unit: "ms" },
    { key: "done_read_200_moved_ms", label: "  after one more commit (git asked once)", unit: "ms" },
    { key: "done_read_200_warm_ms", label: "  again (cached answer)", unit: "ms" },
    { key: "done_edit_parse_ms", label: "an edit of a 200-issue doc: its re-parse, median (for scale)", unit: "ms" },
    { key: "done_edit_median_ms", label: "  then done-evidence on its 200 checked issues, median", unit: "ms" },
    { key: "done_edit_p95_ms", label: "  p95", unit: "ms" },
  ];
  process.stdout.write(JSON.stringify({ figures, rows }) + "\n");
} finally {
  rmSync(work, { recursive: true, force: true });
}
