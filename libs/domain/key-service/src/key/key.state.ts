import type { KeyIssued } from './key.events';

type KeyFacts = KeyIssued['data'];

export type KeyState =
  | { status: 'none' }
  | ({ status: 'active' } & KeyFacts)
  | ({
      status: 'revoked';
      revokedAt: number;
      effectiveAt: number;
      reason: string;
      replacedByKeyId: string | null;
    } & KeyFacts);

export const initialKeyState = (): KeyState => ({ status: 'none' });
