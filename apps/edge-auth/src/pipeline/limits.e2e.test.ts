import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startEdge,
  startKeyServiceProcess,
  type EdgeUnderTest,
  type KeyServiceProcess,
  type PlanLimits,
} from '../testing/edge-test-kit';
import { eventually } from '@tollgate/test-infra';

const HOUR = 3_600_000;

describe('edge-auth rate limits and quotas (real key-service, Kafka, Redis)', () => {
  let ks: KeyServiceProcess;
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    ks = await startKeyServiceProcess();
    edge = await startEdge(ks);
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
  async function onPlan(limits: PlanLimits, keyCount = 1) {
    const planId = `plan_edge${Date.now().toString(36)}${planCount++}`;
    await ks.createPlan(planId, limits);
    const accountId = await ks.createAccount(planId);
    const keys = [];
    for (let i = 0; i < keyCount; i++) keys.push((await ks.issueKey(accountId)).plaintext);
    for (const key of keys)
      await eventually(async () => (await verify(key)).headers['x-tollgate-plan'] !== undefined);
    return keys;
  }

  /** Fresh keys have consumed one request each while waiting for propagation: count from there. */
  async function statuses(key: string, n: number) {
    const out = [];
    for (let i = 0; i < n; i++) out.push((await verify(key)).statusCode);
    return out;
  }

  it('answers 429 at exactly the limit, with headers and a problem naming the policy', async () => {
    const [key] = await onPlan({
      rateLimits: [{ name: 'per-hour', limit: 5, windowMs: HOUR }],
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
    expect(ok.headers['ratelimit-policy']).toContain('"per-hour";q=5;w=3600');
    expect(ok.headers['content-type']).toContain('application/problem+json');
    expect(ok.json()).toMatchObject({ status: 429, code: 'rate_limited', policy: 'per-hour' });
  });

  it('enforces several windows at once', async () => {
    const [key] = await onPlan({
      rateLimits: [
        { name: 'per-minute', limit: 3, windowMs: 60_000 },
        { name: 'per-hour', limit: 4, windowMs: HOUR },
      ],
      monthlyQuota: null,
      limitScope: 'key',
    });
    const minute = Math.floor(Date.now() / 60_000);
    // One request was used while waiting for propagation: two more fill the per-minute window.
    const results = await statuses(key!, 5);
    const last = await verify(key!);
    if (Math.floor(Date.now() / 60_000) !== minute) return; // a minute boundary reset the window
    expect(results).toEqual([200, 200, 429, 429, 429]);
    expect(last.json()).toMatchObject({ code: 'rate_limited', policy: 'per-minute' });
    expect(last.headers['ratelimit-policy']).toContain('"per-hour";q=4;w=3600');
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
        rateLimits: [{ name: 'per-hour', limit: 6, windowMs: HOUR }],
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

  it('meters rate-limited and rejected decisions too', async () => {
    const res = await edge.app.inject('/metrics');
    expect(res.body).toMatch(
      /edge_decisions_total\{outcome="rate_limited",service="edge-auth"\} [1-9]/,
    );
    expect(res.body).toMatch(/edge_decisions_total\{outcome="allowed",service="edge-auth"\} [1-9]/);
  });
});
