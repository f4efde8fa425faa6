// What a killed harness leaves behind — its sandbox in the temp folder, a
// half-written `.tmp-*` bundle in the evidence folder — is collected by the next
// run. Each such folder's name carries its owner's pid and process start time
// (pid numbers are reused; the pair is not), so only folders of processes that
// are gone are removed, never a live run's.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { markedProcesses } from "./proc";
import { removeTree } from "./rmtree";

/** "<pid>.<start time in clock ticks>" of this process (Linux); the pid alone elsewhere. */
export function ownerTag(pid = process.pid): string {
  if (pid === process.pid) return (selfTag ??= `${pid}.${startTime(pid) ?? 0}`);
  return `${pid}.${startTime(pid) ?? 0}`;
}
let selfTag: string | undefined;

function startTime(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Is the process that owns `tag` still running? Unknown formats count as alive (never removed). */
export function ownerAlive(tag: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(tag);
  if (!m) return true;
  const pid = Number(m[1]);
  const st = startTime(pid);
  if (st === undefined) {
    try {
      process.kill(pid, 0);
      return m[2] === "0"; // no /proc here: a live pid counts only when no start time was recorded
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  return st === m[2];
}

/**
 * Removes folders in `dir` named `<prefix><tag>-…` whose owner is gone. Returns what was removed.
 * Errors are swallowed: collecting leftovers must never fail a run.
 */
export function collectLeftovers(dir: string, prefix: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const tag = name.slice(prefix.length).split("-")[0]!;
    if (ownerAlive(tag)) continue;
    try {
      removeTree(join(dir, name));
      removed.push(name);
    } catch {
      /* not ours to fight over */
    }
  }
  return removed;
}

/**
 * Processes left running by a harness that is gone (without bubblewrap nothing ties them to
 * it): they carry a run marker "<owner tag>/<run id>" whose owner is dead. Killed; returns how many.
 */
export function killOrphans(): number {
  let n = 0;
  for (const p of markedProcesses()) {
    const tag = p.marker.split("/")[0]!;
    if (!/^\d+\.\d+$/.test(tag) || ownerAlive(tag)) continue;
    try {
      process.kill(p.pid, "SIGKILL");
      n++;
    } catch {
      /* gone already, or not ours */
    }
  }
  return n;
}
