import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_KEY_ENVS, BODY_LENGTH, formatApiKey, type ApiKeyEnv } from './api-key-format';
import { BASE62_ALPHABET } from './base62';
import { generateApiKey } from './generate-api-key';
import { parseApiKey, type ApiKeyParseResult } from './parse-api-key';

// Test keys are assembled at run time: a literal key in the source would trip secret scanners.
const body = 'AbCdEfGhIjKlMnOpQrStUvWxYz0';
const validKey = formatApiKey('tg', 'live', body);
const replacements = `${BASE62_ALPHABET}_`;

const lowerAlnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
const prefixArb = fc
  .tuple(
    fc.constantFrom(...lowerAlnum.slice(0, 26)),
    fc.string({ unit: fc.constantFrom(...lowerAlnum), maxLength: 15 }),
  )
  .map(([head, tail]) => head + tail);
const keyArb = fc
  .record({
    prefix: prefixArb,
    env: fc.constantFrom(...API_KEY_ENVS),
    body: fc.string({
      unit: fc.constantFrom(...BASE62_ALPHABET),
      minLength: BODY_LENGTH,
      maxLength: BODY_LENGTH,
    }),
  })
  .map(({ prefix, env, body: keyBody }) => ({
    prefix,
    env,
    plaintext: formatApiKey(prefix, env, keyBody),
  }));

function replaceAt(text: string, index: number, char: string): string {
  return text.slice(0, index) + char + text.slice(index + 1);
}

function isParseResult(result: ApiKeyParseResult): boolean {
  return result.ok
    ? typeof result.prefix === 'string' && (result.env === 'live' || result.env === 'test')
    : ['malformed', 'wrong_prefix', 'bad_checksum'].includes(result.reason);
}

describe('parseApiKey: valid keys', () => {
  it.each(API_KEY_ENVS)('accepts a %s key and reports its prefix and env', (env) => {
    const key = formatApiKey('tg', env, body);
    expect(parseApiKey(key, { prefix: 'tg' })).toEqual({ ok: true, prefix: 'tg', env });
  });

  it('uses the tg prefix by default', () => {
    expect(parseApiKey(validKey)).toEqual({ ok: true, prefix: 'tg', env: 'live' });
  });

  it('accepts any well-formed key of its own prefix', () => {
    fc.assert(
      fc.property(keyArb, ({ prefix, env, plaintext }) => {
        expect(parseApiKey(plaintext, { prefix })).toEqual({ ok: true, prefix, env });
      }),
    );
  });
});

