// Calendar dates as YYYY-MM-DD strings; no clock is read here (today comes from options).

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a valid YYYY-MM-DD, else undefined (rejects 2026-02-30). */
export function dayNumber(s: unknown): number | undefined {
  if (typeof s !== "string") return undefined;
  const m = DATE.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  // Days from the civil date, in integer arithmetic (no Date: its first use costs ~150 ms of
  // time-zone set-up in a cold process, and this runs for every planning doc).
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
}

export function isValidDate(s: unknown): boolean {
  return dayNumber(s) !== undefined;
}

/** Today's date in UTC as YYYY-MM-DD (for callers that own the clock: CLI and editor). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}
