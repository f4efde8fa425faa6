// Bench section: the Work Issues tree on the bench's synthetic workspace (5,000 issues).
// tree_build_ms: buildIssueTree on a freshly loaded workspace (dependency graph included).
// tree_update_ms: p95 of one doc edit (a criterion toggled): setDoc, rebuild of the tree, the
//   ready count (the view's badge) and the statuses of the first 100 issues (what a view shows).
// tree_update_graph_ms: p95 of an edit that changes a blocker (the graph is rebuilt too).
// Run by scripts/bench.mjs (CTO_BENCH_WORKSPACE); prints one JSON object on stdout.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { yamlAsData } from "./yaml-plugin.mjs";

const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
const ws = process.env.CTO_BENCH_WORKSPACE;
if (!ws || !existsSync(ws)) {
  console.error("bench-tree: run through `npm run bench` (needs CTO_BENCH_WORKSPACE)");
  process.exit(2);
}
const coreFile = join(ROOT, "out", "bench", "core.js");
if (!existsSync(coreFile)) {
  await esbuild.build({ entryPoints: [join(ROOT, "src/core/index.ts")], bundle: true, platform: "node", format: "cjs", plugins: [yamlAsData], outfile: coreFile, logLevel: "warning" });
}
const core = createRequire(import.meta.url)(coreFile);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const r2 = (x) => Math.round(x * 100) / 100;

const load = async () => core.loadWorkspace((await core.discoverWorkspaces(ws, core.nodeFs))[0], core.nodeFs);

/** What the Work Issues view reads after a refresh: the badge and the visible rows. */
const touch = (tree) => {
  let n = tree.ready.length;
  let k = 0;
  for (const node of tree.firstOf.values()) {
    if (k++ >= 100) break;
    n += node.status.criteriaDone;
  }
  return n;
};

const builds = [];
let workspace;
for (let i = 0; i < 5; i++) {
  workspace = await load();
  const t = performance.now();
  const tree = core.buildIssueTree(workspace, "tree");
  touch(tree);
  builds.push(performance.now() - t);
  if (i === 0) console.error(`bench-tree: ${tree.firstOf.size} issues, ${tree.roots.length} roots, ${tree.ready.length} ready`);
}

const docs = [...workspace.docs.values()].filter((d) => d.issues.some((i) => i.criteria.length > 0));
const edit = (mutate) => {
  const times = [];
  for (let i = 0; i < 120; i++) {
    const doc = docs[(i * 37) % docs.length];
    const text = mutate(doc);
    const t = performance.now();
    workspace.setDoc(doc.path, text);
    touch(core.buildIssueTree(workspace, "tree"));
    if (i >= 20) times.push(performance.now() - t); // the first 20 warm up
  }
  return times;
};
const toggle = edit((doc) => (doc.text.includes("- [ ]") ? doc.text.replace("- [ ]", "- [x]") : doc.text.replace("- [x]", "- [ ]")));
const reblock = edit((doc) => doc.text.replace(/Blocked by: (None|CTO-WORK-\d+)/, (m, v) => (v === "None" ? "Blocked by: CTO-WORK-0003" : "Blocked by: None")));

const figures = {
  tree_build_ms: r2(pct(builds, 50)),
  tree_update_ms: r2(pct(toggle, 95)),
  tree_update_p50_ms: r2(pct(toggle, 50)),
  tree_update_graph_ms: r2(pct(reblock, 95)),
};
console.log(
  JSON.stringify({
    figures,
    rows: [
      { key: "tree_build_ms", label: "Work Issues tree, 5,000 issues: build + badge + 100 rows (median of 5)", unit: "ms", target: "< 100" },
      { key: "tree_update_ms", label: "tree after a one-doc edit (criterion): p95", unit: "ms", target: "< 10" },
      { key: "tree_update_graph_ms", label: "tree after an edit that changes a blocker: p95", unit: "ms" },
    ],
    builds_ms: builds.map(r2),
  }),
);
