import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '@tollgate/postgres';
import type { Principal } from '../application/admin-tokens';
import type { Role } from '../application/permissions';
import {
  deleteConsoleSession,
  deleteExpiredConsoleSessions,
  findConsoleSession,
  insertConsoleSession,
  touchConsoleSession,
} from '../persistence/console-session-store';

export interface ConsoleSessionSettings {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, used or not. */
  absoluteMs: number;
  now: () => number;
}

export interface ActiveSession {
  principal: Principal;
  idleExpiresAt: number;
  expiresAt: number;
}

/** 256 bits of CSPRNG, base64url: the only thing the cookie holds. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** Idle expiry moves on at most this often, so a busy page does not write on every call. */
const TOUCH_EVERY_MS = 15_000;

const hashOf = (sessionId: string) => createHash('sha256').update(sessionId).digest();

/**
 * Console sessions in admin-api's Postgres schema, next to the admin tokens they stand for: a
 * token session is read with its token on every request (one join), so revoking or expiring the
 * token ends the session at once, and the session's role and scope are always the token's own.
 * Only the SHA-256 of the session id is stored. The CSRF token is an HMAC of the session id, so
 * the page can ask for it again after a reload and nothing stored reveals it.
 */
export class ConsoleSessions {
  constructor(
    private readonly db: Database,
    private readonly settings: ConsoleSessionSettings,
  ) {}

  /** Starts a session for a verified principal; `notAfter` caps it (an OIDC token's expiry). */
  async create(
    principal: Principal,
    notAfter?: number,
  ): Promise<ActiveSession & { sessionId: string; csrfToken: string }> {
    const now = this.settings.now();
    const sessionId = randomBytes(32).toString('base64url');
    const expiresAt = Math.min(now + this.settings.absoluteMs, notAfter ?? Infinity);
    const idleExpiresAt = Math.min(now + this.settings.idleMs, expiresAt);
    await deleteExpiredConsoleSessions(this.db.sql, new Date(now));
    await insertConsoleSession(this.db.sql, hashOf(sessionId), {
      actor: principal.actor,
      via: principal.via,
      token_id: principal.tokenId,
      name: principal.name,
      role: principal.role,
      account_id: principal.accountId,
      created_at: new Date(now),
      last_seen_at: new Date(now),
      idle_expires_at: new Date(idleExpiresAt),
      expires_at: new Date(expiresAt),
    });
    return {
      sessionId,
      csrfToken: this.csrfTokenFor(sessionId),
      principal,
      idleExpiresAt,
      expiresAt,
    };
  }

  /** The session's principal, or undefined: unknown, signed out, idle or past its end, or its token revoked or expired. */
  async resolve(sessionId: string): Promise<ActiveSession | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    const hash = hashOf(sessionId);
    const row = await findConsoleSession(this.db.sql, hash);
    if (!row) return undefined;
    const now = this.settings.now();
    const ended =
      new Date(row.expires_at).getTime() <= now || new Date(row.idle_expires_at).getTime() <= now;
    const tokenGone =
      row.via === 'admin_token' &&
      (row.token_revoked_at !== null ||
        row.token_role === null ||
        (row.token_expires_at !== null && new Date(row.token_expires_at).getTime() <= now));
    if (ended || tokenGone) {
      await deleteConsoleSession(this.db.sql, hash);
      return undefined;
    }
    let idleExpiresAt = new Date(row.idle_expires_at).getTime();
    if (now - new Date(row.last_seen_at).getTime() >= TOUCH_EVERY_MS) {
      idleExpiresAt = Math.min(now + this.settings.idleMs, new Date(row.expires_at).getTime());
      await touchConsoleSession(this.db.sql, hash, new Date(now), new Date(idleExpiresAt));
    }
    const fromToken = row.via === 'admin_token';
    return {
      principal: {
        actor: row.actor,
        via: row.via,
        tokenId: row.token_id,
        name: fromToken ? (row.token_name ?? row.name) : row.name,
        role: (fromToken ? row.token_role : row.role) as Role,
        accountId: fromToken ? row.token_account_id : row.account_id,
      },
      idleExpiresAt,
      expiresAt: new Date(row.expires_at).getTime(),
    };
  }

  async end(sessionId: string): Promise<void> {
    if (SESSION_ID.test(sessionId)) await deleteConsoleSession(this.db.sql, hashOf(sessionId));
  }

  csrfTokenFor(sessionId: string): string {
    return createHmac('sha256', sessionId).update('tollgate-console-csrf').digest('base64url');
  }

  csrfMatches(sessionId: string, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(this.csrfTokenFor(sessionId));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
