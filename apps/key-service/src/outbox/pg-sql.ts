import type pg from 'pg';
import type { Sql } from '@tollgate/postgres';

/** Our `?`-placeholder Sql on one pinned pg connection (the relay's lock lives on that session). */
export function sqlOnClient(client: pg.Client): Sql {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      let n = 0;
      const result = await client.query(
        text.replace(/\?/g, () => `$${++n}`),
        params as unknown[],
      );
      return result.rows as T[];
    },
  };
}
