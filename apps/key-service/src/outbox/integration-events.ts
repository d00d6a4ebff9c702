import type { EventCodec, KeyState as PublishedKeyState, TollgateEvent } from '@tollgate/events';
import type { AccountEvent, KeyEvent, KeyState, PlanAssigned } from '@tollgate/key-service-domain';

export const PRODUCER = 'key-service';

type KnownKey = Exclude<KeyState, { status: 'none' }>;

function publishedKey(state: KnownKey): PublishedKeyState {
  return {
    keyId: state.keyId,
    accountId: state.accountId,
    keyHash: state.keyHash,
    pepperVersion: state.pepperVersion,
    displayHint: state.displayHint,
    env: state.env,
    scopes: state.scopes,
    issuedAt: state.issuedAt,
    expiresAt: state.expiresAt,
    rotatedFromKeyId: state.rotatedFromKeyId,
    metadata: state.metadata,
  };
}

function envelope(codec: EventCodec, type: TollgateEvent['type'], eventId: string, now: number) {
  return {
    eventId,
    occurredAt: now,
    producer: PRODUCER,
    schemaVersion: codec.currentVersion(type),
  };
}

/** What the rest of the system hears about a key event: its full resulting state (compacted topic). */
export function keyIntegrationEvent(
  codec: EventCodec,
  event: KeyEvent,
  eventId: string,
  after: KeyState,
  now: number,
): TollgateEvent {
  if (after.status === 'none') throw new Error(`key event ${event.type} left no key state`);
  const key = publishedKey(after);
  switch (event.type) {
    case 'KeyIssued':
      return { type: 'KeyIssued', payload: { ...envelope(codec, 'KeyIssued', eventId, now), key } };
    case 'KeyUpdated':
      return {
        type: 'KeyUpdated',
        payload: { ...envelope(codec, 'KeyUpdated', eventId, now), key },
      };
    case 'KeyRevoked':
      return {
        type: 'KeyRevoked',
        payload: {
          ...envelope(codec, 'KeyRevoked', eventId, now),
          key,
          reason: event.data.reason,
          effectiveAt: event.data.effectiveAt,
        },
      };
  }
}

export function planChanged(
  codec: EventCodec,
  assigned: PlanAssigned['data'],
  eventId: string,
  now: number,
): TollgateEvent {
  const { accountId, planId, planVersion, definition, previous, effectiveAt } = assigned;
  return {
    type: 'PlanChanged',
    payload: {
      ...envelope(codec, 'PlanChanged', eventId, now),
      accountId,
      planId,
      planVersion,
      plan: {
        planId,
        version: planVersion,
        name: definition.name,
        rateLimits: definition.rateLimits,
        monthlyQuota: definition.monthlyQuota,
        limitScope: definition.limitScope,
        priceRef: `${planId}@v${planVersion}`,
        currency: definition.price.currency,
      },
      previousPlan: previous,
      effectiveAt,
    },
  };
}

/** Account events published today: plan assignments (as PlanChanged). */
export function accountIntegrationEvent(
  codec: EventCodec,
  event: AccountEvent,
  eventId: string,
  now: number,
): TollgateEvent | undefined {
  return event.type === 'PlanAssigned' ? planChanged(codec, event.data, eventId, now) : undefined;
}
