import { describe, expect, it } from 'vitest';
import { compileLimits } from './compile-limits';
import { createRateLimiter } from './create-rate-limiter';
import { describeLimiterContract } from './limiter-contract';
import { MemoryLimiter } from './memory-store';

// Mid-hour, mid-month: 2024-05-15T10:30:00.250Z.
const START = Date.UTC(2024, 4, 15, 10, 30, 0, 250);

describeLimiterContract('memory', async () => {
  let now = START;
  return {
    limiter: createRateLimiter({ mode: 'memory' }),
    decidedBy: 'memory',
    now: () => now,
    advance: async (ms) => {
      now += ms;
    },
    close: async () => {},
  };
});

describe('MemoryLimiter', () => {
  const perSecond = compileLimits({
    rateLimits: [{ name: 'per-second', limit: 3, windowMs: 1_000 }],
    monthlyQuota: null,
  });

  it('aligns windows to the epoch: the count resets exactly at a multiple of windowMs', () => {
    const limiter = new MemoryLimiter();
    const boundary = Date.UTC(2024, 4, 15, 10, 31, 0, 0);
    const at = (now: number) =>
      limiter.checkLocal({ scope: 'key_a', limits: perSecond, cost: 1, now });
    for (let i = 0; i < 3; i++) expect(at(boundary - 1).allowed).toBe(true);
    const denied = at(boundary - 1);
    expect(denied.violated).toEqual({ kind: 'rate', name: 'per-second', retryAfterMs: 1 });
    // The documented burst: another full limit right after the boundary, 2× limit within 2 ms.
    for (let i = 0; i < 3; i++) expect(at(boundary).allowed).toBe(true);
    expect(at(boundary + 999).allowed).toBe(false);
    expect(at(boundary + 1_000).allowed).toBe(true);
  });

  it('rolls the monthly quota over at the UTC month boundary, including the year end', () => {
    const limiter = new MemoryLimiter();
    const limits = compileLimits({ rateLimits: [], monthlyQuota: 1 });
    const newYear = Date.UTC(2025, 0, 1);
    const at = (now: number) => limiter.checkLocal({ scope: 'acct_a', limits, cost: 1, now });
    expect(at(newYear - 10).allowed).toBe(true);
    expect(at(newYear - 1).violated).toEqual({
      kind: 'quota',
      name: 'monthly-quota',
      retryAfterMs: 1,
    });
    const january = at(newYear);
    expect(january.allowed).toBe(true);
    expect(january.policies[0]!.resetMs).toBe(31 * 24 * 3_600_000);
    expect(at(Date.UTC(2024, 1, 29, 12)).policies[0]!.resetMs).toBe(12 * 3_600_000);
  });

  it('reports the quota, with the longest retry, when a window and the quota both deny', () => {
    const limiter = new MemoryLimiter();
    const limits = compileLimits({
      rateLimits: [{ name: 'per-second', limit: 1, windowMs: 1_000 }],
      monthlyQuota: 1,
    });
    limiter.checkLocal({ scope: 'key_b', limits, cost: 1, now: START });
    const denied = limiter.checkLocal({ scope: 'key_b', limits, cost: 1, now: START });
    expect(denied.violated).toEqual({
      kind: 'quota',
      name: 'monthly-quota',
      retryAfterMs: Date.UTC(2024, 5, 1) - START,
    });
  });

  it('caps the number of scopes, evicting the least recently used', () => {
    const limiter = new MemoryLimiter({ maxScopes: 3 });
    const hit = (scope: string) =>
      limiter.checkLocal({ scope, limits: perSecond, cost: 1, now: START });
    hit('a');
    hit('b');
    hit('c');
    hit('a');
    hit('d');
    expect(limiter.size).toBe(3);
    // 'b' was the least recently used, so its count is gone; 'a' kept its count.
    expect(hit('b').policies[0]!.remaining).toBe(2);
    expect(hit('a').policies[0]!.remaining).toBe(0);
  });

  it('keeps the exact least-recently-used order when a hot scope is hit again and again', () => {
    const limiter = new MemoryLimiter({ maxScopes: 3 });
    const roomy = compileLimits({
      rateLimits: [{ name: 'per-second', limit: 10, windowMs: 1_000 }],
      monthlyQuota: null,
    });
    const hit = (scope: string) =>
      limiter.checkLocal({ scope, limits: roomy, cost: 1, now: START }).policies[0]!.remaining;
    hit('a');
    hit('b');
    hit('b');
    hit('c');
    hit('b'); // b moves behind c again: least recent first is now a, c, b
    hit('d'); // a goes
    hit('e'); // c goes
    expect(limiter.size).toBe(3);
    expect(hit('b')).toBe(6);
    expect(hit('c')).toBe(9);
  });

  it('sweeps expired scopes as new ones arrive and never stores denied-only scopes', () => {
    const limiter = new MemoryLimiter();
    for (let i = 0; i < 4; i++) {
      limiter.checkLocal({ scope: `old_${i}`, limits: perSecond, cost: 1, now: START });
    }
    limiter.checkLocal({ scope: 'late', limits: perSecond, cost: 1, now: START + 5_000 });
    expect(limiter.size).toBe(1);
    limiter.checkLocal({ scope: 'too-big', limits: perSecond, cost: 4, now: START + 5_000 });
    expect(limiter.size).toBe(1);
  });
});
