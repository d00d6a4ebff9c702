import type { Sql } from '@tollgate/postgres';

export interface ConsoleSessionRow {
  actor: string;
  via: 'admin_token' | 'oidc';
  token_id: string | null;
  name: string;
  role: string;
  account_id: string | null;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  expires_at: Date;
}

/** A session with its token's current state (null columns for OIDC sessions). */
export interface ResolvedSessionRow extends ConsoleSessionRow {
  token_name: string | null;
  token_role: string | null;
  token_account_id: string | null;
  token_revoked_at: Date | null;
  token_expires_at: Date | null;
}

export async function insertConsoleSession(
  sql: Sql,
  hash: Buffer,
  row: ConsoleSessionRow,
): Promise<void> {
  await sql.query(
    `insert into console_sessions (session_hash, actor, via, token_id, name, role, account_id, created_at,
       last_seen_at, idle_expires_at, expires_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      hash,
      row.actor,
      row.via,
      row.token_id,
      row.name,
      row.role,
      row.account_id,
      row.created_at,
      row.last_seen_at,
      row.idle_expires_at,
      row.expires_at,
    ],
  );
}

/** The session and, for a token session, its token as it is now (revocation is seen at once). */
export async function findConsoleSession(
  sql: Sql,
  hash: Buffer,
): Promise<ResolvedSessionRow | undefined> {
  const [row] = await sql.query<ResolvedSessionRow>(
    `select s.actor, s.via, s.token_id, s.name, s.role, s.account_id, s.created_at, s.last_seen_at,
       s.idle_expires_at, s.expires_at, t.name as token_name, t.role as token_role,
       t.account_id as token_account_id, t.revoked_at as token_revoked_at, t.expires_at as token_expires_at
     from console_sessions s left join admin_tokens t on t.token_id = s.token_id
     where s.session_hash = ?`,
    [hash],
  );
  return row;
}

/** Moves the idle expiry on (never past the absolute one). */
export async function touchConsoleSession(
  sql: Sql,
  hash: Buffer,
  at: Date,
  idleExpiresAt: Date,
): Promise<void> {
  await sql.query(
    `update console_sessions set last_seen_at = ?, idle_expires_at = least(?::timestamptz, expires_at)
     where session_hash = ?`,
    [at, idleExpiresAt, hash],
  );
}

export async function deleteConsoleSession(sql: Sql, hash: Buffer): Promise<boolean> {
  const rows = await sql.query(
    'delete from console_sessions where session_hash = ? returning actor',
    [hash],
  );
  return rows.length > 0;
}

/** Removes sessions that can no longer be used (run now and then, at sign-in). */
export async function deleteExpiredConsoleSessions(sql: Sql, at: Date): Promise<void> {
  await sql.query('delete from console_sessions where expires_at <= ? or idle_expires_at <= ?', [
    at,
    at,
  ]);
}
