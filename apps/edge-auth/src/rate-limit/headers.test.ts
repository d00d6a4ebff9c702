import { describe, expect, it } from 'vitest';
import { compileLimits } from './compile-limits';
import { rateLimitHeaders } from './headers';
import type { LimitDecision, PolicyState } from './types';

const limits = compileLimits({
  rateLimits: [
    { name: 'burst', limit: 10, windowMs: 1_000 },
    { name: 'per-minute', limit: 1000, windowMs: 60_000 },
  ],
  monthlyQuota: 50_000,
});

function decision(
  policies: PolicyState[],
  violated: LimitDecision['violated'] = null,
): LimitDecision {
  return { allowed: violated === null, violated, policies, decidedBy: 'memory' };
}

describe('rateLimitHeaders', () => {
  it('precomputes RateLimit-Policy with windows in seconds (rounded up) and the quota without w', () => {
    expect(limits.policyHeader).toBe(
      '"burst";q=10;w=1, "per-minute";q=1000;w=60, "monthly-quota";q=50000',
    );
    const sub = compileLimits({
      rateLimits: [{ name: 'x', limit: 1, windowMs: 1_500 }],
      monthlyQuota: null,
    });
    expect(sub.policyHeader).toBe('"x";q=1;w=2');
  });

  it('describes the policy with the least remaining when allowed', () => {
    const headers = rateLimitHeaders(
      limits,
      decision([
        { name: 'burst', limit: 10, remaining: 9, resetMs: 400 },
        { name: 'per-minute', limit: 1000, remaining: 5, resetMs: 30_001 },
        { name: 'monthly-quota', limit: 50_000, remaining: 20_000, resetMs: 86_400_000 },
      ]),
    );
    expect(headers).toEqual({
      'RateLimit-Policy': limits.policyHeader,
      RateLimit: '"per-minute";r=5;t=31',
      'X-RateLimit-Limit': '1000',
      'X-RateLimit-Remaining': '5',
      'X-RateLimit-Reset': '31',
    });
  });

  it('breaks a tie in remaining by the later reset', () => {
    const headers = rateLimitHeaders(
      limits,
      decision([
        { name: 'burst', limit: 10, remaining: 0, resetMs: 400 },
        { name: 'per-minute', limit: 1000, remaining: 0, resetMs: 30_000 },
        { name: 'monthly-quota', limit: 50_000, remaining: 100, resetMs: 86_400_000 },
      ]),
    );
    expect(headers.RateLimit).toBe('"per-minute";r=0;t=30');
  });

  it('describes the violated policy and adds Retry-After (≥ 1 s) when denied', () => {
    const headers = rateLimitHeaders(
      limits,
      decision(
        [
          { name: 'burst', limit: 10, remaining: 0, resetMs: 20 },
          { name: 'per-minute', limit: 1000, remaining: 0, resetMs: 59_000 },
          { name: 'monthly-quota', limit: 50_000, remaining: 9, resetMs: 86_400_000 },
        ],
        { kind: 'rate', name: 'burst', retryAfterMs: 20 },
      ),
    );
    expect(headers).toMatchObject({
      RateLimit: '"burst";r=0;t=1',
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Reset': '1',
      'Retry-After': '1',
    });
  });

  it('names the quota when the quota is exhausted', () => {
    const headers = rateLimitHeaders(
      limits,
      decision(
        [
          { name: 'burst', limit: 10, remaining: 9, resetMs: 20 },
          { name: 'per-minute', limit: 1000, remaining: 999, resetMs: 59_000 },
          { name: 'monthly-quota', limit: 50_000, remaining: 0, resetMs: 86_400_500 },
        ],
        { kind: 'quota', name: 'monthly-quota', retryAfterMs: 86_400_500 },
      ),
    );
    expect(headers.RateLimit).toBe('"monthly-quota";r=0;t=86401');
    expect(headers['Retry-After']).toBe('86401');
  });

  it('falls back to the tightest policy for a store outage (fail-closed)', () => {
    const headers = rateLimitHeaders(
      limits,
      decision(
        [
          { name: 'burst', limit: 10, remaining: 0, resetMs: 300 },
          { name: 'per-minute', limit: 1000, remaining: 0, resetMs: 20_000 },
          { name: 'monthly-quota', limit: 50_000, remaining: 0, resetMs: 1_000 },
        ],
        { kind: 'rate', name: 'unavailable', retryAfterMs: 1_000 },
      ),
    );
    expect(headers.RateLimit).toBe('"per-minute";r=0;t=20');
    expect(headers['Retry-After']).toBe('1');
  });

  it('returns no headers for a plan without limits', () => {
    const none = compileLimits({ rateLimits: [], monthlyQuota: null });
    expect(none.policyHeader).toBe('');
    expect(rateLimitHeaders(none, decision([]))).toEqual({});
  });

  it('escapes policy names as structured-field strings', () => {
    const odd = compileLimits({
      rateLimits: [{ name: 'say "hi" \\o/', limit: 1, windowMs: 1_000 }],
      monthlyQuota: null,
    });
    expect(odd.policyHeader).toBe('"say \\"hi\\" \\\\o/";q=1;w=1');
    const headers = rateLimitHeaders(
      odd,
      decision([{ name: 'say "hi" \\o/', limit: 1, remaining: 1, resetMs: 1 }]),
    );
    expect(headers.RateLimit).toBe('"say \\"hi\\" \\\\o/";r=1;t=1');
  });
});
