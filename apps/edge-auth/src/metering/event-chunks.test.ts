import { describe, expect, it } from 'vitest';
import { chunkViews, EventChunkWriter, type EventChunk } from './event-chunks';

/** The events of a received chunk, one Buffer each. */
const eventsOf = (chunk: EventChunk) => {
  const { bytes, ends } = chunkViews(chunk);
  return [...ends].map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
};

describe('event chunks', () => {
  it('carries events back to back with their end offsets through transferable buffers', () => {
    const writer = new EventChunkWriter(1024, 100);
    expect(writer.write(Buffer.from('first'))).toBe(true);
    expect(writer.write(Buffer.from(''))).toBe(true);
    expect(writer.write(Buffer.from([0, 255, 7]))).toBe(true);
    const chunk = writer.take();
    expect(chunk.count).toBe(3);
    expect(chunk.length).toBe(8);
    expect(writer.count).toBe(0);
    expect(Buffer.from(chunk.bytes, 0, chunk.length)).toEqual(
      Buffer.concat([Buffer.from('first'), Buffer.from([0, 255, 7])]),
    );
    expect(eventsOf(chunk).map((e) => [...e])).toEqual([
      [...Buffer.from('first')],
      [],
      [0, 255, 7],
    ]);
  });

  it('reports a full chunk (bytes or events) instead of overflowing, and refuses what can never fit', () => {
    const bytesBound = new EventChunkWriter(32, 100);
    expect(bytesBound.write(Buffer.alloc(20))).toBe(true);
    expect(bytesBound.write(Buffer.alloc(20))).toBe(false);
    expect(bytesBound.count).toBe(1);
    bytesBound.take();
    expect(() => bytesBound.write(Buffer.alloc(40))).toThrow(RangeError);

    const eventsBound = new EventChunkWriter(1024, 2);
    expect(eventsBound.write(Buffer.from('a'))).toBe(true);
    expect(eventsBound.write(Buffer.from('b'))).toBe(true);
    expect(eventsBound.write(Buffer.from('c'))).toBe(false);
    expect(eventsOf(eventsBound.take()).map(String)).toEqual(['a', 'b']);
  });

  it('starts small, grows up to its capacity (bytes and offsets), and encodes in place', () => {
    const writer = new EventChunkWriter(64 * 1024, 10_000, 64);
    const value = Buffer.alloc(100, 7);
    // The encoder says "too small" (negative) until it is given room for the whole value.
    const encode = (bytes: Buffer, at: number) =>
      at + value.length > bytes.length ? -1 : at + value.copy(bytes, at);
    for (let i = 0; i < 300; i++) expect(writer.writeWith(10, encode)).toBe(true);
    const chunk = writer.take();
    expect(chunk.count).toBe(300);
    expect(eventsOf(chunk).every((e) => e.equals(value))).toBe(true);
    // The next buffers are sized from the last chunk, within the capacity.
    expect(writer.writeWith(10, encode)).toBe(true);
    expect(writer.size).toBe(100);
  });
});
