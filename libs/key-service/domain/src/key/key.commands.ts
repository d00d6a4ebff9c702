import type { CommandMetadata } from '../shared/command-metadata';
import type { KeyEnv } from './key.events';

export interface IssueKey {
  type: 'IssueKey';
  data: {
    keyId: string;
    accountId: string;
    keyHash: string;
    pepperVersion: number;
    displayHint: string;
    env: KeyEnv;
    scopes: string[];
    metadata: Record<string, string>;
    expiresAt: number | null;
    rotatedFromKeyId: string | null;
  };
  metadata: CommandMetadata;
}

export interface RevokeKey {
  type: 'RevokeKey';
  data: {
    keyId: string;
    reason: string;
    /** Omitted: effective immediately. In the future: a grace period (rotation). */
    effectiveAt?: number;
    replacedByKeyId?: string;
  };
  metadata: CommandMetadata;
}

export interface UpdateKey {
  type: 'UpdateKey';
  data: {
    keyId: string;
    scopes?: string[];
    metadata?: Record<string, string>;
    /** null removes the expiry. */
    expiresAt?: number | null;
  };
  metadata: CommandMetadata;
}

export type KeyCommand = IssueKey | RevokeKey | UpdateKey;
