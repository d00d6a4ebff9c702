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
});
