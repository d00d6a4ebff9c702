import type { Database } from '@tollgate/postgres';
import type { AdminTokens } from '../application/admin-tokens';
import type { InternalClient } from '../application/internal-client';

/** What the routes need: admin tokens, the internal apps, and the database for the audit log. */
export interface AdminContext {
  tokens: AdminTokens;
  keyService: InternalClient;
  usage: InternalClient;
  billing: InternalClient;
  db: Database;
  /** Epoch-ms clock (the current month of deployment-wide usage views). */
  now: () => number;
}
