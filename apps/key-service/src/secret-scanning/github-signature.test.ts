import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkGithubSignature } from './github-signature';
import { githubSigningKeys } from './github-signing-keys';

/** The sample alert, signature and key of GitHub's secret scanning partner program documentation. */
const GITHUB_SAMPLE = {
  identifier: '90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a',
  key: [
    '-----BEGIN PUBLIC KEY-----',
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq',
    'kCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==',
    '-----END PUBLIC KEY-----',
  ].join('\n'),
  payload: '[{"token":"some_token","type":"some_type","url":"some_url"}]',
  signature:
    'MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=',
};

const keysOf = (entries: Array<{ key_identifier: string; key: string; is_current?: boolean }>) =>
  githubSigningKeys.parse(JSON.stringify({ public_keys: entries }));

const githubKeys = keysOf([
  { key_identifier: GITHUB_SAMPLE.identifier, key: GITHUB_SAMPLE.key, is_current: true },
]);

describe('checkGithubSignature', () => {
  it("verifies GitHub's own documented sample alert", () => {
    const check = checkGithubSignature(
      githubKeys,
      { identifier: GITHUB_SAMPLE.identifier, signature: GITHUB_SAMPLE.signature },
      Buffer.from(GITHUB_SAMPLE.payload),
    );
    expect(check).toEqual({ ok: true, keyIdentifier: GITHUB_SAMPLE.identifier });
  });

  it('checks the exact bytes: the same JSON with other whitespace does not verify', () => {
    const reformatted = JSON.stringify(JSON.parse(GITHUB_SAMPLE.payload), null, 1);
    const check = checkGithubSignature(
      githubKeys,
      { identifier: GITHUB_SAMPLE.identifier, signature: GITHUB_SAMPLE.signature },
      Buffer.from(reformatted),
    );
    expect(check).toEqual({ ok: false, reason: 'signature_invalid' });
  });

  it.each([
    [{ identifier: undefined, signature: GITHUB_SAMPLE.signature }, 'signature_missing'],
    [{ identifier: GITHUB_SAMPLE.identifier, signature: '' }, 'signature_missing'],
    [{ identifier: ['a', 'b'], signature: GITHUB_SAMPLE.signature }, 'signature_missing'],
    [{ identifier: 'someone-else', signature: GITHUB_SAMPLE.signature }, 'unknown_signing_key'],
    [{ identifier: GITHUB_SAMPLE.identifier, signature: 'not base64!' }, 'signature_invalid'],
    [{ identifier: GITHUB_SAMPLE.identifier, signature: 'AAAA' }, 'signature_invalid'],
    [{ identifier: GITHUB_SAMPLE.identifier, signature: 'A'.repeat(500) }, 'signature_invalid'],
  ])('refuses %j as %s', (headers, reason) => {
    expect(checkGithubSignature(githubKeys, headers, Buffer.from(GITHUB_SAMPLE.payload))).toEqual({
      ok: false,
      reason,
    });
  });

  it('accepts every configured key, current or not, and only for its own identifier', () => {
    const current = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const previous = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = (k: typeof current) =>
      k.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keys = keysOf([
      { key_identifier: 'current', key: pem(current), is_current: true },
      { key_identifier: 'previous', key: pem(previous), is_current: false },
    ]);
    const body = Buffer.from('[{"token":"x","type":"t"}]');
    const signed = (k: typeof current) =>
      sign('sha256', body, { key: k.privateKey, dsaEncoding: 'der' }).toString('base64');
    expect(
      checkGithubSignature(keys, { identifier: 'previous', signature: signed(previous) }, body),
    ).toMatchObject({ ok: true });
    expect(
      checkGithubSignature(keys, { identifier: 'current', signature: signed(previous) }, body),
    ).toEqual({ ok: false, reason: 'signature_invalid' });
  });
});

describe('SECRET_SCANNING_GITHUB_KEYS', () => {
  it('reads GitHub’s public_keys document or just its array', () => {
    const entry = { key_identifier: 'k1', key: GITHUB_SAMPLE.key };
    expect(githubSigningKeys.parse(JSON.stringify([entry]))).toHaveLength(1);
    expect(githubSigningKeys.parse(JSON.stringify({ public_keys: [entry] }))[0]).toMatchObject({
      identifier: 'k1',
    });
  });

  it.each([
    ['not JSON', 'nope'],
    ['no keys', JSON.stringify({ public_keys: [] })],
    ['a key that is not PEM', JSON.stringify([{ key_identifier: 'k', key: 'abc' }])],
    [
      'an RSA key',
      JSON.stringify([
        {
          key_identifier: 'k',
          key: generateKeyPairSync('rsa', { modulusLength: 1024 })
            .publicKey.export({ type: 'spki', format: 'pem' })
            .toString(),
        },
      ]),
    ],
    [
      'a P-384 key',
      JSON.stringify([
        {
          key_identifier: 'k',
          key: generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
            .publicKey.export({ type: 'spki', format: 'pem' })
            .toString(),
        },
      ]),
    ],
  ])('refuses %s', (_case, value) => {
    expect(githubSigningKeys.safeParse(value).success).toBe(false);
  });
});
