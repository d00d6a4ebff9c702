import { describe, expect, it } from 'vitest';
import { sampleEvent } from '@tollgate/events/testing';
import { aggregateUsage, minuteOf, periodOf } from './usage-aggregation';

const NOV_27 = Date.UTC(2026, 10, 27, 12, 0, 30);

describe('aggregateUsage', () => {
  it('sums events of the same minute and dimensions into one row', () => {
    const base = sampleEvent('RequestMetered', { occurredAt: NOV_27 });
    const { rows } = aggregateUsage(
      [
        base,
        { ...base, occurredAt: NOV_27 + 20_000, costUnits: 3 },
        { ...base, occurredAt: NOV_27 + 40_000 },
        { ...base, outcome: 'rate_limited' },
      ],
      NOV_27,
    );
    expect(rows).toHaveLength(3);
    expect(
      rows.find((r) => r.outcome === 'allowed' && r.bucket === minuteOf(NOV_27)),
    ).toMatchObject({ requests: 2, costUnits: 4 });
  });

  it('keeps traffic without a known key under empty ids', () => {
    const anonymous = sampleEvent('RequestMetered', {
      keyId: null,
      accountId: null,
      planId: null,
      env: null,
      outcome: 'invalid',
    });
    expect(aggregateUsage([anonymous], NOV_27).rows[0]).toMatchObject({
      accountId: '',
      keyId: '',
      env: '',
      outcome: 'invalid',
    });
  });

  it('flags events of an already closed billing month as late, still counting them in their own minute', () => {
    const october = Date.UTC(2026, 9, 31, 23, 59, 59);
    const { rows, late } = aggregateUsage(
      [sampleEvent('RequestMetered', { occurredAt: october })],
      NOV_27,
    );
    expect(rows[0]!.bucket).toBe(minuteOf(october));
    expect(late).toEqual([
      {
        accountId: sampleEvent('RequestMetered').accountId,
        period: '2026-10',
        requests: 1,
        costUnits: 1,
      },
    ]);
    expect(
      aggregateUsage([sampleEvent('RequestMetered', { occurredAt: NOV_27 - 1_000 })], NOV_27).late,
    ).toEqual([]);
  });

  it('names periods in UTC', () => {
    expect(periodOf(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe('2026-01');
    expect(periodOf(Date.UTC(2025, 11, 31, 23, 59, 59))).toBe('2025-12');
  });
});
