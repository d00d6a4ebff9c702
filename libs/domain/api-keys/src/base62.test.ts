import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET, base62DigitOf, decodeBase62, encodeBase62 } from './base62';

const uint32 = fc.integer({ min: 0, max: 0xffffffff });

describe('base62', () => {
  it('uses 0-9A-Za-z in ASCII order', () => {
    expect(BASE62_ALPHABET).toHaveLength(62);
    expect([...BASE62_ALPHABET].sort().join('')).toBe(BASE62_ALPHABET);
    expect(BASE62_ALPHABET).toMatch(/^[0-9A-Za-z]+$/);
  });

  it('encodes fixed width, left-padded with 0', () => {
    expect(encodeBase62(0, 6)).toBe('000000');
    expect(encodeBase62(61, 1)).toBe('z');
    expect(encodeBase62(62, 2)).toBe('10');
    expect(encodeBase62(0xffffffff, 6)).toBe('4gfFC3');
  });

  it('classifies characters', () => {
    expect(base62DigitOf('0'.charCodeAt(0))).toBe(0);
    expect(base62DigitOf('A'.charCodeAt(0))).toBe(10);
    expect(base62DigitOf('z'.charCodeAt(0))).toBe(61);
    for (const char of ['_', '-', ' ', '/', 'é', '\u0000']) {
      expect(base62DigitOf(char.charCodeAt(0))).toBe(-1);
    }
    expect(base62DigitOf(Number.NaN)).toBe(-1);
  });

  it('refuses values it cannot encode', () => {
    expect(() => encodeBase62(62, 1)).toThrow(RangeError);
    expect(() => encodeBase62(-1, 6)).toThrow(RangeError);
    expect(() => encodeBase62(1.5, 6)).toThrow(RangeError);
  });

  it('decodes a span without slicing and rejects non-base62 characters', () => {
    expect(decodeBase62('xx10yy', 2, 4)).toBe(62);
    expect(decodeBase62('1_0', 0, 3)).toBe(-1);
    expect(decodeBase62('', 0, 0)).toBe(0);
  });

  it('round-trips every 32-bit value in six digits', () => {
    fc.assert(fc.property(uint32, (value) => decodeBase62(encodeBase62(value, 6), 0, 6) === value));
  });

  it('keeps numeric order as string order', () => {
    fc.assert(
      fc.property(uint32, uint32, (a, b) => {
        const [x, y] = [encodeBase62(a, 6), encodeBase62(b, 6)];
        return Math.sign(a - b) === (x < y ? -1 : x > y ? 1 : 0);
      }),
    );
  });
});
