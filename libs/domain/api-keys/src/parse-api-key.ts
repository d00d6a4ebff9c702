import {
  CHECKSUM_LENGTH,
  DEFAULT_KEY_PREFIX,
  assertValidKeyPrefix,
  envAt,
  scanKeyShape,
  type ApiKeyEnv,
} from './api-key-format';
import { decodeBase62 } from './base62';
import { crc32Ascii } from './crc32';

export type ApiKeyRejection = 'malformed' | 'wrong_prefix' | 'bad_checksum';

export type ApiKeyParseResult =
  | { readonly ok: true; readonly prefix: string; readonly env: ApiKeyEnv }
  | { readonly ok: false; readonly reason: ApiKeyRejection };

export interface ParseApiKeyOptions {
  /** The prefix this deployment issues; keys carrying another one are rejected. */
  prefix?: string;
}

// Shared, frozen rejections: turning garbage away allocates nothing.
const MALFORMED: ApiKeyParseResult = Object.freeze({ ok: false, reason: 'malformed' });
const WRONG_PREFIX: ApiKeyParseResult = Object.freeze({ ok: false, reason: 'wrong_prefix' });
const BAD_CHECKSUM: ApiKeyParseResult = Object.freeze({ ok: false, reason: 'bad_checksum' });

/**
 * Checks a presented key offline, before any lookup: shape, then prefix, then checksum, cheapest
 * first. Never throws on `text`, whatever it is (a header can be missing or repeated); it throws
 * only when `options.prefix` is not a valid prefix, which is a deployment error.
 */
export function parseApiKey(text: unknown, options: ParseApiKeyOptions = {}): ApiKeyParseResult {
  const expectedPrefix = options.prefix ?? DEFAULT_KEY_PREFIX;
  assertValidKeyPrefix(expectedPrefix);
  if (typeof text !== 'string') return MALFORMED;
  const prefixLength = scanKeyShape(text);
  if (prefixLength < 0) return MALFORMED;
  if (prefixLength !== expectedPrefix.length || !text.startsWith(expectedPrefix)) {
    return WRONG_PREFIX;
  }
  const checksumStart = text.length - CHECKSUM_LENGTH;
  if (crc32Ascii(text, checksumStart) !== decodeBase62(text, checksumStart, text.length)) {
    return BAD_CHECKSUM;
  }
  return { ok: true, prefix: expectedPrefix, env: envAt(text, prefixLength) };
}
