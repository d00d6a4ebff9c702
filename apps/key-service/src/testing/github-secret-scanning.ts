import { generateKeyPairSync, sign } from 'node:crypto';

export interface GithubAlertSigner {
  /** What to give key-service: its SECRET_SCANNING_GITHUB_KEYS, listing this signer's public key. */
  env: { SECRET_SCANNING_GITHUB_KEYS: string };
  identifier: string;
  /** Headers and body of an alert exactly as GitHub sends one: ECDSA P-256 over the raw bytes, DER, base64. */
  alert(body: string | object): { headers: Record<string, string>; payload: string };
}

/**
 * Signs secret-scanning alerts the way GitHub does, with a locally generated P-256 key pair; the
 * public half is listed in the same JSON shape GitHub publishes its keys in.
 */
export function githubAlertSigner(identifier = 'tollgate-test-signing-key'): GithubAlertSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    identifier,
    env: {
      SECRET_SCANNING_GITHUB_KEYS: JSON.stringify({
        public_keys: [{ key_identifier: identifier, key, is_current: true }],
      }),
    },
    alert(body) {
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      const signature = sign('sha256', Buffer.from(payload), {
        key: privateKey,
        dsaEncoding: 'der',
      }).toString('base64');
      return {
        payload,
        headers: {
          'content-type': 'application/json',
          'github-public-key-identifier': identifier,
          'github-public-key-signature': signature,
        },
      };
    },
  };
}
