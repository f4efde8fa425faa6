// dependency: every `Blocked by` ID resolves (a doc or WORKBOARD.yaml) and no cycle exists.
import type { Rule } from "./context";

/** At most this many IDs of a cycle's path are spelled out. */
const PATH_SHOWN = 12;

export function cyclePathText(cycle: string[]): string {
  if (cycle.length <= PATH_SHOWN) return cycle.join(" \u2192 ");
  const head = cycle.slice(0, PATH_SHOWN / 2);
  const tail = cycle.slice(-PATH_SHOWN / 2 + 1);
  return `${head.join(" \u2192 ")} \u2192 \u2026 (${cycle.length - head.length - tail.length} more) \u2026 \u2192 ${tail.join(" \u2192 ")}`;
}

/** Index of an ID on a cycle path, from a map built once per cycle (not indexOf per member). */
const positions = new WeakMap<string[], Map<string, number>>();
function positionOnCycle(cycle: string[], id: string): number {
  let m = positions.get(cycle);
  if (!m) {
    m = new Map();
    for (let i = 0; i < cycle.length - 1; i++) if (!m.has(cycle[i])) m.set(cycle[i], i);
    positions.set(cycle, m);
  }
  return m.get(id) ?? -1;
}

export const dependency: Rule = {
  id: "dependency",
  description: "Every `Blocked by` ID resolves to a doc or a WORKBOARD.yaml entry; no dependency cycles.",
  checkDoc(doc, ctx) {
    const ws = ctx.ws;
    const wb = ws.workboard;
    const graph = ws.graph();
    for (const issue of doc.issues) {
      for (const junk of issue.blockedByJunk) {
        ctx.report("dependency", doc.path, junk.range, `'${junk.value}' is not a CTO-WORK ID: list IDs like CTO-WORK-002, or None`);
      }
      const primary = ws.definitions(issue.id)[0]?.issue === issue;
      const cycle = primary ? graph.cycleOf.get(issue.id) : undefined;
      for (const b of issue.blockedBy) {
        const known = ws.definitions(b.value).length > 0 || wb?.ids.has(b.value);
        if (!known) {
          ctx.report("dependency", doc.path, b.range, `${b.value} is defined in no doc of this workspace and not known from WORKBOARD.yaml`);
        }
        if (cycle) {
          // The cycle is reported once, with its path, on its first edge; every other member's
          // edge points there (5,000 members each carrying the whole path made 451 MB of JSON).
          const at = positionOnCycle(cycle, issue.id);
          if (cycle[at + 1] === b.value) {
            if (at === 0) ctx.report("dependency", doc.path, b.range, `dependency cycle: ${cyclePathText(cycle)} (each is blocked by the next)`);
            else ctx.report("dependency", doc.path, b.range, `${issue.id} is on the dependency cycle through ${cycle[0]} (${cycle.length - 1} issues, reported at ${cycle[0]})`);
          }
        }
      }
    }
  },
};
