import { UlidGenerator } from '../ulid';
import type { EventCodec } from './event-codec';
import type { EventEnvelope, EventType } from './event-types';

const ulids = new UlidGenerator();
const nextUlid = (now: number) => ulids.next(now);

/** A new event id: a ULID (sortable by time, globally unique, the consumers' dedupe key). */
export function newEventId(now: number = Date.now()): string {
  return nextUlid(now);
}

/** Envelope fields for a new event; id and time come from the caller so domain code stays deterministic. */
export function createEnvelope(
  codec: EventCodec,
  eventType: EventType,
  source: { producer: string; eventId: string; occurredAt: number },
): EventEnvelope {
  return { ...source, schemaVersion: codec.currentVersion(eventType) };
}
