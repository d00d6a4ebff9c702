import { describe, expect, it } from 'vitest';
import { compileLimits, planOf } from './compile-limits';
import type { CompiledLimits } from './types';

describe('compileLimits', () => {
  it('keeps the plan, frozen, and derives the store plan once', () => {
    const limits = compileLimits({
      rateLimits: [{ name: 'burst', limit: 10, windowMs: 1_000 }],
      monthlyQuota: 5,
    });
    expect(limits.policies).toEqual([{ name: 'burst', limit: 10, windowMs: 1_000 }]);
    expect(limits.monthlyQuota).toBe(5);
    expect(Object.isFrozen(limits)).toBe(true);
    expect(planOf(limits)).toBe(planOf(limits));
    expect(planOf(limits).entries.map((e) => e.field)).toEqual(['burst:1000', '#quota']);
  });

  it('compiles a hand-built CompiledLimits on first use', () => {
    const hand: CompiledLimits = {
      policies: [{ name: 'a', limit: 1, windowMs: 1 }],
      monthlyQuota: null,
      policyHeader: '"a";q=1;w=1',
    };
    expect(planOf(hand).entries).toHaveLength(1);
  });

  it('gives the same field set the same signature, whatever the limits', () => {
    const sig = (limit: number, windowMs: number) =>
      planOf(compileLimits({ rateLimits: [{ name: 'a', limit, windowMs }], monthlyQuota: null }))
        .signature;
    expect(sig(1, 1_000)).toBe(sig(99, 1_000));
    expect(sig(1, 1_000)).not.toBe(sig(1, 2_000));
  });

  it.each([
    ['a zero limit', [{ name: 'a', limit: 0, windowMs: 1_000 }], null],
    ['a fractional limit', [{ name: 'a', limit: 1.5, windowMs: 1_000 }], null],
    ['a zero window', [{ name: 'a', limit: 1, windowMs: 0 }], null],
    ['a negative window', [{ name: 'a', limit: 1, windowMs: -5 }], null],
    ['an empty name', [{ name: '', limit: 1, windowMs: 1_000 }], null],
    ['a non-ASCII name', [{ name: 'bürst', limit: 1, windowMs: 1_000 }], null],
    [
      'duplicate names',
      [
        { name: 'a', limit: 1, windowMs: 1_000 },
        { name: 'a', limit: 2, windowMs: 2_000 },
      ],
      null,
    ],
    ['a window named like the quota', [{ name: 'monthly-quota', limit: 1, windowMs: 1 }], 10],
    ['a negative quota', [], -1],
    ['a fractional quota', [], 0.5],
  ])('rejects %s with a TypeError', (_, rateLimits, monthlyQuota) => {
    expect(() => compileLimits({ rateLimits, monthlyQuota })).toThrow(TypeError);
  });

  it('accepts a zero quota (every request denied as quota)', () => {
    expect(compileLimits({ rateLimits: [], monthlyQuota: 0 }).policyHeader).toBe(
      '"monthly-quota";q=0',
    );
  });
});
