// The Work Issues tree as plain data: an issue under what it is blocked by (repeats marked,
// cycles stopped), a flat list in dependency order, or what each issue unblocks.
import { compareIds, dependencyOrder } from "./graph";
import { issueStatus, type IssueStatus } from "./status";
import type { CtoWorkspace } from "./workspace";

export type TreeMode = "tree" | "flat" | "unblocks";

export interface IssueNode {
  /** Unique among siblings' paths: the chain of IDs from the root. */
  key: string;
  id: string;
  status: IssueStatus;
  /** Already shown earlier in the tree (its children are shown there). */
  repeat: boolean;
  /** Would close a dependency cycle: shown once, not expanded. */
  cycle: boolean;
  /** Transitive count of issues this one unblocks (for the "unblocks" mode). */
  impact?: number;
  children: IssueNode[];
  parent?: IssueNode;
}

export interface IssueTree {
  roots: IssueNode[];
  cycles: string[][];
  /** Open issues whose blockers are all done. */
  ready: string[];
  /** The first node shown for each ID (what "reveal" selects). */
  firstOf: Map<string, IssueNode>;
}

export function buildIssueTree(ws: CtoWorkspace, mode: TreeMode): IssueTree {
  const graph = ws.graph();
  const statuses = new Map<string, IssueStatus>();
  const status = (id: string) => {
    let s = statuses.get(id);
    if (!s) statuses.set(id, (s = issueStatus(ws, id)!));
    return s;
  };
  const ids = [...graph.nodes.keys()].sort(compareIds);
  const firstOf = new Map<string, IssueNode>();
  const node = (id: string, parent: IssueNode | undefined, extra: Partial<IssueNode> = {}): IssueNode => {
    const n: IssueNode = { key: parent ? `${parent.key}/${id}` : id, id, status: status(id), repeat: false, cycle: false, children: [], ...extra };
    if (parent) n.parent = parent;
    if (!firstOf.has(id) && !n.repeat && !n.cycle) firstOf.set(id, n);
    return n;
  };
  let roots: IssueNode[];

  if (mode === "flat") {
    roots = dependencyOrder(graph).map((id) => node(id, undefined));
  } else if (mode === "unblocks") {
    const impact = transitiveImpact(ids, (id) => graph.unblocks.get(id) ?? []);
    roots = ids
      .filter((id) => status(id).state !== "done")
      .sort((a, b) => impact.get(b)! - impact.get(a)! || compareIds(a, b))
      .map((id) => {
        const n = node(id, undefined, { impact: impact.get(id)! });
        n.children = (graph.unblocks.get(id) ?? []).map((c) => node(c, n, { repeat: true }));
        return n;
      });
  } else {
    const visited = new Set<string>();
    const expand = (n: IssueNode, path: Set<string>) => {
      visited.add(n.id);
      path.add(n.id);
      for (const c of graph.unblocks.get(n.id) ?? []) {
        if (path.has(c)) n.children.push(node(c, n, { cycle: true }));
        else if (visited.has(c)) n.children.push(node(c, n, { repeat: true }));
        else {
          const child = node(c, n);
          n.children.push(child);
          expand(child, path);
        }
      }
      path.delete(n.id);
    };
    const isRoot = (id: string) => (graph.nodes.get(id)?.blockedBy ?? []).every((b) => !graph.nodes.has(b));
    roots = [];
    for (const id of ids.filter(isRoot)) {
      const r = node(id, undefined);
      roots.push(r);
      expand(r, new Set());
    }
    // What no root reaches hangs off a cycle: start from each cycle once.
    for (const cycle of graph.cycles) {
      if (visited.has(cycle[0])) continue;
      const r = node(cycle[0], undefined);
      roots.push(r);
      expand(r, new Set());
    }
  }
  const ready = ids.filter((id) => status(id).state === "ready");
  return { roots, cycles: graph.cycles, ready, firstOf };
}

/** For each ID, how many distinct IDs it (transitively) unblocks. */
function transitiveImpact(ids: string[], next: (id: string) => string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of ids) {
    const seen = new Set<string>();
    const stack = [...next(id)];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x === id || seen.has(x)) continue;
      seen.add(x);
      stack.push(...next(x));
    }
    out.set(id, seen.size);
  }
  return out;
}
