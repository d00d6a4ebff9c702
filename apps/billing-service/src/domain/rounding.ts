/**
 * `numerator / denominator` rounded to the nearest integer, ties to the even neighbour (banker's
 * rounding), in exact integer arithmetic. Money is rounded with this once per invoice line, so a
 * line is never off by more than half a minor unit and ties do not drift upwards over many lines.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const quotient = n / denominator;
  const twiceRemainder = (n % denominator) * 2n;
  const roundsUp =
    twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n);
  const magnitude = roundsUp ? quotient + 1n : quotient;
  return negative ? -magnitude : magnitude;
}

/** A bigint that must fit a JavaScript number exactly (amounts, units) back to a number. */
export function toSafeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER))
    throw new RangeError(`${value} is outside the safe integer range`);
  return Number(value);
}
