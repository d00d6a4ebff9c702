import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLimits, QUOTA_NAME } from './compile-limits';
import { windowWithRoom } from '../testing/limit-windows';
import type { LimitDecision, LimitPolicy, RateLimiter } from './types';

const anyNumber: unknown = expect.any(Number);
/** Every window has this long to run when the suite starts: none rolls over while it runs. */
const ROOM = 20 * 60_000;

export interface LimiterHarness {
  limiter: RateLimiter;
  /** The `decidedBy` every decision of this limiter should carry. */
  decidedBy: string;
  /** Epoch ms to pass as `now`: a fake clock for memory, the wall clock for Redis. */
  now(): number;
  /** Let `ms` pass: advance the fake clock, or sleep (Redis windows follow the server's clock). */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The semantics both stores promise, run against each of them. Windows of about an hour and a day
 * are chosen so that the current one has at least 20 minutes left (`windowWithRoom`), so no
 * boundary passes mid-suite on a real clock; the one test that needs a rollover waits for the
 * reset its store reports.
 */
export function describeLimiterContract(name: string, setup: () => Promise<LimiterHarness>): void {
  describe(`rate limiter contract: ${name}`, () => {
    let h: LimiterHarness;
    let hour: number;
    let day: number;
    let scopeSeq = 0;
    const scope = () => `key_contract_${Date.now().toString(36)}_${++scopeSeq}`;
    const plan = (rateLimits: LimitPolicy[], monthlyQuota: number | null = null) =>
      compileLimits({ rateLimits, monthlyQuota });
    const check = (s: string, limits: ReturnType<typeof plan>, cost = 1, now = h.now()) =>
      h.limiter.check({ scope: s, limits, cost, now });
    const remaining = (d: LimitDecision) => d.policies.map((p) => p.remaining);

    beforeAll(async () => {
      h = await setup();
      hour = windowWithRoom(3_600_000, ROOM, h.now());
      day = windowWithRoom(86_400_000, ROOM, h.now());
    });
    afterAll(async () => {
      await h.close();
    });

    it('admits exactly `limit` units per window, then denies (429 at exactly the limit)', async () => {
      const s = scope();
      const limits = plan([{ name: 'per-hour', limit: 5, windowMs: hour }]);
      for (let i = 4; i >= 0; i--) {
        const d = await check(s, limits);
        expect(d).toMatchObject({ allowed: true, violated: null, decidedBy: h.decidedBy });
        expect(d.policies).toEqual([
          { name: 'per-hour', limit: 5, remaining: i, resetMs: anyNumber },
        ]);
      }
      const denied = await check(s, limits);
      expect(denied.allowed).toBe(false);
      const [perHour] = denied.policies;
      expect(denied.violated).toEqual({
        kind: 'rate',
        name: 'per-hour',
        retryAfterMs: perHour?.resetMs,
      });
      expect(perHour?.remaining).toBe(0);
      expect(perHour?.resetMs).toBeGreaterThan(0);
      expect(perHour?.resetMs).toBeLessThanOrEqual(hour);
    });

    it('checks every window and names the first one violated', async () => {
      const s = scope();
      const limits = plan([
        { name: 'per-hour', limit: 5, windowMs: hour },
        { name: 'per-day', limit: 3, windowMs: day },
      ]);
      for (let i = 0; i < 3; i++) expect((await check(s, limits)).allowed).toBe(true);
      const denied = await check(s, limits);
      expect(denied.violated).toMatchObject({ kind: 'rate', name: 'per-day' });
      expect(denied.policies.map((p) => p.name)).toEqual(['per-hour', 'per-day']);
      expect(remaining(denied)).toEqual([2, 0]);
    });

    it("reports an exhausted monthly quota as kind 'quota', retrying at the next UTC month", async () => {
      const s = scope();
      const limits = plan([{ name: 'per-hour', limit: 100, windowMs: hour }], 4);
      const now = h.now();
      for (let i = 0; i < 4; i++) expect((await check(s, limits, 1, now)).allowed).toBe(true);
      const denied = await check(s, limits, 1, now);
      const d = new Date(now);
      const monthEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      expect(denied.violated).toEqual({
        kind: 'quota',
        name: QUOTA_NAME,
        retryAfterMs: monthEnd - now,
      });
      expect(denied.policies).toEqual([
        { name: 'per-hour', limit: 100, remaining: 96, resetMs: anyNumber },
        { name: QUOTA_NAME, limit: 4, remaining: 0, resetMs: monthEnd - now },
      ]);
    });

    it('starts a fresh quota in the next calendar month', async () => {
      const s = scope();
      const limits = plan([], 2);
      const now = h.now();
      const d = new Date(now);
      const nextMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      await check(s, limits, 2, now);
      expect((await check(s, limits, 1, now)).violated?.kind).toBe('quota');
      const fresh = await check(s, limits, 1, nextMonth);
      expect(fresh.allowed).toBe(true);
      expect(fresh.policies[0]).toMatchObject({ remaining: 1 });
    });

    it('consumes from none of the counters when a request is denied', async () => {
      const s = scope();
      const limits = plan([
        { name: 'per-hour', limit: 10, windowMs: hour },
        { name: 'per-day', limit: 3, windowMs: day },
      ]);
      expect(remaining(await check(s, limits, 2))).toEqual([8, 1]);
      const denied = await check(s, limits, 2);
      expect(denied.allowed).toBe(false);
      expect(remaining(denied)).toEqual([8, 1]);
      expect(remaining(await check(s, limits, 1))).toEqual([7, 0]);
    });

    it('counts cost units, and a denied big request leaves room for a smaller one', async () => {
      const s = scope();
      const limits = plan([{ name: 'per-hour', limit: 10, windowMs: hour }]);
      expect(remaining(await check(s, limits, 4))).toEqual([6]);
      expect(remaining(await check(s, limits, 4))).toEqual([2]);
      const denied = await check(s, limits, 4);
      expect(denied.violated?.name).toBe('per-hour');
      expect(remaining(await check(s, limits, 2))).toEqual([0]);
      expect((await check(s, limits, 1)).allowed).toBe(false);
    });

    it('never admits a cost larger than a limit', async () => {
      const s = scope();
      const denied = await check(s, plan([{ name: 'per-hour', limit: 3, windowMs: hour }]), 4);
      expect(denied).toMatchObject({ allowed: false, violated: { name: 'per-hour' } });
      expect(remaining(denied)).toEqual([3]);
    });

    it('keeps counters across plan changes: raised, lowered, added, renamed policies', async () => {
      const s = scope();
      const v1 = plan([{ name: 'per-hour', limit: 5, windowMs: hour }]);
      for (let i = 0; i < 3; i++) await check(s, v1);
      // Upgrade: same window with a higher limit keeps its count; a new window starts at zero.
      const v2 = plan(
        [
          { name: 'per-hour', limit: 10, windowMs: hour },
          { name: 'per-day', limit: 100, windowMs: day },
        ],
        50,
      );
      expect(remaining(await check(s, v2))).toEqual([6, 99, 49]);
      // Downgrade below what was used: denied until the window resets.
      const v3 = plan([{ name: 'per-hour', limit: 2, windowMs: hour }]);
      expect(await check(s, v3)).toMatchObject({ allowed: false, violated: { name: 'per-hour' } });
      // A renamed window is a new window.
      const v4 = plan([{ name: 'hourly', limit: 5, windowMs: hour }]);
      expect(remaining(await check(s, v4))).toEqual([4]);
      // A policy removed and re-added within its window continues its count, so replicas that see a
      // PlanChanged at different moments cannot reset each other's counters.
      expect(remaining(await check(s, v2))).toEqual([5, 98, 48]);
    });

    it('keeps scopes independent', async () => {
      const a = scope();
      const b = scope();
      const limits = plan([{ name: 'per-hour', limit: 1, windowMs: hour }]);
      expect((await check(a, limits)).allowed).toBe(true);
      expect((await check(a, limits)).allowed).toBe(false);
      expect((await check(b, limits)).allowed).toBe(true);
    });

    it('admits everything, with no policies, for a plan without limits', async () => {
      const d = await check(scope(), plan([]), 1_000_000);
      expect(d).toMatchObject({ allowed: true, violated: null, policies: [] });
    });

    it('opens a new window once the reported reset has passed', async () => {
      // At least 1.5 s left in the current window: the first three calls fall into it.
      const windowMs = windowWithRoom(2_000, 1_500, h.now());
      const limits = plan([{ name: 'short', limit: 2, windowMs }]);
      const s = scope();
      await check(s, limits, 2);
      const denied = await check(s, limits);
      expect(denied.violated?.name).toBe('short');
      await h.advance((denied.violated?.retryAfterMs ?? 0) + 5);
      const next = await check(s, limits);
      expect(next.allowed).toBe(true);
      expect(remaining(next)).toEqual([1]);
    });

    it('rejects programmer errors with a TypeError', async () => {
      const limits = plan([{ name: 'per-hour', limit: 5, windowMs: hour }]);
      for (const cost of [0, -1, 1.5, 1e7, Number.NaN]) {
        await expect(check(scope(), limits, cost)).rejects.toThrow(TypeError);
      }
      await expect(check('', limits)).rejects.toThrow(TypeError);
      await expect(check(scope(), limits, 1, Number.NaN)).rejects.toThrow(TypeError);
    });
  });
}
