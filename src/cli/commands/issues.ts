// `cto issues [PATH] [--json]`: the CTO-WORK issue graph, headless.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { buildIssueTree, dependencyOrder, issueStatus, stateLabel, type CtoWorkspace } from "../../core";
import type { CliIo } from "../io";
import { loadWorkspacesAt } from "../workspaces";

const HELP = `usage: cto issues [PATH] [--json]

Lists the CTO-WORK issues of the workspaces at, below or above PATH (default .) in
dependency order: status (done | checked | ready | blocked), blockers, what each unblocks,
criteria. "done" needs every criterion checked AND a done record that holds (cto done);
"checked" is "checked, not evidenced", with the reason.
exit: 0, or 1 when a dependency cycle exists, 2 usage`;

export default async function issues(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } } });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const list = await loadWorkspacesAt(io.cwd, positionals[0], io.env);
  const out = list.map((ws) => describe(ws, io.cwd));
  if (values.json) io.out(JSON.stringify(out.length === 1 ? out[0] : { workspaces: out }, null, 2));
  else {
    for (const w of out) {
      io.out(`${w.root}  (${w.issues.length} issues, ${w.ready.length} ready${w.cycles.length ? `, ${w.cycles.length} cycle(s)` : ""})`);
      for (const i of w.issues) {
        const where = i.file ? `${i.file}:${i.line}` : "WORKBOARD.yaml";
        const blockers = i.status === "blocked" && i.open_blockers.length ? ` by ${i.open_blockers.join(", ")}` : "";
        const crit = i.criteria_total ? ` ${i.criteria_done}/${i.criteria_total}` : "";
        io.out(`  ${i.id.padEnd(14)} ${(stateLabel(i.status) + blockers).padEnd(30)}${crit.padEnd(7)} ${i.title}  [${where}]`);
        if (i.status === "checked" && i.done_evidence?.reason) io.out(`      not evidenced: ${i.done_evidence.reason}`);
      }
      for (const c of w.cycles) io.out(`  cycle: ${c.join(" → ")}`);
    }
  }
  return out.some((w) => w.cycles.length > 0) ? 1 : 0;
}

function describe(ws: CtoWorkspace, cwd: string) {
  const graph = ws.graph();
  const tree = buildIssueTree(ws, "flat");
  return {
    root: path.relative(cwd, ws.root) || ".",
    issues: dependencyOrder(graph).map((id) => {
      const s = issueStatus(ws, id)!;
      return {
        id,
        title: s.title,
        file: s.doc ?? null,
        line: s.issue?.idRange.line ?? null,
        status: s.state,
        blocked_by: s.blockedBy,
        open_blockers: s.openBlockers,
        unblocks: s.unblocks,
        criteria_done: s.criteriaDone,
        criteria_total: s.criteriaTotal,
        type: s.type ?? null,
        source: s.doc ? "doc" : "workboard",
        ...(s.evidence
          ? {
              done_evidence: {
                state: s.evidence.state,
                reason: s.evidence.reason ?? null,
                record: s.evidence.file ?? null,
                commit: s.evidence.record?.commit ?? null,
                signer: s.evidence.record?.signer ?? null,
              },
            }
          : {}),
      };
    }),
    ready: tree.ready,
    cycles: tree.cycles,
  };
}
