/** A billing period: one UTC calendar month, the same months as the edge's monthly quota. */
export interface BillingPeriod {
  /** `YYYY-MM` */
  period: string;
  /** Epoch ms of the month's first instant (inclusive). */
  start: number;
  /** Epoch ms of the next month's first instant (exclusive). */
  end: number;
}

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function billingPeriod(period: string): BillingPeriod {
  const match = PERIOD.exec(period);
  if (!match) throw new RangeError(`not a billing period: ${period}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { period, start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
}

/** The period an instant falls in. */
export function periodAt(at: number): BillingPeriod {
  const date = new Date(at);
  const period = `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
  return billingPeriod(period);
}

/** The period after this one. */
export function nextPeriod(period: BillingPeriod): BillingPeriod {
  return periodAt(period.end);
}

/**
 * The ended periods (at most `lookback`, oldest first) whose grace has passed at `now`: the ones a
 * closing run may close. The current period is never among them.
 */
export function closablePeriods(now: number, graceMs: number, lookback: number): BillingPeriod[] {
  const periods: BillingPeriod[] = [];
  let period = periodAt(periodAt(now).start - 1);
  for (let i = 0; i < lookback; i++) {
    if (now >= period.end + graceMs) periods.unshift(period);
    period = periodAt(period.start - 1);
  }
  return periods;
}
