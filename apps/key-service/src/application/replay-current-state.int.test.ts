import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TollgateEvent } from '@tollgate/events';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
} from '../testing/key-service-test-kit';

const DAY = 24 * 3_600_000;
/** The app's clock; the calendar plays no part. */
const T0 = Date.UTC(2030, 2, 10, 9, 0, 0);

type PlanChanged = Extract<TollgateEvent, { type: 'PlanChanged' }>['payload'];
type KeyEvent = Extract<TollgateEvent, { type: 'KeyIssued' | 'KeyUpdated' | 'KeyRevoked' }>;

describe('POST /v1/replays (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  let clock = T0;
  beforeAll(async () => {
    ks = await startKeyService({}, { now: () => clock });
  });
  afterAll(async () => {
    await ks?.close();
  });

  const createAccount = async () => {
    const res = await ks.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'Replayed' },
    });
    return res.json<{ accountId: string }>().accountId;
  };

  it('re-publishes a scheduled plan change with its own effectiveAt and previous plan, not now', async () => {
    const scheduled = await createAccount();
    const settled = await createAccount();
    const assign = await ks.app.inject({
      method: 'PUT',
      url: `/v1/accounts/${scheduled}/plan`,
      payload: { planId: 'plan_pro', effectiveAt: T0 + DAY },
    });
    expect(assign.statusCode, assign.body).toBe(200);

    clock = T0 + 60_000;
    const replay = await ks.app.inject({ method: 'POST', url: '/v1/replays', payload: {} });
    expect(replay.statusCode).toBe(202);

    const collector = await collectTopics([ks.plansTopic]);
    try {
      const changesOf = (accountId: string) =>
        collector.events.flatMap((e) =>
          e.type === 'PlanChanged' && e.payload.accountId === accountId ? [e.payload] : [],
        );
      await collector.waitFor(
        () => changesOf(scheduled).length === 3 && changesOf(settled).length === 2,
      );
      const [, assigned, replayed] = changesOf(scheduled) as [
        PlanChanged,
        PlanChanged,
        PlanChanged,
      ];
      const facts = ({ eventId: _id, occurredAt: _at, actor: _by, ...rest }: PlanChanged) => rest;
      expect(replayed.eventId).not.toBe(assigned.eventId);
      expect(replayed.occurredAt).toBe(T0 + 60_000);
      expect(facts(replayed)).toEqual(facts(assigned));
      // A replay re-states what is: its actor says so (who decided it is in the first event).
      expect(replayed.actor).toBe('system:replay');
      expect(replayed).toMatchObject({
        planId: 'plan_pro',
        effectiveAt: T0 + DAY,
        previousPlan: { planId: 'plan_free', planVersion: 1 },
      });
      // An account without a pending change gets its current plan, effective since it was assigned.
      expect(changesOf(settled)[1]).toMatchObject({
        planId: 'plan_free',
        effectiveAt: T0,
        previousPlan: null,
      });
    } finally {
      await collector.stop();
    }
  });

  it('re-publishes every key as it is now: current scopes, a rotation grace and a revocation keep their effectiveAt', async () => {
    clock = T0 + 2 * 60_000;
    const accountId = await createAccount();
    const call = async (method: 'POST' | 'PATCH', url: string, payload: object) => {
      const res = await ks.app.inject({ method, url, payload });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json<{ key: { keyId: string } }>();
    };
    const issue = async (scopes: string[]) =>
      (await call('POST', `/v1/accounts/${accountId}/keys`, { env: 'live', scopes })).key.keyId;
    const edited = await issue(['orders:read']);
    await call('PATCH', `/v1/keys/${edited}`, { scopes: ['orders:read', 'orders:write'] });
    const rotated = await issue(['orders:read']);
    const replacement = (await call('POST', `/v1/keys/${rotated}/rotate`, { graceMs: 3_600_000 }))
      .key.keyId;
    const revoked = await issue([]);
    await call('POST', `/v1/keys/${revoked}/revoke`, { reason: 'test' });
    const suspended = await createAccount();
    await call('POST', `/v1/accounts/${suspended}/suspend`, { reason: 'test' });

    clock = T0 + 10 * 60_000;
    expect(
      (await ks.app.inject({ method: 'POST', url: '/v1/replays', payload: {} })).statusCode,
    ).toBe(202);

    const collector = await collectTopics([ks.keysTopic, ks.accountsTopic]);
    try {
      const keyEvents = (keyId: string) =>
        collector.events.filter(
          (e): e is KeyEvent & { raw: Buffer } =>
            (e.type === 'KeyIssued' || e.type === 'KeyUpdated' || e.type === 'KeyRevoked') &&
            e.payload.key.keyId === keyId,
        );
      const replayOf = (keyId: string) =>
        keyEvents(keyId).find((e) => e.payload.actor === 'system:replay');
      const keys = [edited, rotated, replacement, revoked];
      await collector.waitFor(
        () =>
          keys.every((k) => replayOf(k) !== undefined) &&
          collector.events.some(
            (e) =>
              e.type === 'AccountStatusChanged' &&
              e.payload.accountId === suspended &&
              e.payload.actor === 'system:replay',
          ),
      );
      for (const keyId of keys) expect(replayOf(keyId)!.payload.occurredAt).toBe(T0 + 10 * 60_000);

      expect(replayOf(edited)).toMatchObject({
        type: 'KeyUpdated',
        payload: { key: { scopes: ['orders:read', 'orders:write'] } },
      });
      expect(replayOf(replacement)).toMatchObject({ type: 'KeyUpdated' });
      // The rotated key still works for an hour: the replay says so, it does not end it now.
      const rotation = keyEvents(rotated).find(
        (e) => e.type === 'KeyRevoked' && e !== replayOf(rotated),
      );
      expect(rotation).toMatchObject({ payload: { effectiveAt: T0 + 2 * 60_000 + 3_600_000 } });
      expect(replayOf(rotated)).toMatchObject({
        type: 'KeyRevoked',
        payload: { effectiveAt: T0 + 2 * 60_000 + 3_600_000 },
      });
      expect(replayOf(revoked)).toMatchObject({
        type: 'KeyRevoked',
        payload: { effectiveAt: T0 + 2 * 60_000, reason: 'test' },
      });
      const status = collector.events.find(
        (e) =>
          e.type === 'AccountStatusChanged' &&
          e.payload.accountId === suspended &&
          e.payload.actor === 'system:replay',
      );
      expect(status).toMatchObject({ payload: { status: 'suspended', reason: 'test' } });
    } finally {
      await collector.stop();
    }
  });
});
