import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readUsage,
  startEdge,
  startKeyServiceProcess,
  type EdgeUnderTest,
  type KeyServiceProcess,
  type PlanLimits,
} from '../testing/edge-test-kit';
import { monthWithRoom, windowWithRoom } from '../testing/limit-windows';
import { eventually } from '@tollgate/test-infra';

const HOUR = 3_600_000;
/** Each test's windows have this long to run before they roll over: far more than a test takes. */
const ROOM = 20 * 60_000;

describe('edge-auth rate limits and quotas (real key-service, Kafka, Redis)', () => {
  let ks: KeyServiceProcess;
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    ks = await startKeyServiceProcess();
    // Quotas count by the edge's clock: ahead into the next month when this one is about to end.
    const ahead = monthWithRoom(ROOM);
    edge = await startEdge(ks, {}, { now: () => Date.now() + ahead });
  }, 120_000);
  afterAll(async () => {
    await edge?.close();
    await ks?.stop();
  });

  const verify = (key: string) =>
    edge.app.inject({
      url: '/verify',
      headers: { authorization: `Bearer ${key}`, 'x-original-uri': '/v1/things' },
    });

  let planCount = 0;
  /** A fresh plan, account and keys; resolves once edge-auth knows all of them. */
  async function onPlanWithIds(limits: PlanLimits, keyCount = 1) {
    const planId = `plan_edge${Date.now().toString(36)}${planCount++}`;
    await ks.createPlan(planId, limits);
    const accountId = await ks.createAccount(planId);
    const keys = [];
    for (let i = 0; i < keyCount; i++) keys.push(await ks.issueKey(accountId));
    for (const key of keys)
      await eventually(
        async () => (await verify(key.plaintext)).headers['x-tollgate-plan'] !== undefined,
      );
    return keys;
  }
  const onPlan = async (limits: PlanLimits, keyCount = 1) =>
    (await onPlanWithIds(limits, keyCount)).map((k) => k.plaintext);

  /** Fresh keys have consumed one request each while waiting for propagation: count from there. */
  async function statuses(key: string, n: number) {
    const out = [];
    for (let i = 0; i < n; i++) out.push((await verify(key)).statusCode);
    return out;
  }

  it('answers 429 at exactly the limit, with headers and a problem naming the policy', async () => {
    const windowMs = windowWithRoom(HOUR, ROOM);
    const [key] = await onPlan({
      rateLimits: [{ name: 'per-hour', limit: 5, windowMs }],
      monthlyQuota: null,
      limitScope: 'key',
    });
    expect(await statuses(key!, 5)).toEqual([200, 200, 200, 200, 429]);
    const ok = await edge.app.inject({
      url: '/verify',
      headers: { authorization: `Bearer ${key}`, 'x-original-uri': '/v1/things' },
    });
    expect(ok.statusCode).toBe(429);
    expect(ok.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(ok.headers['retry-after'])).toBeGreaterThan(0);
    expect(ok.headers['x-ratelimit-limit']).toBe('5');
    expect(ok.headers['x-ratelimit-remaining']).toBe('0');
    expect(ok.headers['ratelimit-policy']).toContain(`"per-hour";q=5;w=${windowMs / 1000}`);
    expect(ok.headers['content-type']).toContain('application/problem+json');
    expect(ok.json()).toMatchObject({ status: 429, code: 'rate_limited', policy: 'per-hour' });
  });

  it('enforces several windows at once', async () => {
    // The shorter window is the tighter one; neither can roll over while the test counts.
    const short = windowWithRoom(HOUR, ROOM);
    const long = windowWithRoom(2 * HOUR, ROOM);
    const [key] = await onPlan({
      rateLimits: [
        { name: 'short', limit: 3, windowMs: short },
        { name: 'long', limit: 4, windowMs: long },
      ],
      monthlyQuota: null,
      limitScope: 'key',
    });
    // One request was used while waiting for propagation: two more fill the short window.
    const results = await statuses(key!, 5);
    const last = await verify(key!);
    expect(results).toEqual([200, 200, 429, 429, 429]);
    expect(last.json()).toMatchObject({ code: 'rate_limited', policy: 'short' });
    expect(last.headers['ratelimit-policy']).toBe(
      `"short";q=3;w=${short / 1000}, "long";q=4;w=${long / 1000}`,
    );
    expect(last.headers['ratelimit']).toMatch(/^"short";r=0;t=\d+$/);
  });

  it('has its own code for an exhausted monthly quota', async () => {
    const [key] = await onPlan({ rateLimits: [], monthlyQuota: 3, limitScope: 'key' });
    expect(await statuses(key!, 3)).toEqual([200, 200, 429]);
    const res = await verify(key!);
    expect(res.json()).toMatchObject({ status: 429, code: 'quota_exceeded' });
    expect(res.headers['retry-after']).toBeDefined();
  });

  it('shares an account-scoped limit between the account keys', async () => {
    const [a, b] = await onPlan(
      {
        rateLimits: [{ name: 'per-hour', limit: 6, windowMs: windowWithRoom(HOUR, ROOM) }],
        monthlyQuota: null,
        limitScope: 'account',
      },
      2,
    );
    // 2 used while waiting for propagation.
    expect([...(await statuses(a!, 2)), ...(await statuses(b!, 2))]).toEqual([200, 200, 200, 200]);
    expect((await verify(a!)).statusCode).toBe(429);
    expect((await verify(b!)).statusCode).toBe(429);
  });

  it('meters allowed, rate-limited and rejected decisions, one RequestMetered each', async () => {
    const usage = await readUsage(ks.topicPrefix);
    try {
      const [key] = await onPlanWithIds({
        rateLimits: [{ name: 'per-hour', limit: 2, windowMs: windowWithRoom(HOUR, ROOM) }],
        monthlyQuota: null,
        limitScope: 'key',
      });
      const { keyId, plaintext } = key!;
      // Every answer on the key from here on; the propagation wait used one allowed request.
      const answered = ['allowed 200'];
      const call = async () => {
        const res = await verify(plaintext);
        const code = res.statusCode === 200 ? 'allowed' : res.json<{ code: string }>().code;
        answered.push(`${code === 'key_revoked' ? 'revoked' : code} ${res.statusCode}`);
        return res.statusCode;
      };
      expect([await call(), await call()]).toEqual([200, 429]);
      await ks.revoke(keyId);
      await eventually(async () => (await call()) === 401);
      expect(answered.at(-1)).toBe('revoked 401');

      const ofKey = () => usage.events.filter((e) => e.keyId === keyId);
      await usage.waitFor(() => ofKey().length >= answered.length);
      // One event per decision, with the decision's outcome and status (order aside: batches).
      expect(answered.slice(0, 3)).toEqual(['allowed 200', 'allowed 200', 'rate_limited 429']);
      expect(
        ofKey()
          .map((e) => `${e.outcome} ${e.status}`)
          .sort(),
      ).toEqual([...answered].sort());
      expect(new Set(ofKey().map((e) => e.eventId)).size).toBe(answered.length);
    } finally {
      await usage.stop();
    }
  });
});
