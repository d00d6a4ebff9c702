import type { KeyIssued } from './key.events';

type KeyFacts = Omit<KeyIssued['data'], 'issuedAt'> & { issuedAt: number };

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
