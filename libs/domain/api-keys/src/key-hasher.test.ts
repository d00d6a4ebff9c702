import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateApiKey } from './generate-api-key';
import { KeyHasher, type Pepper } from './key-hasher';

const secretV1 = 'pepper-one-'.padEnd(40, 'x');
const secretV2 = Buffer.alloc(32, 7);
const v1: Pepper = { version: 1, secret: secretV1 };
const v2: Pepper = { version: 2, secret: secretV2 };

function hmacHex(secret: string | Buffer, plaintext: string): string {
  return createHmac('sha256', secret).update(plaintext).digest('hex');
}

function errorMessageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('KeyHasher: hashing', () => {
  const plaintext = generateApiKey({ env: 'live' }).plaintext;

  it('produces the HMAC-SHA256 of the key under the pepper, as 64 lowercase hex', () => {
    const hasher = new KeyHasher([v1]);
    const { hash, pepperVersion } = hasher.hash(plaintext);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(hmacHex(secretV1, plaintext));
    expect(pepperVersion).toBe(1);
    expect(hasher.hash(plaintext).hash).toBe(hash);
    expect(new KeyHasher([v1]).hash(plaintext).hash).toBe(hash);
  });

  it('matches Node’s HMAC for any string', () => {
    const hasher = new KeyHasher([v2]);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        expect(hasher.hash(text).hash).toBe(hmacHex(secretV2, text));
      }),
    );
  });

  it('gives the same HMAC as raw bytes for in-memory tables', () => {
    const hasher = new KeyHasher([v1, v2]);
    const binary = hasher.binaryHashWith(2, plaintext);
    expect(binary).toHaveLength(32);
    expect(Buffer.from(binary, 'latin1').toString('hex')).toBe(hasher.hashWith(2, plaintext).hash);
    expect(() => hasher.binaryHashWith(3, plaintext)).toThrow('pepper version 3 is not configured');
  });

  it('hashes new keys with the highest version, whatever the configuration order', () => {
    const v3: Pepper = { version: 3, secret: 'c'.repeat(32) };
    const hasher = new KeyHasher([v1, v3, v2]);
    expect(hasher.currentVersion).toBe(3);
    expect(hasher.versions).toEqual([3, 2, 1]);
    expect(hasher.hash(plaintext)).toEqual({
      hash: hmacHex(v3.secret, plaintext),
      pepperVersion: 3,
    });
  });

  it('hashes with a chosen version and with all of them, newest first', () => {
    const hasher = new KeyHasher([v1, v2]);
    expect(hasher.hashWith(1, plaintext)).toEqual({
      hash: hmacHex(secretV1, plaintext),
      pepperVersion: 1,
    });
    expect(hasher.hashAll(plaintext)).toEqual([
      { hash: hmacHex(secretV2, plaintext), pepperVersion: 2 },
      { hash: hmacHex(secretV1, plaintext), pepperVersion: 1 },
    ]);
  });

  it('gives different keys and different peppers different hashes', () => {
    const other = generateApiKey({ env: 'live' }).plaintext;
    const hasher = new KeyHasher([v1, v2]);
    expect(hasher.hash(other).hash).not.toBe(hasher.hash(plaintext).hash);
    expect(hasher.hashWith(1, plaintext).hash).not.toBe(hasher.hashWith(2, plaintext).hash);
  });
});

describe('KeyHasher: verify', () => {
  const plaintext = generateApiKey({ env: 'test' }).plaintext;
  const hasher = new KeyHasher([v1, v2]);
  const stored = hasher.hash(plaintext);

  it('accepts the key a hash was made from', () => {
    expect(hasher.verify(plaintext, stored.hash, stored.pepperVersion)).toBe(true);
  });

  it('rejects another key, or the right hash under the wrong version', () => {
    const other = generateApiKey({ env: 'test' }).plaintext;
    expect(hasher.verify(other, stored.hash, stored.pepperVersion)).toBe(false);
    expect(hasher.verify(plaintext, stored.hash, 1)).toBe(false);
    expect(hasher.verify(plaintext.slice(0, -1), stored.hash, stored.pepperVersion)).toBe(false);
  });

  it.each([
    ['an unknown version', stored.hash, 9],
    ['a non-integer version', stored.hash, 1.5],
    ['a truncated hash', stored.hash.slice(0, 62), 2],
    ['a hash with an extra byte', `${stored.hash}00`, 2],
    ['a hash with a non-hex character', `${stored.hash.slice(0, 63)}g`, 2],
    ['an empty hash', '', 2],
  ])('returns false, without throwing, for %s', (_label, hash, version) => {
    expect(hasher.verify(plaintext, hash, version)).toBe(false);
  });

  it('returns false for a plaintext that is not a string', () => {
    expect(hasher.verify(undefined as unknown as string, stored.hash, 2)).toBe(false);
  });

  it('verifies exactly the keys it hashed', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const { hash, pepperVersion } = hasher.hash(a);
        expect(hasher.verify(b, hash, pepperVersion)).toBe(a === b);
      }),
    );
  });
});

