import type { CommandMetadata } from '../common/command-metadata';
import type { KeyIssued } from './key.events';

export interface IssueKey {
  type: 'IssueKey';
  /** Everything the issued key will carry except its issue time, which is the command's `now`. */
  data: Omit<KeyIssued['data'], 'issuedAt'>;
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
    /** null removes the name. */
    name?: string | null;
    scopes?: string[];
    metadata?: Record<string, string>;
    /** null removes the expiry. */
    expiresAt?: number | null;
  };
  metadata: CommandMetadata;
}

export type KeyCommand = IssueKey | RevokeKey | UpdateKey;
