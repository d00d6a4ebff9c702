import { describe, expect, it } from 'vitest';
import { divideHalfEven } from './rounding';

describe('half-even rounding', () => {
  it.each([
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [25n, 10n, 2n],
    [35n, 10n, 4n],
    [26n, 10n, 3n],
    [24n, 10n, 2n],
    [0n, 7n, 0n],
    [-5n, 2n, -2n],
    [-7n, 2n, -4n],
    [-26n, 10n, -3n],
  ])('%s / %s = %s', (n, d, expected) => {
    expect(divideHalfEven(n, d)).toBe(expected);
  });
  it('is exact beyond 2^53', () => {
    expect(divideHalfEven(10_000_000_000n * 2_678_400n + 1_339_200n, 2_678_400n)).toBe(
      10_000_000_000n,
    );
  });
});