describe('KeyHasher: rotation', () => {
  it('keeps verifying keys hashed under v1 after v2 is added', () => {
    const plaintext = generateApiKey({ env: 'live' }).plaintext;
    const before = new KeyHasher([v1]).hash(plaintext);
    const after = new KeyHasher([v1, v2]);
    expect(before.pepperVersion).toBe(1);
    expect(after.verify(plaintext, before.hash, before.pepperVersion)).toBe(true);
    expect(after.hashAll(plaintext).map((h) => h.hash)).toContain(before.hash);
    expect(after.hash(plaintext).pepperVersion).toBe(2);
  });

  it('stops verifying v1 hashes once v1 is retired', () => {
    const plaintext = generateApiKey({ env: 'live' }).plaintext;
    const before = new KeyHasher([v1]).hash(plaintext);
    expect(new KeyHasher([v2]).verify(plaintext, before.hash, 1)).toBe(false);
  });
});

describe('KeyHasher: configuration errors', () => {
  it.each<[string, Pepper[], RegExp]>([
    ['no pepper', [], /at least one pepper/],
    ['version 0', [{ version: 0, secret: secretV1 }], /positive integers/],
    ['a negative version', [{ version: -1, secret: secretV1 }], /positive integers/],
    ['a fractional version', [{ version: 1.5, secret: secretV1 }], /positive integers/],
    ['a NaN version', [{ version: Number.NaN, secret: secretV1 }], /positive integers/],
    ['a duplicate version', [v1, { version: 1, secret: secretV2 }], /configured twice/],
    ['a 31-byte Buffer', [{ version: 1, secret: Buffer.alloc(31) }], /31 bytes; at least 32/],
    ['a 31-character string', [{ version: 1, secret: 'x'.repeat(31) }], /at least 32/],
    ['10 euro signs (30 UTF-8 bytes)', [{ version: 1, secret: '€'.repeat(10) }], /30 bytes/],
    ['a secret of the wrong type', [{ version: 1, secret: 42 as unknown as string }], /Buffer/],
  ])('rejects %s', (_label, peppers, message) => {
    expect(() => new KeyHasher(peppers)).toThrow(message);
  });

  it('counts string secrets in UTF-8 bytes', () => {
    expect(() => new KeyHasher([{ version: 1, secret: '€'.repeat(11) }])).not.toThrow();
  });

  it('keeps the secret out of error messages and inspection', () => {
    const secret = generateApiKey({ env: 'live' }).plaintext.slice(0, 31);
    expect(errorMessageOf(() => new KeyHasher([{ version: 1, secret }]))).not.toContain(secret);
    const hasher = new KeyHasher([{ version: 1, secret: `${secret}-long-enough` }]);
    expect(inspect(hasher, { depth: 10, showHidden: true })).not.toContain(secret);
    expect(JSON.stringify(hasher)).not.toContain(secret);
  });

  it('keeps the key out of error messages', () => {
    const plaintext = generateApiKey({ env: 'live' }).plaintext;
    const hasher = new KeyHasher([v1]);
    const messages = [
      errorMessageOf(() => hasher.hashWith(7, plaintext)),
      errorMessageOf(() => hasher.hash({ key: plaintext } as unknown as string)),
      errorMessageOf(() => hasher.hashAll([plaintext] as unknown as string)),
      errorMessageOf(() => new KeyHasher([{ version: 1, secret: plaintext.slice(0, 20) }])),
    ];
    for (const message of messages) {
      expect(message).not.toContain(plaintext);
      expect(message).not.toContain(plaintext.slice(8));
    }
  });
});

describe('KeyHasher: signatures', () => {
  it('verifies its own signature under the pepper it names, after rotation too', () => {
    const before = new KeyHasher([v1]).sign('snapshot', 'digest');
    expect(before.pepperVersion).toBe(1);
    const rotated = new KeyHasher([v1, v2]);
    expect(rotated.verifySignature('snapshot', 'digest', before.signature, 1)).toBe(true);
    expect(rotated.sign('snapshot', 'digest').pepperVersion).toBe(2);
  });

  it('refuses another text, purpose, pepper, version or a malformed signature', () => {
    const hasher = new KeyHasher([v1]);
    const { signature } = hasher.sign('snapshot', 'digest');
    expect(hasher.verifySignature('snapshot', 'digest2', signature, 1)).toBe(false);
    expect(hasher.verifySignature('other', 'digest', signature, 1)).toBe(false);
    expect(hasher.verifySignature('snapshot', 'digest', signature, 2)).toBe(false);
    const otherPepper = new KeyHasher([{ version: 1, secret: 'another-pepper-'.padEnd(40, 'y') }]);
    expect(otherPepper.verifySignature('snapshot', 'digest', signature, 1)).toBe(false);
    for (const bad of ['', 'zz', signature.slice(2), `${signature}00`])
      expect(hasher.verifySignature('snapshot', 'digest', bad, 1)).toBe(false);
  });

  it('never equals the hash of a key with the same text', () => {
    const hasher = new KeyHasher([v1]);
    const text = 'snapshot';
    expect(hasher.sign('x', text).signature).not.toBe(hasher.hash(text).hash);
    expect(hasher.sign('x', text).signature).not.toBe(hmacHex(secretV1, `x\0${text}`));
  });
});
