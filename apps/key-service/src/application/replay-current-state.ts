import { newEventId } from '@tollgate/events';
import type { KeyState } from '@tollgate/key-service-domain';
import {
  accountIntegrationEvent,
  accountStatusChanged,
  keyIntegrationEvent,
} from '../outbox/integration-events';
import { enqueueOutbox } from '../persistence/outbox';
import { allAccountIds, allKeyIds } from '../persistence/read-model';
import { accountAggregate, keyAggregate } from './aggregates';
import { requirePlanVersion, type CommandContext } from './command-context';
import { load } from './execute';

/**
 * Re-publishes the full current state of every key and every account's plan and status with new
 * eventIds, so downstream caches (edge-auth) can be rebuilt from the compacted topics. Appends no
 * domain events: it only enqueues integration events, one transaction per key or account.
 */
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
          keyIntegrationEvent(codec, event, newEventId(now), state, now),
        );
    });
  }
  const accountIds = await allAccountIds(db.sql);
  for (const accountId of accountIds) {
    await db.transaction(async (tx) => {
      const { state } = await load(tx, accountAggregate, accountId);
      if (state.status === 'none') return;
      const stream = accountAggregate.stream(accountId);
      const plan = await requirePlanVersion(tx, state.plan.planId, state.plan.planVersion);
      const planEvent = accountIntegrationEvent(
        codec,
        {
          type: 'PlanAssigned',
          data: { accountId, ...plan, previous: null, effectiveAt: now, assignedAt: now },
        },
        newEventId(now),
        now,
      );
      if (planEvent) await enqueueOutbox(tx, stream, planEvent);
      const status = accountStatusChanged(
        codec,
        {
          accountId,
          status: state.status,
          reason: state.status === 'suspended' ? state.reason : null,
        },
        newEventId(now),
        now,
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
