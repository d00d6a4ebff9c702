import type { PlanDefinition } from '@tollgate/key-service-domain';
import type { Sql } from '@tollgate/postgres';

/** The read-model tables kept by projections.ts: accounts, api_keys, plan_versions. */

export interface AccountRow {
  account_id: string;
  name: string;
  status: string;
  suspension_reason: string | null;
  plan_id: string;
  plan_version: number;
  /** A plan change that takes effect at `scheduled_effective_at` (current until then: plan_id). */
  scheduled_plan_id: string | null;
  scheduled_plan_version: number | null;
  scheduled_effective_at: Date | null;
  created_at: Date;
}

export interface KeyRow {
  key_id: string;
  account_id: string;
  key_hash: string;
  pepper_version: number;
  display_hint: string;
  name: string | null;
  env: 'live' | 'test';
  scopes: string[];
  metadata: Record<string, string>;
  status: string;
  expires_at: Date | null;
  rotated_from_key_id: string | null;
  replaced_by_key_id: string | null;
  revocation_reason: string | null;
  revoked_at: Date | null;
  revocation_effective_at: Date | null;
  issued_at: Date;
}

export type KeyWithAccountRow = KeyRow & {
  account_status: string;
  plan_id: string;
  plan_version: number;
  plan_definition: PlanDefinition;
};

export async function findAccount(sql: Sql, accountId: string): Promise<AccountRow | undefined> {
  const [row] = await sql.query<AccountRow>('select * from accounts where account_id = ?', [
    accountId,
  ]);
  return row;
}

/** Keyset page: up to `limit` accounts with ids after `after`, in id order. */
export function accountsAfter(sql: Sql, after: string, limit: number): Promise<AccountRow[]> {
  return sql.query<AccountRow>(
    'select * from accounts where account_id > ? order by account_id limit ?',
    [after, limit],
  );
}

/** A `LIKE` pattern for names starting with `text`, in which `%`, `_` and the backslash match themselves. */
const prefixPattern = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Keyset page of the accounts `q` finds: a case-insensitive prefix of the name (served by the
 * `lower(name) text_pattern_ops` index), or exactly an account id; in id order after `after`.
 */
export function accountsMatchingAfter(
  sql: Sql,
  q: string,
  after: string,
  limit: number,
): Promise<AccountRow[]> {
  return sql.query<AccountRow>(
    `select * from accounts
      where (lower(name) like lower(?) escape '\\' or account_id = ?) and account_id > ?
      order by account_id limit ?`,
    [prefixPattern(q), q, after, limit],
  );
}

export async function findKey(sql: Sql, keyId: string): Promise<KeyRow | undefined> {
  const [row] = await sql.query<KeyRow>('select * from api_keys where key_id = ?', [keyId]);
  return row;
}

export function keysOfAccountAfter(
  sql: Sql,
  accountId: string,
  after: string,
  limit: number,
): Promise<KeyRow[]> {
  return sql.query<KeyRow>(
    'select * from api_keys where account_id = ? and key_id > ? order by key_id limit ?',
    [accountId, after, limit],
  );
}

/** The id and account of the key with this HMAC, if any. */
export async function findKeyIdByHash(
  sql: Sql,
  keyHash: string,
  pepperVersion: number,
): Promise<{ key_id: string; account_id: string } | undefined> {
  const [row] = await sql.query<{ key_id: string; account_id: string }>(
    'select key_id, account_id from api_keys where key_hash = ? and pepper_version = ?',
    [keyHash, pepperVersion],
  );
  return row;
}

/**
 * A key by its HMAC, with its account's status and the plan version in force at `now` (a
 * scheduled change only once it is due: edge-auth trusts this answer after a restart).
 */
export async function findKeyByHash(
  sql: Sql,
  keyHash: string,
  pepperVersion: number,
  now: Date,
): Promise<KeyWithAccountRow | undefined> {
  const [row] = await sql.query<KeyWithAccountRow>(
    `select k.*, a.status as account_status, e.plan_id, e.plan_version, p.definition as plan_definition
     from api_keys k
     join accounts a using (account_id)
     cross join lateral (
       select case when a.scheduled_effective_at <= ? then a.scheduled_plan_id else a.plan_id end as plan_id,
              case when a.scheduled_effective_at <= ? then a.scheduled_plan_version else a.plan_version end as plan_version
     ) e
     join plan_versions p on p.plan_id = e.plan_id and p.version = e.plan_version
     where k.key_hash = ? and k.pepper_version = ?`,
    [now, now, keyHash, pepperVersion],
  );
  return row;
}

export function latestPlanVersions(
  sql: Sql,
): Promise<Array<{ plan_id: string; version: number; definition: { name: string } }>> {
  return sql.query(
    'select distinct on (plan_id) plan_id, version, definition from plan_versions order by plan_id, version desc',
  );
}

export function planVersions(
  sql: Sql,
  planId: string,
): Promise<Array<{ version: number; definition: unknown; created_at: Date }>> {
  return sql.query(
    'select version, definition, created_at from plan_versions where plan_id = ? order by version',
    [planId],
  );
}

export async function accountsOnOlderPlanVersion(
  sql: Sql,
  planId: string,
  version: number,
): Promise<string[]> {
  const rows = await sql.query<{ account_id: string }>(
    'select account_id from accounts where plan_id = ? and plan_version < ? order by account_id',
    [planId, version],
  );
  return rows.map((r) => r.account_id);
}

export async function allKeyIds(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ key_id: string }>('select key_id from api_keys order by key_id');
  return rows.map((r) => r.key_id);
}

export async function allAccountIds(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ account_id: string }>(
    'select account_id from accounts order by account_id',
  );
  return rows.map((r) => r.account_id);
}
