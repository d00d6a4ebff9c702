import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventCodec, messageKeyOf, type RequestMetered } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import type { OutgoingMessage } from '@tollgate/kafka';
import { Spool } from './spool';
import { encodeFrame } from './spool-format';
import {
  EVENT_COUNT_HEADER,
  eventCountOf,
  RequestMeteredBatchWriter,
  UsageBatcher,
  type EventRuns,
} from './usage-batch';

const codec = new EventCodec();
const writer = new RequestMeteredBatchWriter(codec, {
  producer: 'edge-auth',
  edgeInstanceId: 'edge-auth-0',
});
const events = (n: number): RequestMetered[] =>
  Array.from({ length: n }, (_, i) =>
    sampleEvent('RequestMetered', {
      eventId: `01JDQ3W8Y6T4K2M9N7P5R3S${String(i).padStart(3, '0')}`,
      keyId: i % 2 ? null : 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
      latencyMicros: 100 + i,
    }),
  );
/** Single encoded events as runs (one part each). */
const eventRuns = (values: readonly Buffer[]): EventRuns => ({
  parts: values,
  events: values.length,
  bytes: values.reduce((n, b) => n + b.length, 0),
});
const encoded = (list: RequestMetered[]) =>
  list.map((e) => codec.encode('RequestMetered', e).value);

describe('RequestMeteredBatchWriter', () => {
  it.each([1, 2, 63, 64, 1_000])(
    'writes %i pre-encoded events exactly as avsc encodes the same batch',
    (n) => {
      const list = events(n);
      const values = encoded(list);
      const message = writer.write('usage', eventRuns(values), 1_764_201_600_130);
      const decoded = codec.decode(message.headers, message.value);
      expect(decoded.type).toBe('RequestMeteredBatch');
      if (decoded.type !== 'RequestMeteredBatch') return;
      expect(decoded.payload.events).toEqual(list);
      expect(message.key).toBe(messageKeyOf('RequestMeteredBatch', decoded.payload));
      expect(message.key).toBe('edge-auth-0/1764201600');
      expect(decoded.payload).toMatchObject({
        occurredAt: 1_764_201_600_130,
        producer: 'edge-auth',
        edgeInstanceId: 'edge-auth-0',
      });
      expect(message.value.equals(codec.encode('RequestMeteredBatch', decoded.payload).value)).toBe(
        true,
      );
      expect(eventCountOf(message.headers)).toBe(n);
    },
  );

  it('gives every batch its own id, one key per edge and second, and refuses an empty batch', () => {
    const values = encoded(events(1));
    const idOf = (m: { headers?: Record<string, Buffer | string>; value: Buffer }) =>
      codec.decode(m.headers, m.value).payload.eventId;
    const a = writer.write('usage', eventRuns(values), 1_000);
    const b = writer.write('usage', eventRuns(values), 1_999);
    const c = writer.write('usage', eventRuns(values), 2_000);
    expect(idOf(a)).not.toBe(idOf(b));
    expect(a.key).toBe(b.key);
    expect(c.key).not.toBe(a.key);
    expect(() => writer.write('usage', eventRuns([]), 1)).toThrow(RangeError);
  });

  it('counts a record without the header (a single RequestMetered) as one event', () => {
    expect(eventCountOf(codec.headersOf('RequestMetered'))).toBe(1);
    expect(eventCountOf({ [EVENT_COUNT_HEADER]: Buffer.from('12') })).toBe(12);
    expect(eventCountOf({ [EVENT_COUNT_HEADER]: Buffer.from('nonsense') })).toBe(1);
  });
});

