/** Digits in ASCII order, so a fixed-width encoding sorts like the number it encodes. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Indexed by char code so the verification path classifies characters without regexes or
// allocations; anything outside the table (non-ASCII, NaN) reads as undefined.
const DIGIT_BY_CHAR_CODE = new Int8Array(128).fill(-1);
for (let digit = 0; digit < BASE62_ALPHABET.length; digit++) {
  DIGIT_BY_CHAR_CODE[BASE62_ALPHABET.charCodeAt(digit)] = digit;
}

/** The value of one base62 character given its char code, or -1 when it is not one. */
export function base62DigitOf(charCode: number): number {
  return DIGIT_BY_CHAR_CODE[charCode] ?? -1;
}

/** Encodes a non-negative integer as exactly `width` base62 digits, left-padded with '0'. */
export function encodeBase62(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError('base62 encoding takes a non-negative safe integer');
  }
  let digits = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    digits = BASE62_ALPHABET.charAt(rest % 62) + digits;
    rest = Math.floor(rest / 62);
  }
  if (rest !== 0) throw new RangeError(`value does not fit in ${width} base62 digits`);
  return digits;
}

/**
 * Decodes `text[start, end)` as base62 without slicing it, or returns -1 on a non-base62
 * character. Only for spans short enough to stay a safe integer (8 digits or fewer).
 */
export function decodeBase62(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = base62DigitOf(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 62 + digit;
  }
  return value;
}
