import type { EventPayloads } from '../generated/event-types';

export type EventType = keyof EventPayloads;

export const EVENT_TYPES = [
  'AccountStatusChanged',
  'InvoiceFinalized',
  'KeyIssued',
  'KeyRevoked',
  'KeyUpdated',
  'PaymentFailed',
  'PlanChanged',
  'RequestMetered',
  'RequestMeteredBatch',
] as const satisfies readonly EventType[];

/** Any event with its type tag: `switch (event.type)` narrows `event.payload`. */
export type TollgateEvent = { [T in EventType]: { type: T; payload: EventPayloads[T] } }[EventType];

/** The envelope fields every event carries (docs/events.md). */
export interface EventEnvelope {
  eventId: string;
  occurredAt: number;
  producer: string;
  schemaVersion: number;
}

/** Kafka header names: a consumer decodes by these without guessing. */
export const EVENT_TYPE_HEADER = 'tollgate-event-type';
export const SCHEMA_FINGERPRINT_HEADER = 'tollgate-schema-fingerprint';

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
