import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { CURRENT_SCHEMAS, RELEASED_SCHEMAS } from '../generated/event-schemas';
import { EVENT_TYPES, type EventType } from './event-types';

/**
 * The schema evolution guard. Every released version stays in schemas/released; the current
 * schema must be one of them (release a change by adding <Type>.v<N+1>.avsc) and must read
 * data written with every earlier version (BACKWARD compatibility).
 */
const typeOf = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema);
const fingerprint = (schema: unknown) => typeOf(schema).fingerprint('sha256').toString('hex');

function backwardProblem(reader: unknown, writer: unknown): string | undefined {
  try {
    typeOf(reader).createResolver(typeOf(writer));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

describe('schema compatibility', () => {
  it('knows every event type that has a schema, and no other', () => {
    expect([...EVENT_TYPES].sort()).toEqual(Object.keys(CURRENT_SCHEMAS).sort());
  });

  it.each(EVENT_TYPES)('%s: the current schema is a released version', (eventType: EventType) => {
    const released = RELEASED_SCHEMAS.filter((r) => r.type === eventType);
    expect(released.map((r) => r.version)).toEqual(released.map((_, i) => i + 1));
    expect(released.map((r) => fingerprint(r.schema))).toContain(
      fingerprint(CURRENT_SCHEMAS[eventType]),
    );
  });

  it.each(EVENT_TYPES)(
    '%s: the current schema reads every released version',
    (eventType: EventType) => {
      for (const released of RELEASED_SCHEMAS.filter((r) => r.type === eventType)) {
        expect(
          backwardProblem(CURRENT_SCHEMAS[eventType], released.schema),
          `v${released.version}`,
        ).toBeUndefined();
      }
    },
  );

  it('catches a change that is not backward compatible', () => {
    const v1 = CURRENT_SCHEMAS.KeyRevoked as unknown as { fields: object[] };
    const addedWithoutDefault = {
      ...v1,
      fields: [...v1.fields, { name: 'revokedBy', type: 'string' }],
    };
    const addedWithDefault = {
      ...v1,
      fields: [...v1.fields, { name: 'revokedBy', type: 'string', default: 'system' }],
    };
    expect(backwardProblem(addedWithoutDefault, v1)).toMatch(/revokedBy/);
    expect(backwardProblem(addedWithDefault, v1)).toBeUndefined();
  });
});
