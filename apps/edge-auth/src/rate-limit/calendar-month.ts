/**
 * The monthly quota's period: the calendar month in UTC. The last month seen is cached so the hot
 * path does not build a Date per request.
 */
let cachedStart = 0;
let cachedEnd = 0;
let cachedIndex = 0;

/** Months since January 1970 (UTC) — the quota counter's period id. */
export function monthIndex(now: number): number {
  if (now < cachedStart || now >= cachedEnd) refresh(now);
  return cachedIndex;
}

/** Ms from `now` until the next UTC month starts (≥ 1). */
export function msUntilMonthEnd(now: number): number {
  if (now < cachedStart || now >= cachedEnd) refresh(now);
  return cachedEnd - now;
}

function refresh(now: number): void {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  cachedStart = Date.UTC(year, month, 1);
  cachedEnd = Date.UTC(year, month + 1, 1);
  cachedIndex = (year - 1970) * 12 + month;
}