describe('UsageBatcher', () => {
  const batcher = (sealed: Array<{ message: OutgoingMessage; events: number }>, linger = 60_000) =>
    new UsageBatcher({
      writer,
      topic: 'usage',
      maxEvents: 10,
      maxBytes: 1_000,
      lingerMs: linger,
      now: () => 1_764_201_600_000,
      onBatch: (message, n) => sealed.push({ message, events: n }),
    });

  it('seals at the event bound, at the byte bound, and on demand, losing and reordering nothing', () => {
    const sealed: Array<{ message: OutgoingMessage; events: number }> = [];
    const b = batcher(sealed);
    const list = events(37);
    for (const value of encoded(list)) b.add(value);
    expect(b.pending).toBeGreaterThan(0);
    b.seal();
    expect(b.pending).toBe(0);
    const totalBytes = eventRuns(encoded(list)).bytes;
    expect(sealed.every((s) => s.events <= 10)).toBe(true);
    expect(sealed.length).toBeGreaterThanOrEqual(Math.ceil(totalBytes / 1_000));
    expect(sealed.reduce((n, s) => n + s.events, 0)).toBe(37);
    const out = sealed.flatMap(({ message }) => {
      const decoded = codec.decode(message.headers, message.value);
      return decoded.type === 'RequestMeteredBatch' ? decoded.payload.events : [];
    });
    expect(out).toEqual(list);
  });

  it('takes chunks of events whole, splitting one only where a batch reaches a bound', () => {
    const sealed: Array<{ message: OutgoingMessage; events: number }> = [];
    const b = batcher(sealed);
    const list = events(45);
    const values = encoded(list);
    // Chunks of 7, 1, 23 and 14 events, as the request thread hands them over.
    let next = 0;
    for (const size of [7, 1, 23, 14]) {
      const part = values.slice(next, next + size);
      next += size;
      const ends = part.reduce<number[]>((acc, v) => [...acc, (acc.at(-1) ?? 0) + v.length], []);
      b.addEvents(Buffer.concat(part), Uint32Array.from(ends));
    }
    b.seal();
    const decoded = sealed.map(({ message, events: n }) => {
      const d = codec.decode(message.headers, message.value);
      return { n, events: d.type === 'RequestMeteredBatch' ? d.payload.events : [] };
    });
    expect(decoded.every(({ n, events: e }) => n === e.length && n <= 10)).toBe(true);
    expect(sealed.every(({ message }) => message.value.length < 1_000 + 100)).toBe(true);
    expect(decoded.flatMap(({ events: e }) => e)).toEqual(list);
  });

  it('puts an event bigger than the byte bound in a batch of its own', () => {
    const sealed: Array<{ message: OutgoingMessage; events: number }> = [];
    const b = new UsageBatcher({
      writer,
      topic: 'usage',
      maxEvents: 10,
      maxBytes: 150,
      lingerMs: 60_000,
      now: () => 1,
      onBatch: (message, n) => sealed.push({ message, events: n }),
    });
    const [small, big] = encoded([
      sampleEvent('RequestMetered', { route: '/a' }),
      sampleEvent('RequestMetered', { route: `/${'b'.repeat(200)}` }),
    ]);
    b.addEvents(Buffer.concat([small!, big!, small!]), [
      small!.length,
      small!.length + big!.length,
      2 * small!.length + big!.length,
    ]);
    b.seal();
    expect(sealed.map((s) => s.events)).toEqual([1, 1, 1]);
  });

  it('seals a batch when its first event has waited the linger time', async () => {
    const sealed: Array<{ message: OutgoingMessage; events: number }> = [];
    const b = batcher(sealed, 5);
    for (const value of encoded(events(3))) b.add(value);
    await expect.poll(() => sealed.length).toBe(1);
    expect(sealed[0]!.events).toBe(3);
  });
});

describe('a spooled batch', () => {
  it('is stored and read back byte for byte, and counted by its events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'batch-spool-'));
    try {
      const values = encoded(events(50));
      const message = writer.write('usage', eventRuns(values), 1);
      const spool = await Spool.open({ dir, onError: () => undefined });
      spool.append(encodeFrame(message), 50);
      spool.append(encodeFrame({ ...message, key: 'single', headers: {} }), 1);
      expect(spool.pendingEvents).toBe(51);
      await spool.sync();
      expect(spool.events).toBe(51);
      await spool.close();

      const next = await Spool.open({ dir, onError: () => undefined });
      expect(next.records).toBe(2);
      expect(next.events).toBe(51);
      const [replayed] = (await next.read(next.sealed[0]!)).messages;
      expect(replayed!.value.equals(message.value)).toBe(true);
      expect(replayed!.key).toBe(message.key);
      const text = (headers: Record<string, Buffer | string> = {}) =>
        Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.toString()]));
      expect(text(replayed!.headers)).toEqual(text(message.headers));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
