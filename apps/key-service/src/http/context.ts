import type { KeyServiceCommands } from '../application/key-service-commands';
import type { KeyServiceQueries } from '../application/key-service-queries';
import type { Database } from '@tollgate/postgres';

/** What the routes need: the write side, the read side, and the database for idempotency records. */
export interface KeyServiceContext {
  commands: KeyServiceCommands;
  queries: KeyServiceQueries;
  db: Database;
}
