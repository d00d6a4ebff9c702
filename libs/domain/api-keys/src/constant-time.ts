import { timingSafeEqual } from 'node:crypto';

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * Strict hex decoding: Buffer.from(text, 'hex') silently stops at the first bad character,
 * which would let a truncated or corrupted stored hash compare as a shorter value.
 */
export function decodeHex(text: string): Buffer | undefined {
  return HEX_PATTERN.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/**
 * Compares two hex strings by value in time independent of where they differ. Only the length
 * can leak, and digests have a public length. False when either side is not non-empty hex.
 */
export function constantTimeEqualHex(a: string, b: string): boolean {
  const left = decodeHex(a);
  const right = decodeHex(b);
  if (left === undefined || right === undefined || left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}