describe('parseApiKey: rejections', () => {
  it('tells a key of another deployment from a damaged one', () => {
    const acme = formatApiKey('acme', 'live', body);
    expect(parseApiKey(acme, { prefix: 'tg' })).toEqual({ ok: false, reason: 'wrong_prefix' });
    expect(parseApiKey(formatApiKey('tx', 'live', body))).toEqual({
      ok: false,
      reason: 'wrong_prefix',
    });
    expect(parseApiKey(validKey, { prefix: 'tgx' })).toEqual({ ok: false, reason: 'wrong_prefix' });
  });

  it('reports a bad checksum', () => {
    const last = validKey.at(-1) === '0' ? '1' : '0';
    expect(parseApiKey(validKey.slice(0, -1) + last)).toEqual({
      ok: false,
      reason: 'bad_checksum',
    });
    const swapped = replaceAt(replaceAt(validKey, 8, validKey[9]!), 9, validKey[8]!);
    expect(parseApiKey(swapped)).toEqual({ ok: false, reason: 'bad_checksum' });
  });

  const malformed: Array<[string, unknown]> = [
    ['empty', ''],
    ['only the prefix', 'tg'],
    ['prefix and separator', 'tg_'],
    ['prefix and env', 'tg_live_'],
    ['a truncated key', validKey.slice(0, -1)],
    ['an extended key', `${validKey}0`],
    ['an unknown env', formatApiKey('tg', 'prod' as ApiKeyEnv, body)],
    ['an uppercase env', formatApiKey('tg', 'LIVE' as ApiKeyEnv, body)],
    ['a mixed-case prefix', formatApiKey('Tg', 'live', body)],
    ['an uppercase prefix', formatApiKey('TG', 'live', body)],
    ['a prefix starting with a digit', formatApiKey('1tg', 'live', body)],
    ['a 17-character prefix', formatApiKey('abcdefghijklmnopq', 'live', body)],
    ['a doubled separator', validKey.replace('_live_', '__live_')],
    ['a separator in place of a body character', replaceAt(validKey, 20, '_')],
    ['a trailing separator', `${validKey.slice(0, -1)}_`],
    ['dashes for separators', validKey.replaceAll('_', '-')],
    ['a non-ASCII body character', replaceAt(validKey, 20, 'é')],
    ['an emoji', replaceAt(validKey, 20, '🔑').slice(0, validKey.length)],
    ['a zero-width space', `${validKey.slice(0, -1)}\u200b`],
    ['a NUL byte', replaceAt(validKey, 20, '\u0000')],
    ['a leading space', ` ${validKey.slice(1)}`],
    ['surrounding whitespace', ` ${validKey}\n`],
    ['a tab inside', replaceAt(validKey, 30, '\t')],
    ['a 10 KB string', 'a'.repeat(10_240)],
    ['a 10 KB key-like string', `tg_live_${'A'.repeat(10_240)}`],
    ['a key repeated', validKey.repeat(2)],
    ['a Bearer header', `Bearer ${validKey}`],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array of keys', [validKey]],
    ['an object', { toString: () => validKey }],
  ];

  it.each(malformed)('rejects %s as malformed', (_label, input) => {
    expect(parseApiKey(input)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('throws on an invalid deployment prefix instead of rejecting every key', () => {
    expect(() => parseApiKey(validKey, { prefix: 'TG' })).toThrow(/prefix/);
    expect(() => parseApiKey(validKey, { prefix: '' })).toThrow(/prefix/);
  });
});

describe('parseApiKey: single-character changes', () => {
  it('rejects every single-character substitution of generated keys, exhaustively', () => {
    const keys = ['tg', 'a', 'acme2', 'abcdefghijklmnop'].flatMap((prefix) =>
      API_KEY_ENVS.flatMap((env) =>
        Array.from({ length: 5 }, () => generateApiKey({ prefix, env })),
      ),
    );
    // Failures are collected rather than asserted one by one: this checks ~110k variants.
    const failures: string[] = [];
    for (const { plaintext, prefix } of keys) {
      const bodyStart = prefix.length + 6;
      for (let index = 0; index < plaintext.length; index++) {
        for (const char of replacements) {
          if (char === plaintext[index]) continue;
          const result = parseApiKey(replaceAt(plaintext, index, char), { prefix });
          // In the body and checksum, CRC-32 catches every substitution that keeps the shape.
          const expected =
            index < bodyStart ? undefined : char === '_' ? 'malformed' : 'bad_checksum';
          if (result.ok || (expected !== undefined && result.reason !== expected)) {
            failures.push(`${prefix} key, index ${index}, ${char}: ${JSON.stringify(result)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('rejects any single-character substitution of any well-formed key', () => {
    fc.assert(
      fc.property(
        keyArb,
        fc.nat(),
        fc.constantFrom(...replacements),
        ({ prefix, plaintext }, position, char) => {
          const index = position % plaintext.length;
          fc.pre(plaintext[index] !== char);
          expect(parseApiKey(replaceAt(plaintext, index, char), { prefix }).ok).toBe(false);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('parseApiKey: never throws', () => {
  const inputs = {
    'ASCII strings': fc.string({ maxLength: 200 }),
    'full Unicode strings': fc.string({ unit: 'binary', maxLength: 200 }),
    'grapheme strings': fc.string({ unit: 'grapheme', maxLength: 100 }),
    'key-alphabet strings': fc.string({ unit: fc.constantFrom(...replacements), maxLength: 60 }),
    'long strings': fc.string({ minLength: 100, maxLength: 2_000 }),
    'any value': fc.anything(),
  };

  it.each(Object.entries(inputs))('returns a result for %s', (_label, arb) => {
    fc.assert(
      fc.property(arb, fc.constantFrom('tg', 'a', 'acme2'), (input, prefix) => {
        expect(isParseResult(parseApiKey(input, { prefix }))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts text with a changed checksum', () => {
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 1, max: 5 }), ({ prefix, plaintext }, cut) => {
        const damaged = plaintext.slice(0, -cut) + '0'.repeat(cut);
        fc.pre(damaged !== plaintext);
        expect(parseApiKey(damaged, { prefix })).toEqual({ ok: false, reason: 'bad_checksum' });
      }),
    );
  });
});
