import { base62DigitOf, encodeBase62 } from './base62';
import { crc32Ascii } from './crc32';

// The key grammar: `<prefix>_<env>_<body><checksum>`, e.g. a live key of the default
// deployment starts with `tg_live_`. Everything after the prefix has a fixed length, so the
// prefix length follows from the total length and no separator search is needed.

export type ApiKeyEnv = 'live' | 'test';

export const API_KEY_ENVS: readonly ApiKeyEnv[] = ['live', 'test'];
export const DEFAULT_KEY_PREFIX = 'tg';
export const MAX_PREFIX_LENGTH = 16;
/** 62^27 > 2^160: the body carries at least 160 bits of CSPRNG output. */
export const BODY_LENGTH = 27;
/** 62^6 > 2^32: room for any CRC-32 value. */
export const CHECKSUM_LENGTH = 6;

const ENV_LENGTH = 4;
const SUFFIX_LENGTH = 1 + ENV_LENGTH + 1 + BODY_LENGTH + CHECKSUM_LENGTH;
/** The longest well-formed key; anything longer is rejected before it is read. */
export const MAX_API_KEY_LENGTH = MAX_PREFIX_LENGTH + SUFFIX_LENGTH;

const PREFIX_PATTERN = /^[a-z][a-z0-9]*$/;
const UNDERSCORE = 0x5f;

export function isValidKeyPrefix(prefix: unknown): prefix is string {
  return (
    typeof prefix === 'string' && prefix.length <= MAX_PREFIX_LENGTH && PREFIX_PATTERN.test(prefix)
  );
}

/** For deployment configuration: fails fast on a prefix no generated key could carry. */
export function assertValidKeyPrefix(prefix: unknown): asserts prefix is string {
  if (!isValidKeyPrefix(prefix)) {
    throw new Error(
      `API key prefix must be 1-${MAX_PREFIX_LENGTH} characters: a lowercase letter, then lowercase letters or digits`,
    );
  }
}

export function isApiKeyEnv(env: unknown): env is ApiKeyEnv {
  return env === 'live' || env === 'test';
}

/** The checksum of `text[0, end)`: its CRC-32 as six base62 digits. */
export function checksumOf(text: string, end: number = text.length): string {
  return encodeBase62(crc32Ascii(text, end), CHECKSUM_LENGTH);
}

/** Assembles a key from already-valid parts and appends its checksum. */
export function formatApiKey(prefix: string, env: ApiKeyEnv, body: string): string {
  const unchecked = `${prefix}_${env}_${body}`;
  return unchecked + checksumOf(unchecked);
}

function isLowerLetter(code: number): boolean {
  return code >= 0x61 && code <= 0x7a;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * Checks the grammar of a key (not its prefix value, not its checksum) and returns the length
 * of its prefix, or -1 when the text is not shaped like a key. Reads at most
 * MAX_API_KEY_LENGTH characters and allocates nothing.
 */
export function scanKeyShape(text: string): number {
  const prefixLength = text.length - SUFFIX_LENGTH;
  if (prefixLength < 1 || prefixLength > MAX_PREFIX_LENGTH) return -1;
  if (!isLowerLetter(text.charCodeAt(0))) return -1;
  for (let i = 1; i < prefixLength; i++) {
    const code = text.charCodeAt(i);
    if (!isLowerLetter(code) && !isDigit(code)) return -1;
  }
  if (text.charCodeAt(prefixLength) !== UNDERSCORE) return -1;
  const envStart = prefixLength + 1;
  if (!text.startsWith('live_', envStart) && !text.startsWith('test_', envStart)) return -1;
  for (let i = envStart + ENV_LENGTH + 1; i < text.length; i++) {
    if (base62DigitOf(text.charCodeAt(i)) < 0) return -1;
  }
  return prefixLength;
}

/** The env of a key that passed scanKeyShape. */
export function envAt(text: string, prefixLength: number): ApiKeyEnv {
  return text.startsWith('live', prefixLength + 1) ? 'live' : 'test';
}
