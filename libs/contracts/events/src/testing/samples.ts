import type { EventPayloads } from '../generated/event-types';
import type { EventType } from '../codec/event-types';

/**
 * One fixed, fully populated example of each event: the golden-bytes fixtures are these values
 * encoded, and tests across the workspace use them as a starting point.
 */
const SAMPLES: EventPayloads = {
  KeyIssued: {
    eventId: '01JDQ3W8Y6T4K2M9N7P5R3S1V0',
    occurredAt: 1_764_201_600_000,
    producer: 'key-service',
    schemaVersion: 1,
    key: {
      keyId: 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
      accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
      keyHash: 'a3f1c2d4e5b6978812345678901234567890abcdefabcdefabcdefabcdefabcd',
      pepperVersion: 1,
      displayHint: 'tg_live_…Xy9Z',
      env: 'live',
      scopes: ['usage:read', 'orders:write'],
      issuedAt: 1_764_201_600_000,
      expiresAt: 1_795_737_600_000,
      rotatedFromKeyId: null,
      metadata: { team: 'payments' },
    },
  },
  KeyRevoked: {
    eventId: '01JDQ3W8Y6T4K2M9N7P5R3S1V3',
    occurredAt: 1_764_288_000_000,
    producer: 'key-service',
    schemaVersion: 1,
    key: {
      keyId: 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
      accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
      keyHash: 'a3f1c2d4e5b6978812345678901234567890abcdefabcdefabcdefabcdefabcd',
      pepperVersion: 1,
      displayHint: 'tg_live_…Xy9Z',
      env: 'live',
      scopes: ['usage:read', 'orders:write'],
      issuedAt: 1_764_201_600_000,
      expiresAt: null,
      rotatedFromKeyId: null,
      metadata: {},
    },
    reason: 'rotated',
    effectiveAt: 1_764_374_400_000,
  },
  AccountStatusChanged: {
    eventId: '01JDQ3W8Y6T4K2M9N7P5R3S1V7',
    occurredAt: 1_764_208_800_000,
    producer: 'key-service',
    schemaVersion: 1,
    accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
    status: 'suspended',
    reason: 'payment overdue',
  },
  KeyUpdated: {
    eventId: '01JDQ3W8Y6T4K2M9N7P5R3S1V6',
    occurredAt: 1_764_205_200_000,
    producer: 'key-service',
    schemaVersion: 1,
    key: {
      keyId: 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
      accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
      keyHash: 'a3f1c2d4e5b6978812345678901234567890abcdefabcdefabcdefabcdefabcd',
      pepperVersion: 1,
      displayHint: 'tg_live_…Xy9Z',
      env: 'live',
      scopes: ['usage:read'],
      issuedAt: 1_764_201_600_000,
      expiresAt: null,
      rotatedFromKeyId: null,
      metadata: { team: 'payments', owner: 'ops' },
    },
  },
  PlanChanged: {
    eventId: '01JDQ3W8Y6T4K2M9N7P5R3S1V4',
    occurredAt: 1_764_201_600_000,
    producer: 'key-service',
    schemaVersion: 1,
    accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
    planId: 'plan_pro',
    planVersion: 3,
    plan: {
      planId: 'plan_pro',
      version: 3,
      name: 'Pro',
      rateLimits: [
        { name: 'burst', limit: 10, windowMs: 1_000 },
        { name: 'per-minute', limit: 1_000, windowMs: 60_000 },
        { name: 'per-day', limit: 100_000, windowMs: 86_400_000 },
      ],
      monthlyQuota: 1_000_000,
      limitScope: 'account',
      priceRef: 'price_pro_v3',
      currency: 'EUR',
    },
    previousPlan: { planId: 'plan_free', planVersion: 1 },
    effectiveAt: 1_764_201_600_000,
  },
  RequestMetered: {
    eventId: '01JDQ3W8Y6T4K2M9N7P5R3S1V5',
    occurredAt: 1_764_201_600_123,
    producer: 'edge-auth',
    schemaVersion: 1,
    keyId: 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
    accountId: 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
    planId: 'plan_pro',
    env: 'live',
    method: 'GET',
    route: 'orders.list',
    status: 200,
    outcome: 'allowed',
    costUnits: 1,
    latencyMicros: 180,
    edgeInstanceId: 'edge-auth-0',
  },
};

export function sampleEvent<T extends EventType>(
  eventType: T,
  overrides: Partial<EventPayloads[T]> = {},
): EventPayloads[T] {
  return { ...structuredClone(SAMPLES[eventType]), ...overrides };
}
