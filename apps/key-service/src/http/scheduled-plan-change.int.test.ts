import { KeyHasher } from '@tollgate/api-keys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peppersOf } from '../config';
import { startKeyService, type KeyServiceUnderTest } from '../testing/key-service-test-kit';

const HOUR = 3_600_000;
/** The app's clock starts here and only moves when a test moves it; the calendar plays no part. */
const T0 = Date.UTC(2030, 4, 20, 12, 0, 0);

interface AccountBody {
  accountId: string;
  plan: { planId: string; planVersion: number };
  scheduledPlanChange: { planId: string; planVersion: number; effectiveAt: string } | null;
}

describe('scheduled plan changes stay scheduled until their time (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  let clock = T0;
  beforeAll(async () => {
    ks = await startKeyService({}, { now: () => clock });
  });
  afterAll(async () => {
    await ks?.close();
  });

  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    ks.app.inject({ method, url, payload });
  const account = async (id: string) =>
    (await call('GET', `/v1/accounts/${id}`)).json<AccountBody>();

  async function accountWithKey() {
    clock = T0;
    const { accountId } = (await call('POST', '/v1/accounts', { name: 'Scheduled' })).json<{
      accountId: string;
    }>();
    const issued = await call('POST', `/v1/accounts/${accountId}/keys`, { env: 'live' });
    const { hash, pepperVersion } = new KeyHasher(peppersOf(ks.config)).hash(
      issued.json<{ plaintext: string }>().plaintext,
    );
    const lookup = async () =>
      (await call('POST', '/v1/key-lookups', { keyHash: hash, pepperVersion })).json<{
        plan: { planId: string };
      }>().plan.planId;
    return { accountId, lookup };
  }

  it('shows the current plan and the change to come; lookups answer the plan in force', async () => {
    const { accountId, lookup } = await accountWithKey();
    const scheduled = await call('PUT', `/v1/accounts/${accountId}/plan`, {
      planId: 'plan_pro',
      effectiveAt: T0 + HOUR,
    });
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    expect(scheduled.json()).toMatchObject({
      plan: { planId: 'plan_free' },
      scheduledPlanChange: { planId: 'plan_pro', effectiveAt: new Date(T0 + HOUR).toISOString() },
    });
    // edge-auth trusts this answer after a restart: it must not pull the change forward.
    expect(await lookup()).toBe('plan_free');

    clock = T0 + HOUR;
    expect(await account(accountId)).toMatchObject({
      plan: { planId: 'plan_pro' },
      scheduledPlanChange: null,
    });
    expect(await lookup()).toBe('plan_pro');
    // The due change is the current plan now: assigning it again is refused.
    const again = await call('PUT', `/v1/accounts/${accountId}/plan`, { planId: 'plan_pro' });
    expect(again.statusCode).toBe(409);
  });

  it('cancels a scheduled change; there is nothing left to cancel afterwards', async () => {
    const { accountId, lookup } = await accountWithKey();
    await call('PUT', `/v1/accounts/${accountId}/plan`, {
      planId: 'plan_enterprise',
      effectiveAt: T0 + 2 * HOUR,
    });
    clock = T0 + HOUR;
    const cancelled = await call('DELETE', `/v1/accounts/${accountId}/scheduled-plan-change`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({
      plan: { planId: 'plan_free' },
      scheduledPlanChange: null,
    });

    clock = T0 + 3 * HOUR;
    expect((await account(accountId)).plan.planId).toBe('plan_free');
    expect(await lookup()).toBe('plan_free');
    const nothing = await call('DELETE', `/v1/accounts/${accountId}/scheduled-plan-change`);
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json()).toMatchObject({ reason: 'no_scheduled_plan_change' });
    const unknown = await call(
      'DELETE',
      '/v1/accounts/acct_01JDQ3W8Y6T4K2M9N7P5R3S1V1/scheduled-plan-change',
    );
    expect(unknown.statusCode).toBe(404);
  });

  it('a newer scheduled change replaces the older one; an immediate change drops both', async () => {
    const { accountId, lookup } = await accountWithKey();
    await call('PUT', `/v1/accounts/${accountId}/plan`, {
      planId: 'plan_pro',
      effectiveAt: T0 + HOUR,
    });
    await call('PUT', `/v1/accounts/${accountId}/plan`, {
      planId: 'plan_enterprise',
      effectiveAt: T0 + 2 * HOUR,
    });
    expect((await account(accountId)).scheduledPlanChange).toMatchObject({
      planId: 'plan_enterprise',
    });
    clock = T0 + HOUR + 1;
    expect(await lookup()).toBe('plan_free');

    await call('PUT', `/v1/accounts/${accountId}/plan`, { planId: 'plan_pro' });
    clock = T0 + 5 * HOUR;
    expect(await account(accountId)).toMatchObject({
      plan: { planId: 'plan_pro' },
      scheduledPlanChange: null,
    });
    expect(await lookup()).toBe('plan_pro');
  });
});
