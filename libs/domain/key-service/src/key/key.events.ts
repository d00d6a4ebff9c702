export type KeyEnv = 'live' | 'test';

export interface KeyIssued {
  type: 'KeyIssued';
  data: {
    keyId: string;
    accountId: string;
    /** HMAC-SHA256(pepper, plaintext) hex; the plaintext never reaches the domain. */
    keyHash: string;
    pepperVersion: number;
    displayHint: string;
    /** A human name ("billing worker"); absent in events recorded before keys had names. */
    name?: string | null;
    env: KeyEnv;
    scopes: string[];
    metadata: Record<string, string>;
    expiresAt: number | null;
    rotatedFromKeyId: string | null;
    issuedAt: number;
  };
}

export interface KeyRevoked {
  type: 'KeyRevoked';
  data: {
    keyId: string;
    reason: string;
    /** The key stops verifying at this time; later than revokedAt during a rotation grace period. */
    effectiveAt: number;
    revokedAt: number;
    replacedByKeyId: string | null;
  };
}

export interface KeyUpdated {
  type: 'KeyUpdated';
  data: {
    keyId: string;
    /** The key's name after the update (absent in events recorded before keys had names). */
    name?: string | null;
    scopes: string[];
    metadata: Record<string, string>;
    expiresAt: number | null;
    updatedAt: number;
  };
}

export type KeyEvent = KeyIssued | KeyRevoked | KeyUpdated;
