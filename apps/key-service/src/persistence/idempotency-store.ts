import type { Sql } from '@tollgate/postgres';

export interface IdempotencyRecord {
  request_hash: string;
  /** 0 while the first request is still running. */
  status_code: number;
  response: Record<string, unknown>;
}

/** Stored `Idempotency-Key` outcomes, one row per (scope, key). */
export const idempotencyStore = {
  /** Claims the key for this request; false when a row exists already (replay or reuse). */
  async claim(sql: Sql, scope: string, key: string, requestHash: string): Promise<boolean> {
    const claimed = await sql.query(
      `insert into idempotent_requests (idempotency_key, scope, request_hash, status_code, response)
       values (?, ?, ?, 0, '{}'::jsonb) on conflict do nothing returning idempotency_key`,
      [key, scope, requestHash],
    );
    return claimed.length > 0;
  },

  async find(sql: Sql, scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const [row] = await sql.query<IdempotencyRecord>(
      'select request_hash, status_code, response from idempotent_requests where scope = ? and idempotency_key = ?',
      [scope, key],
    );
    return row;
  },

  async complete(
    sql: Sql,
    scope: string,
    key: string,
    outcome: { status: number; response: Record<string, unknown> },
  ): Promise<void> {
    await sql.query(
      'update idempotent_requests set status_code = ?, response = ?::jsonb where scope = ? and idempotency_key = ?',
      [outcome.status, JSON.stringify(outcome.response), scope, key],
    );
  },

  /** Forgets a claim whose request failed, so the client may retry it. */
  async release(sql: Sql, scope: string, key: string): Promise<void> {
    await sql.query('delete from idempotent_requests where scope = ? and idempotency_key = ?', [
      scope,
      key,
    ]);
  },
};
