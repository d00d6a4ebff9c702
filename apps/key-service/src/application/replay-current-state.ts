import { newEventId } from '@tollgate/events';
import type { AccountEvent, KeyState, PlanAssigned } from '@tollgate/key-service-domain';
import {
  accountStatusChanged,
  keyIntegrationEvent,
  planChanged,
} from '../outbox/integration-events';
import { readStream, type StoredEvent } from '../persistence/event-store';
import { enqueueOutbox } from '@tollgate/postgres';
import { allAccountIds, allKeyIds } from '../persistence/read-model';
import { accountAggregate, keyAggregate } from './aggregates';
import type { CommandContext } from './command-context';
import { load } from './execute';

/**
 * Re-publishes the full current state of every key and every account's plan and status with new
 * eventIds (an account's plan as its latest assignment, scheduled changes with their own time), so downstream caches (edge-auth) can be rebuilt from the compacted topics. Appends no
 * domain events: it only enqueues integration events, one transaction per key or account.
 */
/** Replayed events re-state what is; the actor says so (the original actors are in admin-api's audit log). */
const REPLAY_ACTOR = 'system:replay';

export async function replayCurrentState(
  ctx: CommandContext,
): Promise<{ keys: number; accounts: number }> {
  const now = ctx.now();
  const { codec, db } = ctx;
  const keyIds = await allKeyIds(db.sql);
  for (const keyId of keyIds) {
    await db.transaction(async (tx) => {
      const { state } = await load(tx, keyAggregate, keyId);
      const event = replayKeyEvent(state);
      if (event)
        await enqueueOutbox(
          tx,
          keyAggregate.stream(keyId),
          keyIntegrationEvent(codec, event, newEventId(now), state, now, REPLAY_ACTOR),
        );
    });
  }
  const accountIds = await allAccountIds(db.sql);
  for (const accountId of accountIds) {
    await db.transaction(async (tx) => {
      const stream = accountAggregate.stream(accountId);
      const { events } = await readStream<AccountEvent>(tx, stream);
      const { decider } = accountAggregate;
      const state = events.reduce((s, e) => decider.evolve(s, e.event), decider.initialState());
      if (state.status === 'none') return;
      // The account's latest assignment as it was decided: a change scheduled for later keeps its
      // effectiveAt (and previous plan), so a replay never pulls a future plan change forward.
      const assigned = events.findLast(
        (e): e is StoredEvent<PlanAssigned> => e.event.type === 'PlanAssigned',
      );
      if (assigned)
        await enqueueOutbox(
          tx,
          stream,
          planChanged(codec, assigned.event.data, newEventId(now), now, REPLAY_ACTOR),
        );
      const status = accountStatusChanged(
        codec,
        {
          accountId,
          status: state.status,
          reason: state.status === 'suspended' ? state.reason : null,
        },
        newEventId(now),
        now,
        REPLAY_ACTOR,
      );
      await enqueueOutbox(tx, stream, status);
    });
  }
  return { keys: keyIds.length, accounts: accountIds.length };
}

function replayKeyEvent(state: KeyState) {
  if (state.status === 'none') return undefined;
  if (state.status === 'active')
    return {
      type: 'KeyUpdated' as const,
      data: {
        keyId: state.keyId,
        scopes: state.scopes,
        metadata: state.metadata,
        expiresAt: state.expiresAt,
        updatedAt: state.issuedAt,
      },
    };
  return {
    type: 'KeyRevoked' as const,
    data: {
      keyId: state.keyId,
      reason: state.reason,
      effectiveAt: state.effectiveAt,
      revokedAt: state.revokedAt,
      replacedByKeyId: state.replacedByKeyId,
    },
  };
}
