import type { Sql } from '@tollgate/postgres';

export interface AdminTokenRow {
  token_id: string;
  name: string;
  role: string;
  account_id: string | null;
  display_hint: string;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS =
  'token_id, name, role, account_id, display_hint, created_by, created_at, expires_at, revoked_at, last_used_at';

export async function insertAdminToken(
  sql: Sql,
  row: Omit<AdminTokenRow, 'revoked_at' | 'last_used_at'> & {
    token_hash: Buffer;
    pepper_version: number;
  },
): Promise<void> {
  await sql.query(
    `insert into admin_tokens (token_id, name, role, account_id, token_hash, pepper_version, display_hint, created_by, created_at, expires_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.token_id,
      row.name,
      row.role,
      row.account_id,
      row.token_hash,
      row.pepper_version,
      row.display_hint,
      row.created_by,
      row.created_at,
      row.expires_at,
    ],
  );
}

/** The token with this HMAC, if any (the lookup is by hash: no plaintext ever reaches the database). */
export async function findAdminTokenByHash(
  sql: Sql,
  hash: Buffer,
  pepperVersion: number,
): Promise<AdminTokenRow | undefined> {
  const [row] = await sql.query<AdminTokenRow>(
    `select ${COLUMNS} from admin_tokens where token_hash = ? and pepper_version = ?`,
    [hash, pepperVersion],
  );
  return row;
}

export async function findAdminToken(
  sql: Sql,
  tokenId: string,
): Promise<AdminTokenRow | undefined> {
  const [row] = await sql.query<AdminTokenRow>(
    `select ${COLUMNS} from admin_tokens where token_id = ?`,
    [tokenId],
  );
  return row;
}

export function adminTokensAfter(sql: Sql, after: string, limit: number): Promise<AdminTokenRow[]> {
  return sql.query<AdminTokenRow>(
    `select ${COLUMNS} from admin_tokens where token_id > ? order by token_id limit ?`,
    [after, limit],
  );
}

/** Revokes once; false when the token does not exist or was already revoked. */
export async function revokeAdminToken(sql: Sql, tokenId: string, at: Date): Promise<boolean> {
  const rows = await sql.query(
    'update admin_tokens set revoked_at = ? where token_id = ? and revoked_at is null returning token_id',
    [at, tokenId],
  );
  return rows.length > 0;
}

/** Records use at most once a minute per token, so busy tokens do not write on every request. */
export async function touchAdminToken(sql: Sql, tokenId: string, at: Date): Promise<void> {
  await sql.query(
    `update admin_tokens set last_used_at = ? where token_id = ?
       and (last_used_at is null or last_used_at < ?::timestamptz - interval '1 minute')`,
    [at, tokenId, at],
  );
}

export async function anyActiveOwner(sql: Sql, at: Date): Promise<boolean> {
  const rows = await sql.query(
    `select 1 from admin_tokens where role = 'owner' and account_id is null and revoked_at is null
       and (expires_at is null or expires_at > ?) limit 1`,
    [at],
  );
  return rows.length > 0;
}
