import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMAS, RELEASED_SCHEMAS } from '../generated/event-schemas';
import { sampleEvent } from '../testing/samples';
import { contractsPaths } from '../codegen/paths';
import { DecodeError } from './decode-error';
import { EventCodec } from './event-codec';
import {
  EVENT_TYPE_HEADER,
  EVENT_TYPES,
  SCHEMA_FINGERPRINT_HEADER,
  type EventType,
} from './event-types';

const codec = new EventCodec();
const fixtures = contractsPaths(import.meta.dirname).fixtures;

function expectDecodeError(fn: () => unknown, reason: DecodeError['reason']) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe(reason);
    return;
  }
  throw new Error('expected a DecodeError');
}

/** Top-level fields added after an event's first version, with the version that added them. */
const ADDED_FIELDS: Partial<Record<EventType, Record<string, number>>> = {
  KeyIssued: { actor: 2 },
  KeyRevoked: { actor: 2 },
  KeyUpdated: { actor: 2 },
  AccountStatusChanged: { actor: 2 },
  PlanChanged: { actor: 3 },
};

describe('EventCodec', () => {
  it.each(EVENT_TYPES)('round-trips %s with type and fingerprint headers', (eventType) => {
    const payload = sampleEvent(eventType);
    const encoded = codec.encode(eventType, payload);
    expect(encoded.headers[EVENT_TYPE_HEADER]!.toString()).toBe(eventType);
    expect(encoded.headers[SCHEMA_FINGERPRINT_HEADER]!.toString()).toMatch(/^[0-9a-f]{64}$/);
    expect(codec.decode(encoded.headers, encoded.value)).toEqual({ type: eventType, payload });
  });

  it.each(EVENT_TYPES)(
    'writes %s exactly as the golden bytes of its current schema',
    (eventType) => {
      const file = join(fixtures, `${eventType}.v${codec.currentVersion(eventType)}.hex`);
      const hex = codec.encode(eventType, sampleEvent(eventType)).value.toString('hex');
      if (process.env.UPDATE_GOLDEN === '1' && !existsSync(file)) writeFileSync(file, `${hex}\n`);
      const golden = readFileSync(file, 'utf8').trim();
      expect(hex).toBe(golden);
      const headers = codec.encode(eventType, sampleEvent(eventType)).headers;
      expect(codec.decode(headers, Buffer.from(golden, 'hex')).payload).toEqual(
        sampleEvent(eventType),
      );
    },
  );

  it.each(
    RELEASED_SCHEMAS.filter(
      (released) => released.version < codec.currentVersion(released.type),
    ).map((released) => [`${released.type} v${released.version}`, released] as const),
  )('still reads the golden bytes written with %s', (_name, released) => {
    const golden = readFileSync(
      join(fixtures, `${released.type}.v${released.version}.hex`),
      'utf8',
    );
    const writer = avro.Type.forSchema(released.schema as unknown as avro.Schema);
    const headers = {
      [EVENT_TYPE_HEADER]: released.type,
      [SCHEMA_FINGERPRINT_HEADER]: writer.fingerprint('sha256').toString('hex'),
    };
    const decoded = codec.decode(headers, Buffer.from(golden.trim(), 'hex'));
    expect(decoded.type).toBe(released.type);
    expect(decoded.payload.eventId).toBe(sampleEvent(released.type).eventId);
    // What the older writer did not have reads as its default.
    const payload = decoded.payload as unknown as Record<string, unknown>;
    for (const [field, since] of Object.entries(ADDED_FIELDS[released.type] ?? {}))
      if (released.version < since) expect(payload[field], field).toBeNull();
    if (decoded.type === 'PlanChanged' && released.version < 2)
      expect(decoded.payload.plan.pricing).toBeNull();
  });

  it('reads a message written with an older schema through schema resolution', () => {
    // An older RequestMetered writer without costUnits: the current reader fills the default (1).
    const current = CURRENT_SCHEMAS.RequestMetered as unknown as {
      fields: Array<{ name: string }>;
    };
    const older = avro.Type.forSchema({
      ...current,
      fields: current.fields.filter((f) => f.name !== 'costUnits'),
    } as avro.Schema);
    const { costUnits: _dropped, ...oldPayload } = sampleEvent('RequestMetered');
    const value = older.toBuffer(oldPayload);
    const headers = {
      [EVENT_TYPE_HEADER]: 'RequestMetered',
      [SCHEMA_FINGERPRINT_HEADER]: older.fingerprint('sha256').toString('hex'),
    };

    expectDecodeError(() => codec.decode(headers, value), 'unknown_schema');
    const reader = new EventCodec();
    reader.addWriter({ type: 'RequestMetered', version: 0, schema: older.schema() as object });
    expect(reader.decode(headers, value)).toEqual({
      type: 'RequestMetered',
      payload: { ...oldPayload, costUnits: 1 },
    });
  });

  it('rejects what it cannot decode with a reason, never a crash', () => {
    const { value, headers } = codec.encode('KeyIssued', sampleEvent('KeyIssued'));
    expectDecodeError(() => codec.decode({}, value), 'missing_headers');
    expectDecodeError(() => codec.decode(undefined, value), 'missing_headers');
    expectDecodeError(
      () => codec.decode({ ...headers, [EVENT_TYPE_HEADER]: 'KeyDeleted' }, value),
      'unknown_event_type',
    );
    expectDecodeError(
      () => codec.decode({ ...headers, [SCHEMA_FINGERPRINT_HEADER]: 'ff'.repeat(32) }, value),
      'unknown_schema',
    );
    expectDecodeError(
      () => codec.decode({ ...headers, [EVENT_TYPE_HEADER]: 'KeyRevoked' }, value),
      'unknown_schema',
    );
    expectDecodeError(
      () => codec.decode(headers, Buffer.from('not avro at all')),
      'malformed_payload',
    );
    expectDecodeError(() => codec.decode(headers, value.subarray(0, 10)), 'malformed_payload');
    expectDecodeError(() => codec.decode(headers, null), 'malformed_payload');
  });

  it('refuses to encode a payload that does not match the schema', () => {
    const bad = { ...sampleEvent('RequestMetered'), outcome: 'teleported' } as never;
    expect(() => codec.encode('RequestMetered', bad)).toThrow();
  });
});
