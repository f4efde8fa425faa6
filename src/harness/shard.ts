// `cto compare --shard K/N`: which engine × task cells one CI matrix job runs. The split is a
// function of the set of cells and N only: each cell's key is machine-independent (engine id,
// task id, the task file's sha256 — never a path, which differs between checkouts), the cells
// are sorted by the sha256 of that key, and the i-th goes to shard (i mod N) + 1. So the same
// cell lands in the same shard on every machine, whatever order engines and tasks were given
// in, and the shards' sizes differ by at most one.
import { createHash } from "node:crypto";

export interface Shard {
  /** 1-based. */
  k: number;
  n: number;
}

/** The largest N accepted (a CI matrix has at most 256 jobs). */
export const MAX_SHARDS = 256;

export class ShardSpecError extends Error {}

/** Parses "K/N" (1 ≤ K ≤ N ≤ 256, plain decimal integers). */
export function parseShard(spec: string): Shard {
  const m = /^\s*(\d{1,3})\s*\/\s*(\d{1,3})\s*$/.exec(spec);
  if (!m) throw new ShardSpecError(`--shard must be K/N (e.g. 2/3), not '${spec}'`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || n > MAX_SHARDS) throw new ShardSpecError(`--shard ${spec}: N must be between 1 and ${MAX_SHARDS}`);
  if (k < 1 || k > n) throw new ShardSpecError(`--shard ${spec}: K must be between 1 and N (${n})`);
  return { k, n };
}

export const formatShard = (s: Shard) => `${s.k}/${s.n}`;

/** What identifies a cell on any machine. */
export interface CellIdentity {
  engine: string;
  taskId: string;
  taskSha256: string;
}

export const cellKey = (c: CellIdentity) => `${c.engine}\0${c.taskId}\0${c.taskSha256}`;

/** For each cell (in the order given), the 1-based shard it belongs to out of n. */
export function assignShards<T extends CellIdentity>(cells: T[], n: number): number[] {
  const keyed = cells.map((c, i) => ({ i, h: createHash("sha256").update(cellKey(c)).digest("hex") }));
  keyed.sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0));
  const out = new Array<number>(cells.length);
  keyed.forEach((x, rank) => (out[x.i] = (rank % n) + 1));
  return out;
}

/** The cells of shard k/n, in the order given. */
export function cellsOfShard<T extends CellIdentity>(cells: T[], shard: Shard): T[] {
  const where = assignShards(cells, shard.n);
  return cells.filter((_, i) => where[i] === shard.k);
}
