import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Ascii } from './crc32';

describe('crc32Ascii', () => {
  it('matches the standard check value', () => {
    expect(crc32Ascii('123456789')).toBe(0xcbf43926);
    expect(crc32Ascii('')).toBe(0);
  });

  it.each(['a', 'abc', 'The quick brown fox jumps over the lazy dog', 'tg_test_0123456789'])(
    'matches zlib for %j',
    (sample) => {
      expect(crc32Ascii(sample)).toBe(zlibCrc32(sample));
    },
  );

  it('matches zlib on any ASCII prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 200 }), fc.nat(), (text, cut) => {
        const end = text.length === 0 ? 0 : cut % (text.length + 1);
        return crc32Ascii(text, end) === zlibCrc32(text.slice(0, end));
      }),
    );
  });
});
