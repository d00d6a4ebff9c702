import { decodeTime, ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { UlidGenerator, ulidTime } from './ulid';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('UlidGenerator', () => {
  it('makes valid ULIDs carrying the given time, readable by the reference implementation', () => {
    const ids = new UlidGenerator();
    const now = Date.UTC(2026, 10, 27, 9, 0, 0, 123);
    const id = ids.next(now);
    expect(id).toMatch(ULID);
    expect(ulidTime(id)).toBe(now);
    expect(decodeTime(id)).toBe(now);
    expect(ulidTime(ulid(now))).toBe(now);
  });

  it('sorts in creation order within a millisecond and when the clock steps back', () => {
    const ids = new UlidGenerator();
    const made = [
      ids.next(1_000),
      ids.next(1_000),
      ids.next(1_000),
      ids.next(999),
      ids.next(1_001),
    ];
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
    expect(ulidTime(made[3]!)).toBe(1_000);
  });

  it('does not repeat across a million ids and two generators', () => {
    const a = new UlidGenerator();
    const b = new UlidGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 500_000; i++) {
      seen.add(a.next(5_000 + (i >> 10)));
      seen.add(b.next(5_000 + (i >> 10)));
    }
    expect(seen.size).toBe(1_000_000);
  });

  it('refuses times a ULID cannot hold', () => {
    const ids = new UlidGenerator();
    expect(() => ids.next(-1)).toThrow(RangeError);
    expect(() => ids.next(2 ** 48)).toThrow(RangeError);
    expect(() => ids.next(1.5)).toThrow(RangeError);
  });
});
