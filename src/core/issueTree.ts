// The Work Issues tree as plain data: an issue under what it is blocked by (repeats marked,
// cycles stopped), a flat list in dependency order, or what each issue unblocks.
//
// The shape depends only on the dependency graph, so it is built once per graph and mode and
// reused while edits leave IDs and blockers alone; statuses (criteria, done, ready) are read
// lazily, per node, when something asks — a tree view asks only for what is on screen.
import { compareIds, dependencyOrder, type DependencyGraph } from "./graph";
import { isChecked, isDone, issueStatus, type IssueStatus } from "./status";
import type { CtoWorkspace } from "./workspace";

export type TreeMode = "tree" | "flat" | "unblocks";

export interface IssueNode {
  /** Unique among siblings' paths: the chain of IDs from the root. */
  readonly key: string;
  readonly id: string;
  /** The issue's status now (computed on first read after each build). */
  readonly status: IssueStatus;
  /** Already shown earlier in the tree (its children are shown there). */
  readonly repeat: boolean;
  /** Would close a dependency cycle: shown once, not expanded. */
  readonly cycle: boolean;
  /** Transitive count of issues this one unblocks (for the "unblocks" mode). */
  readonly impact?: number;
  readonly children: IssueNode[];
  readonly parent?: IssueNode;
}

export interface IssueTree {
  roots: IssueNode[];
  cycles: string[][];
  /** Open issues (not done, not all checked) whose blockers are all done. */
  readonly ready: string[];
  /** The first node shown for each ID (what "reveal" selects). */
  firstOf: Map<string, IssueNode>;
}

/** Where nodes read statuses from; replaced on every build, so statuses are never stale. */
interface StatusSource {
  ws: CtoWorkspace;
  cache: Map<string, IssueStatus>;
}

class Node implements IssueNode {
  readonly children: Node[] = [];
  parent?: Node;
  impact?: number;
  constructor(
    readonly key: string,
    readonly id: string,
    readonly repeat: boolean,
    readonly cycle: boolean,
    private readonly source: { current: StatusSource },
  ) {}

  get status(): IssueStatus {
    const s = this.source.current;
    let st = s.cache.get(this.id);
    if (!st) s.cache.set(this.id, (st = issueStatus(s.ws, this.id)!));
    return st;
  }
}

interface Shape {
  roots: Node[];
  firstOf: Map<string, IssueNode>;
  source: { current: StatusSource };
}

const shapes = new WeakMap<DependencyGraph, Map<TreeMode, Shape>>();
const readyCache = new WeakMap<DependencyGraph, { stamp: number; ready: string[] }>();

export function buildIssueTree(ws: CtoWorkspace, mode: TreeMode): IssueTree {
  const graph = ws.graph();
  const current: StatusSource = { ws, cache: new Map() };
  let byMode = shapes.get(graph);
  if (!byMode) shapes.set(graph, (byMode = new Map()));
  // "unblocks" leaves done issues out, which criteria edits change: it is rebuilt every time.
  let shape = mode === "unblocks" ? undefined : byMode.get(mode);
  if (shape) shape.source.current = current;
  else {
    shape = buildShape(ws, graph, mode, { current });
    if (mode !== "unblocks") byMode.set(mode, shape);
  }
  const ids = sortedIds(graph);
  let ready: string[] | undefined;
  return {
    roots: shape.roots,
    cycles: graph.cycles,
    firstOf: shape.firstOf,
    get ready() {
      if (ready) return ready;
      // Readiness changes only with the graph or someone's done-ness: reuse it otherwise.
      const cached = readyCache.get(graph);
      if (cached?.stamp === ws.statusStamp) return (ready = cached.ready);
      ready = ids.filter((id) => !isDone(ws, id) && !isChecked(ws, id) && !graph.cycleOf.has(id) && (graph.nodes.get(id)?.blockedBy ?? []).every((b) => isDone(ws, b)));
      readyCache.set(graph, { stamp: ws.statusStamp, ready });
      return ready;
    },
  };
}

const idOrder = new WeakMap<DependencyGraph, string[]>();
function sortedIds(graph: DependencyGraph): string[] {
  let ids = idOrder.get(graph);
  if (!ids) idOrder.set(graph, (ids = [...graph.nodes.keys()].sort(compareIds)));
  return ids;
}

function buildShape(ws: CtoWorkspace, graph: DependencyGraph, mode: TreeMode, source: { current: StatusSource }): Shape {
  const ids = sortedIds(graph);
  const firstOf = new Map<string, IssueNode>();
  const node = (id: string, parent: Node | undefined, repeat = false, cycle = false): Node => {
    const n = new Node(parent ? `${parent.key}/${id}` : id, id, repeat, cycle, source);
    if (parent) n.parent = parent;
    if (!repeat && !cycle && !firstOf.has(id)) firstOf.set(id, n);
    return n;
  };
  let roots: Node[];

  if (mode === "flat") {
    roots = dependencyOrder(graph).map((id) => node(id, undefined));
  } else if (mode === "unblocks") {
    const impact = transitiveImpact(ids, (id) => graph.unblocks.get(id) ?? []);
    roots = ids
      .filter((id) => !isDone(ws, id))
      .sort((a, b) => impact.get(b)! - impact.get(a)! || compareIds(a, b))
      .map((id) => {
        const n = node(id, undefined);
        n.impact = impact.get(id)!;
        for (const c of graph.unblocks.get(id) ?? []) n.children.push(node(c, n, true));
        return n;
      });
  } else {
    const visited = new Set<string>();
    const expand = (n: Node, path: Set<string>) => {
      visited.add(n.id);
      path.add(n.id);
      for (const c of graph.unblocks.get(n.id) ?? []) {
        if (path.has(c)) n.children.push(node(c, n, false, true));
        else if (visited.has(c)) n.children.push(node(c, n, true));
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
  return { roots, firstOf, source };
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
