import { describe, expect, it } from 'vitest';
import { BASE62_ALPHABET } from './base62';
import { randomBase62, type RandomByteSource } from './random-base62';

function scripted(...draws: number[][]): { source: RandomByteSource; requested: number[] } {
  const requested: number[] = [];
  const source: RandomByteSource = (size) => {
    requested.push(size);
    return Uint8Array.from(draws.shift() ?? []);
  };
  return { source, requested };
}

describe('randomBase62', () => {
  it('maps bytes below 248 by value mod 62 and drops the rest', () => {
    const { source } = scripted([0, 61, 62, 247, 248, 255, 123]);
    expect(randomBase62(5, source)).toBe('0z0zz');
  });

  it('draws again until enough bytes were accepted', () => {
    const { source, requested } = scripted([255, 250, 1], [2, 3]);
    expect(randomBase62(3, source)).toBe('123');
    expect(requested).toHaveLength(2);
    expect(requested[1]).toBeGreaterThanOrEqual(2);
  });

  it('returns base62 of the requested length from the real CSPRNG', () => {
    for (const length of [0, 1, 27, 500]) {
      const text = randomBase62(length);
      expect(text).toHaveLength(length);
      expect(text).toMatch(/^[0-9A-Za-z]*$/);
    }
  });

  it('spreads characters evenly (modulo bias would favour 0-7 by about 21%)', () => {
    const counts = new Map<string, number>();
    const sampleChars = 620_000;
    for (let i = 0; i < sampleChars / 31; i++) {
      for (const char of randomBase62(31)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    const expected = sampleChars / 62;
    // About six standard deviations: a false alarm is practically impossible, a bias is not.
    const tolerance = 6 * Math.sqrt(expected);
    for (const char of BASE62_ALPHABET) {
      expect(Math.abs((counts.get(char) ?? 0) - expected)).toBeLessThan(tolerance);
    }
  });
});
