import { verify } from 'node:crypto';
import type { GithubSigningKey } from './github-signing-keys';

export type SignatureCheck =
  | { ok: true; keyIdentifier: string }
  | { ok: false; reason: 'signature_missing' | 'unknown_signing_key' | 'signature_invalid' };

/** At most a DER ECDSA P-256 signature (72 bytes) in base64, with room to spare. */
const MAX_SIGNATURE_LENGTH = 200;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Verifies a GitHub secret-scanning alert the way GitHub signs it: the raw request body, ECDSA
 * with SHA-256 under the key named by `Github-Public-Key-Identifier`, the DER signature
 * base64-encoded in `Github-Public-Key-Signature`. The body is checked byte for byte as received,
 * before it is parsed.
 */
export function checkGithubSignature(
  keys: readonly GithubSigningKey[],
  headers: { identifier: unknown; signature: unknown },
  body: Buffer,
): SignatureCheck {
  const { identifier, signature } = headers;
  if (typeof identifier !== 'string' || typeof signature !== 'string' || !identifier || !signature)
    return { ok: false, reason: 'signature_missing' };
  const signingKey = keys.find((k) => k.identifier === identifier);
  if (!signingKey) return { ok: false, reason: 'unknown_signing_key' };
  if (signature.length > MAX_SIGNATURE_LENGTH || !BASE64.test(signature))
    return { ok: false, reason: 'signature_invalid' };
  let valid = false;
  try {
    valid = verify(
      'sha256',
      body,
      { key: signingKey.key, dsaEncoding: 'der' },
      Buffer.from(signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true, keyIdentifier: identifier }
    : { ok: false, reason: 'signature_invalid' };
}
