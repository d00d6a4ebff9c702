import { describe, expect, it } from 'vitest';
import {
  MAX_API_KEY_LENGTH,
  assertValidKeyPrefix,
  checksumOf,
  envAt,
  formatApiKey,
  isApiKeyEnv,
  isValidKeyPrefix,
  scanKeyShape,
} from './api-key-format';
import { decodeBase62 } from './base62';
import { crc32Ascii } from './crc32';

const body = 'AbCdEfGhIjKlMnOpQrStUvWxYz0';

describe('key prefix', () => {
  it.each(['tg', 'a', 'acme2', 'abcdefghijklmnop', 'x9'])('accepts %j', (prefix) => {
    expect(isValidKeyPrefix(prefix)).toBe(true);
    expect(() => assertValidKeyPrefix(prefix)).not.toThrow();
  });

  it.each(['', 'Tg', 'tG', '1tg', 'tg_', 't-g', 'tg ', 'abcdefghijklmnopq', 'té', undefined, 7])(
    'rejects %j',
    (prefix) => {
      expect(isValidKeyPrefix(prefix)).toBe(false);
      expect(() => assertValidKeyPrefix(prefix)).toThrow(/API key prefix must be 1-16/);
    },
  );
});

describe('isApiKeyEnv', () => {
  it('knows exactly live and test', () => {
    expect(isApiKeyEnv('live')).toBe(true);
    expect(isApiKeyEnv('test')).toBe(true);
    for (const env of ['LIVE', 'prod', '', 'live ', null]) expect(isApiKeyEnv(env)).toBe(false);
  });
});

describe('formatApiKey', () => {
  it('lays out prefix, env, body and a six-digit CRC-32 checksum', () => {
    const key = formatApiKey('tg', 'live', body);
    const unchecked = `tg_live_${body}`;
    expect(key.startsWith(unchecked)).toBe(true);
    expect(key).toHaveLength(unchecked.length + 6);
    expect(key.slice(-6)).toBe(checksumOf(unchecked));
    expect(checksumOf(key, unchecked.length)).toBe(checksumOf(unchecked));
    expect(decodeBase62(key, unchecked.length, key.length)).toBe(crc32Ascii(unchecked));
  });

  it('pads small checksums with 0', () => {
    expect(checksumOf('')).toBe('000000');
  });
});

describe('scanKeyShape', () => {
  it('returns the prefix length of a well-shaped key and reads its env', () => {
    const live = formatApiKey('acme2', 'live', body);
    const test = formatApiKey('a', 'test', body);
    expect(scanKeyShape(live)).toBe(5);
    expect(envAt(live, 5)).toBe('live');
    expect(scanKeyShape(test)).toBe(1);
    expect(envAt(test, 1)).toBe('test');
  });

  it('accepts the longest prefix and nothing longer than MAX_API_KEY_LENGTH', () => {
    const longest = formatApiKey('abcdefghijklmnop', 'live', body);
    expect(longest).toHaveLength(MAX_API_KEY_LENGTH);
    expect(scanKeyShape(longest)).toBe(16);
    expect(scanKeyShape(`q${longest}`)).toBe(-1);
  });

  it('ignores the checksum value, which is the parser’s job', () => {
    const key = formatApiKey('tg', 'live', body);
    expect(scanKeyShape(`${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`)).toBe(2);
  });
});
