// The CTO-WORK dependency graph: issues from docs plus items known only from WORKBOARD.yaml.
// Pure functions over plain maps; cycles are found once (Tarjan) and reported, never looped over.

export interface GraphNode {
  id: string;
  /** IDs this one is blocked by, in written order. */
  blockedBy: string[];
}

export interface DependencyGraph {
  nodes: Map<string, GraphNode>;
  /** id -> IDs it unblocks (reverse edges), sorted. */
  unblocks: Map<string, string[]>;
  /** Each cycle as a closed path starting at its smallest ID: [a, b, a]. */
  cycles: string[][];
  /** id -> the cycle it belongs to. */
  cycleOf: Map<string, string[]>;
}

export function buildGraph(nodes: Iterable<GraphNode>): DependencyGraph {
  const map = new Map<string, GraphNode>();
  for (const n of nodes) map.set(n.id, n);
  const unblocks = new Map<string, string[]>();
  for (const n of map.values()) {
    for (const b of n.blockedBy) {
      const list = unblocks.get(b);
      if (list) list.push(n.id);
      else unblocks.set(b, [n.id]);
    }
  }
  for (const list of unblocks.values()) list.sort(compareIds);
  const cycles = findCycles(map);
  const cycleOf = new Map<string, string[]>();
  for (const c of cycles) for (const id of c) cycleOf.set(id, c);
  return { nodes: map, unblocks, cycles, cycleOf };
}

/** Numeric-aware ID order: CTO-WORK-9 < CTO-WORK-010. */
export function compareIds(a: string, b: string): number {
  const na = trailingNumber(a);
  const nb = trailingNumber(b);
  return na !== nb && na >= 0 && nb >= 0 ? na - nb : a < b ? -1 : a > b ? 1 : 0;
}

/** The number an ID ends with, or -1 (no regex: this runs inside every sort of thousands of IDs). */
function trailingNumber(s: string): number {
  let i = s.length;
  while (i > 0 && s.charCodeAt(i - 1) >= 48 && s.charCodeAt(i - 1) <= 57) i--;
  return i === s.length ? -1 : Number(s.slice(i));
}

/** Strongly connected components (iterative Tarjan), turned into one readable cycle path each. */
function findCycles(nodes: Map<string, GraphNode>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  // Successors filtered once per node (the walk asks for them at every step of a node).
  const succs = new Map<string, string[]>();
  const succ = (id: string) => {
    let l = succs.get(id);
    if (!l) succs.set(id, (l = (nodes.get(id)?.blockedBy ?? []).filter((b) => nodes.has(b))));
    return l;
  };

  for (const start of [...nodes.keys()].sort(compareIds)) {
    if (index.has(start)) continue;
    const work: { id: string; i: number }[] = [{ id: start, i: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const next = succ(frame.id);
      if (frame.i < next.length) {
        const w = next[frame.i++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ id: w, i: 0 });
        } else if (onStack.has(w)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.id);
        const selfLoop = comp.length === 1 && succ(comp[0]).includes(comp[0]);
        if (comp.length > 1 || selfLoop) sccs.push(comp);
      }
    }
  }
  return sccs.map((comp) => cyclePath(comp, succ)).sort((a, b) => compareIds(a[0], b[0]));
}

/** A shortest closed walk through the component from its smallest ID (BFS back to it). */
function cyclePath(comp: string[], succ: (id: string) => string[]): string[] {
  const inComp = new Set(comp);
  const start = [...comp].sort(compareIds)[0];
  const prev = new Map<string, string>();
  const queue = [start];
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi];
    for (const n of succ(id)) {
      if (!inComp.has(n)) continue;
      if (n === start) {
        const back: string[] = [];
        for (let c: string | undefined = id; c !== undefined && c !== start; c = prev.get(c)) back.push(c);
        return [start, ...back.reverse(), start];
      }
      if (!prev.has(n)) {
        prev.set(n, id);
        queue.push(n);
      }
    }
  }
  return [start, start];
}

/** Dependency order (blockers first); members of cycles come after everything else, once each. */
export function dependencyOrder(graph: DependencyGraph): string[] {
  const order: string[] = [];
  const indeg = new Map<string, number>();
  for (const n of graph.nodes.values()) indeg.set(n.id, n.blockedBy.filter((b) => graph.nodes.has(b)).length);
  const ready = [...indeg].filter(([, d]) => d === 0).map(([id]) => id).sort(compareIds);
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const u of graph.unblocks.get(id) ?? []) {
      const d = indeg.get(u)! - 1;
      indeg.set(u, d);
      if (d === 0) {
        // keep `ready` sorted so the order is stable
        let k = 0;
        while (k < ready.length && compareIds(ready[k], u) < 0) k++;
        ready.splice(k, 0, u);
      }
    }
  }
  const placed = new Set(order);
  const rest = [...graph.nodes.keys()].filter((id) => !placed.has(id)).sort(compareIds);
  return [...order, ...rest];
}
