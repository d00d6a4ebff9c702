import { describe, expect, it } from 'vitest';
import { billingPeriod, closablePeriods, periodAt } from './billing-period';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe('billing periods', () => {
  it('are UTC calendar months', () => {
    expect(billingPeriod('2028-02')).toEqual({
      period: '2028-02',
      start: at('2028-02-01T00:00:00Z'),
      end: at('2028-03-01T00:00:00Z'),
    });
    expect(periodAt(at('2026-12-31T23:59:59.999Z')).period).toBe('2026-12');
    expect(periodAt(at('2027-01-01T00:00:00Z')).period).toBe('2027-01');
    expect(() => billingPeriod('2026-13')).toThrow(RangeError);
  });

  it('close only once the grace after their end has passed, oldest first', () => {
    expect(closablePeriods(at('2026-12-01T00:59:59Z'), HOUR, 3).map((p) => p.period)).toEqual([
      '2026-09',
      '2026-10',
    ]);
    expect(closablePeriods(at('2026-12-01T01:00:00Z'), HOUR, 3).map((p) => p.period)).toEqual([
      '2026-09',
      '2026-10',
      '2026-11',
    ]);
    expect(closablePeriods(at('2026-12-01T01:00:00Z'), 0, 1).map((p) => p.period)).toEqual([
      '2026-11',
    ]);
  });
});
