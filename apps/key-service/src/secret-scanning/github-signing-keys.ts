import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/** One of GitHub's secret-scanning signing keys: its identifier and the P-256 public key. */
export interface GithubSigningKey {
  identifier: string;
  key: KeyObject;
}

const publicKeyEntry = z.object({
  key_identifier: z.string().min(1).max(200),
  key: z.string().min(1).max(10_000),
  is_current: z.boolean().optional(),
});

const document = z.union([
  z.object({ public_keys: z.array(publicKeyEntry).min(1) }),
  z.array(publicKeyEntry).min(1),
]);

/**
 * `SECRET_SCANNING_GITHUB_KEYS`: GitHub's signing keys for secret-scanning alerts, as GitHub
 * publishes them at https://api.github.com/meta/public_keys/secret_scanning (the whole JSON
 * document, or just its `public_keys` array). Every listed key verifies, current or not, so a
 * deployment keeps accepting alerts while GitHub rotates. Each must be an ECDSA P-256 public key
 * in PEM form: GitHub signs with ECDSA over SHA-256.
 */
export const githubSigningKeys = z.string().transform((value, ctx): GithubSigningKey[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: "must be JSON: GitHub's public_keys document" });
    return z.NEVER;
  }
  const result = document.safeParse(parsed);
  if (!result.success) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be {"public_keys":[{"key_identifier","key"}…]} or that array',
    });
    return z.NEVER;
  }
  const entries = Array.isArray(result.data) ? result.data : result.data.public_keys;
  const keys: GithubSigningKey[] = [];
  for (const entry of entries) {
    let key: KeyObject;
    try {
      key = createPublicKey(entry.key);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `key ${entry.key_identifier} is not a PEM public key`,
      });
      return z.NEVER;
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      ctx.addIssue({
        code: 'custom',
        message: `key ${entry.key_identifier} must be an ECDSA P-256 key`,
      });
      return z.NEVER;
    }
    keys.push({ identifier: entry.key_identifier, key });
  }
  return keys;
});
