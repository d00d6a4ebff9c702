import type {
  EventCodec,
  KeyState as PublishedKeyState,
  PlanSnapshot as PublishedPlanSnapshot,
  TollgateEvent,
} from '@tollgate/events';
import type {
  AccountEvent,
  KeyEvent,
  KeyState,
  PlanAssigned,
  PlanDefinition,
} from '@tollgate/key-service-domain';

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
  actor: string | null,
): TollgateEvent {
  if (after.status === 'none') throw new Error(`key event ${event.type} left no key state`);
  const key = publishedKey(after);
  switch (event.type) {
    case 'KeyIssued':
      return {
        type: 'KeyIssued',
        payload: { ...envelope(codec, 'KeyIssued', eventId, now), key, actor },
      };
    case 'KeyUpdated':
      return {
        type: 'KeyUpdated',
        payload: { ...envelope(codec, 'KeyUpdated', eventId, now), key, actor },
      };
    case 'KeyRevoked':
      return {
        type: 'KeyRevoked',
        payload: {
          ...envelope(codec, 'KeyRevoked', eventId, now),
          key,
          reason: event.data.reason,
          effectiveAt: event.data.effectiveAt,
          actor,
        },
      };
  }
}

/** A plan version as events carry it (PlanChanged) and the key lookup returns it. */
export function planSnapshot(
  planId: string,
  version: number,
  definition: PlanDefinition,
): PublishedPlanSnapshot {
  return {
    planId,
    version,
    name: definition.name,
    rateLimits: definition.rateLimits,
    monthlyQuota: definition.monthlyQuota,
    limitScope: definition.limitScope,
    priceRef: `${planId}@v${version}`,
    currency: definition.price.currency,
    pricing: {
      baseFeeMinor: definition.price.baseFeeMinor,
      includedUnits: definition.price.includedUnits,
      tiers: definition.price.overageTiers.map((tier) => ({
        upToUnits: tier.upTo,
        unitPriceMicros: tier.unitPriceMicros,
      })),
    },
  };
}

export function planChanged(
  codec: EventCodec,
  assigned: PlanAssigned['data'],
  eventId: string,
  now: number,
  actor: string | null,
): TollgateEvent {
  const { accountId, planId, planVersion, definition, previous, effectiveAt } = assigned;
  return {
    type: 'PlanChanged',
    payload: {
      ...envelope(codec, 'PlanChanged', eventId, now),
      accountId,
      planId,
      planVersion,
      plan: planSnapshot(planId, planVersion, definition),
      previousPlan: previous,
      effectiveAt,
      actor,
    },
  };
}

export function accountStatusChanged(
  codec: EventCodec,
  account: { accountId: string; status: 'active' | 'suspended'; reason: string | null },
  eventId: string,
  now: number,
  actor: string | null,
): TollgateEvent {
  return {
    type: 'AccountStatusChanged',
    payload: { ...envelope(codec, 'AccountStatusChanged', eventId, now), ...account, actor },
  };
}

/** What the rest of the system hears about an account event (creation alone is not published). */
export function accountIntegrationEvent(
  codec: EventCodec,
  event: AccountEvent,
  eventId: string,
  now: number,
  actor: string | null,
): TollgateEvent | undefined {
  switch (event.type) {
    case 'AccountCreated':
      return undefined;
    case 'PlanAssigned':
      return planChanged(codec, event.data, eventId, now, actor);
    case 'AccountSuspended':
      return accountStatusChanged(
        codec,
        { accountId: event.data.accountId, status: 'suspended', reason: event.data.reason },
        eventId,
        now,
        actor,
      );
    case 'AccountReactivated':
      return accountStatusChanged(
        codec,
        { accountId: event.data.accountId, status: 'active', reason: null },
        eventId,
        now,
        actor,
      );
  }
}
