import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_KEY_ENVS } from './api-key-format';
import { generateApiKey } from './generate-api-key';

/** The patterns docs/architecture.md publishes for secret scanners, read from the doc itself. */
function publishedPatterns(): { defaultPrefix: RegExp; anyPrefix: RegExp } {
  const doc = readFileSync(new URL('../../../../docs/architecture.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Finding leaked keys'));
  const block = /```\n(.+)\n```/.exec(section)?.[1];
  const any = /Any prefix: `([^`]+)`/.exec(section)?.[1];
  if (!block || !any)
    throw new Error('the leaked-key patterns are missing from docs/architecture.md');
  return { defaultPrefix: new RegExp(block, 'g'), anyPrefix: new RegExp(any, 'g') };
}

describe('the key pattern published for secret scanners', () => {
  const { defaultPrefix, anyPrefix } = publishedPatterns();

  it('finds every generated key wherever it sits in text, and nothing around it', () => {
    for (let i = 0; i < 500; i++) {
      const { plaintext } = generateApiKey({ env: API_KEY_ENVS[i % 2]! });
      for (const text of [
        plaintext,
        `export TOLLGATE_KEY=${plaintext}\n`,
        `{"apiKey":"${plaintext}"}`,
        `curl -H 'Authorization: Bearer ${plaintext}' https://api.example`,
      ]) {
        expect([...text.matchAll(defaultPrefix)].map((m) => m[1])).toEqual([plaintext]);
        expect(text.match(anyPrefix)).toEqual([plaintext]);
      }
      // Part of a longer token is not a key.
      expect(`x${plaintext}`.match(defaultPrefix)).toBeNull();
      expect(`${plaintext}0`.match(defaultPrefix)).toBeNull();
    }
  });

  it('finds keys of another KEY_PREFIX with the any-prefix pattern only', () => {
    for (const prefix of ['acme', 'a', 'abcdefghijklmnop', 'x2']) {
      const { plaintext } = generateApiKey({ prefix, env: 'live' });
      expect(plaintext.match(anyPrefix)).toEqual([plaintext]);
      expect(plaintext.match(defaultPrefix)).toBeNull();
    }
  });
});
