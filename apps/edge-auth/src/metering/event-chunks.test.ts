import { describe, expect, it } from 'vitest';
import { FrameWriter, readFrames } from './usage-frames';

describe('usage frames', () => {
  it('round-trips keyed and unkeyed events through one transferable buffer', () => {
    const writer = new FrameWriter(1024);
    expect(writer.write('key_01JDQ3W8Y6T4K2M9N7P5R3S1V1', Buffer.from('first'))).toBe(true);
    expect(writer.write(null, Buffer.from(''))).toBe(true);
    expect(writer.write('', Buffer.from([0, 255, 7]))).toBe(true);
    const batch = writer.take();
    expect(batch.count).toBe(3);
    expect(writer.count).toBe(0);
    const frames = [...readFrames(batch.buffer, batch.length)].map((f) => [f.key, [...f.value]]);
    expect(frames).toEqual([
      ['key_01JDQ3W8Y6T4K2M9N7P5R3S1V1', [...Buffer.from('first')]],
      [null, []],
      ['', [0, 255, 7]],
    ]);
  });

  it('reports a full batch instead of overflowing, and refuses what can never fit', () => {
    const writer = new FrameWriter(32);
    expect(writer.write('k', Buffer.alloc(20))).toBe(true);
    expect(writer.write('k', Buffer.alloc(20))).toBe(false);
    expect(writer.count).toBe(1);
    writer.take();
    expect(() => writer.write('k', Buffer.alloc(40))).toThrow(RangeError);
    expect(() => writer.write('k'.repeat(255), Buffer.alloc(1))).toThrow(RangeError);
  });

  it('starts small, grows up to its capacity, and encodes in place', () => {
    const writer = new FrameWriter(4096, 64);
    const value = Buffer.alloc(100, 7);
    // The encoder says "too small" (negative) until it is given room for the whole value.
    const encode = (bytes: Buffer, at: number) =>
      at + value.length > bytes.length ? -1 : at + value.copy(bytes, at);
    for (let i = 0; i < 30; i++) expect(writer.writeWith(null, 10, encode)).toBe(true);
    expect(writer.writeWith(null, 10, encode)).toBe(true);
    expect(writer.writeWith('k', 4000, encode)).toBe(false);
    const batch = writer.take();
    expect(batch.count).toBe(31);
    expect([...readFrames(batch.buffer, batch.length)].every((f) => f.value.equals(value))).toBe(
      true,
    );
    // The next buffer is sized from the last batch, within the capacity.
    expect(writer.writeWith(null, 10, encode)).toBe(true);
  });
});
