/**
 * A window length (whole seconds, at least `approxMs`) whose current window — fixed windows are
 * aligned to the epoch, counted by Redis `TIME` — still has at least `roomMs` to run, so a test
 * that counts inside one window cannot see it roll over, whatever the time of day it runs at.
 * Redis and the test share this host's clock; `roomMs` should dwarf the test's own duration.
 */
export function windowWithRoom(approxMs: number, roomMs: number, now = Date.now()): number {
  if (roomMs >= approxMs) throw new RangeError('roomMs must be shorter than the window');
  for (let windowMs = Math.ceil(approxMs / 1_000) * 1_000; ; windowMs += 1_000)
    if (windowMs - (now % windowMs) >= roomMs) return windowMs;
}

/**
 * How far to run an edge's clock ahead so that its UTC calendar month — monthly quotas count by
 * the edge's clock — has at least `roomMs` left: 0 unless the month is about to end.
 */
export function monthWithRoom(roomMs: number, now = Date.now()): number {
  const today = new Date(now);
  const monthEnd = Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1);
  return monthEnd - now >= roomMs ? 0 : monthEnd - now;
}

/**
 * How far to run an edge's clock ahead so that its current `windowMs` window — per-client budgets
 * count in fixed windows of the edge's clock — has at least `roomMs` left: 0 unless it is ending.
 */
export function aheadForRoom(windowMs: number, roomMs: number, now = Date.now()): number {
  const left = windowMs - (now % windowMs);
  return left >= roomMs ? 0 : left;
}
