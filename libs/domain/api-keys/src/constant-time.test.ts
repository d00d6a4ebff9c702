import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqualHex, decodeHex } from './constant-time';

describe('decodeHex', () => {
  it('decodes whole bytes of either case', () => {
    expect(decodeHex('00ff')).toEqual(Buffer.from([0, 255]));
    expect(decodeHex('ABcd')).toEqual(Buffer.from([0xab, 0xcd]));
  });

  it.each(['', 'a', 'abc', '0g', 'ab cd', 'zz', '00\n'])(
    'rejects %j, which Buffer.from would silently truncate',
    (text) => {
      expect(decodeHex(text)).toBeUndefined();
    },
  );
});

describe('constantTimeEqualHex', () => {
  it('compares values', () => {
    expect(constantTimeEqualHex('deadbeef', 'deadbeef')).toBe(true);
    expect(constantTimeEqualHex('deadbeef', 'DEADBEEF')).toBe(true);
    expect(constantTimeEqualHex('deadbeef', 'deadbeee')).toBe(false);
  });

  it('is false for different lengths or invalid hex, never throwing', () => {
    expect(constantTimeEqualHex('dead', 'deadbeef')).toBe(false);
    expect(constantTimeEqualHex('', '')).toBe(false);
    expect(constantTimeEqualHex('deadbee', 'deadbee')).toBe(false);
    expect(constantTimeEqualHex('xyxy', 'xyxy')).toBe(false);
  });

  it('is true exactly when both sides name the same non-empty bytes', () => {
    const bytes = fc.uint8Array({ maxLength: 8 });
    fc.assert(
      fc.property(bytes, bytes, fc.boolean(), (x, y, sameValue) => {
        const a = Buffer.from(x).toString('hex');
        const b = sameValue ? a.toUpperCase() : Buffer.from(y).toString('hex');
        const expected = x.length > 0 && (sameValue || Buffer.from(x).equals(Buffer.from(y)));
        expect(constantTimeEqualHex(a, b)).toBe(expected);
      }),
    );
  });
});
