// `cto gates [PATH] [--json]`: stage gate state, reasons and missing evidence, headless.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { currentGate, evaluateGates, type EvidenceBundle } from "../../core";
import type { CliIo } from "../io";
import { loadWorkspacesAt } from "../workspaces";

const HELP = `usage: cto gates [PATH] [--json]

Computes the six stage gates (gated-engine … candidate-default) of the workspaces at, below
or above PATH (default .) from the records and the evidence bundles. A gate is passed only
on fresh, verified evidence; default status is earned, not assumed.
exit: 0 (whatever the gates' states), 2 usage`;

const MARK = { passed: "✔", open: "○", locked: "🔒" } as const;

export default async function gates(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } } });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const list = await loadWorkspacesAt(io.cwd, positionals[0]);
  const out = list.map((ws) => {
    // Evidence bundles are read by the harness layer; none are known to the planning core yet.
    const evidence: EvidenceBundle[] = [];
    const states = evaluateGates(ws, evidence);
    return {
      root: path.relative(io.cwd, ws.root) || ".",
      current: currentGate(states)?.id ?? null,
      evidence_bundles: evidence.length,
      gates: states.map((g) => ({
        id: g.id,
        state: g.state,
        summary: g.summary,
        record: g.record ? { file: g.record.file, line: g.record.range.line } : null,
        promotion_condition: g.record?.promotionCondition ?? null,
        conditions: g.conditions.map((c) => ({ ok: c.ok, text: c.text })),
        lacks: g.lacks,
      })),
    };
  });
  if (values.json) io.out(JSON.stringify(out.length === 1 ? out[0] : { workspaces: out }, null, 2));
  else {
    for (const w of out) {
      io.out(`${w.root}  (current gate: ${w.current ?? "none — all passed"}; ${w.evidence_bundles} evidence bundle(s))`);
      for (const g of w.gates) {
        io.out(`  ${MARK[g.state]} ${g.id.padEnd(24)} ${g.summary}`);
        if (g.state === "open") for (const l of g.lacks) io.out(`      lacks: ${l}`);
      }
    }
  }
  return 0;
}
