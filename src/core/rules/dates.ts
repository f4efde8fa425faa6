// Calendar dates as YYYY-MM-DD strings; no clock is read here (today comes from options).

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a valid YYYY-MM-DD, else undefined (rejects 2026-02-30). */
export function dayNumber(s: unknown): number | undefined {
  if (typeof s !== "string") return undefined;
  const m = DATE.exec(s);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return t / 86400000;
}

export function isValidDate(s: unknown): boolean {
  return dayNumber(s) !== undefined;
}

/** Today's date in UTC as YYYY-MM-DD (for callers that own the clock: CLI and editor). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
