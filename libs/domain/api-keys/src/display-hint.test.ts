import { describe, expect, it } from 'vitest';
import { formatApiKey } from './api-key-format';
import { displayHintOf } from './display-hint';
import { generateApiKey } from './generate-api-key';

describe('displayHintOf', () => {
  it('agrees with the hint issued with the key', () => {
    for (const prefix of ['tg', 'a', 'acme2']) {
      for (const env of ['live', 'test'] as const) {
        const key = generateApiKey({ prefix, env });
        expect(displayHintOf(key.plaintext)).toBe(key.displayHint);
      }
    }
  });

  it('shows the prefix, the env and only the last four characters', () => {
    const key = formatApiKey('acme2', 'test', 'AbCdEfGhIjKlMnOpQrStUvWxYz0');
    expect(displayHintOf(key)).toBe(`acme2_test_…${key.slice(-4)}`);
  });

  it.each(['', 'tg_live_', 'hello world', 'x'.repeat(10_000)])(
    'gives no hint for text that is not shaped like a key (%#)',
    (text) => {
      expect(displayHintOf(text)).toBeUndefined();
    },
  );
});
