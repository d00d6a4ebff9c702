import type { KeyHasher } from '@tollgate/api-keys';
import { generateApiKey, parseApiKey } from '@tollgate/api-keys';
import { newId } from '@tollgate/events';
import type { Database } from '@tollgate/postgres';
import { ProblemError } from '@tollgate/service-runtime';
import {
  adminTokensAfter,
  anyActiveOwner,
  findAdminTokenByHash,
  insertAdminToken,
  revokeAdminToken,
  touchAdminToken,
  type AdminTokenRow,
} from '../persistence/admin-token-store';
import type { Role } from './permissions';

/** Admin tokens share the API keys' format and rules with their own prefix, so scanners tell them apart. */
export const ADMIN_TOKEN_PREFIX = 'tgadm';

/** Who is calling: an admin token, or a person signed in through OIDC. */
export interface Principal {
  /** What the audit log and the rate limits know the caller by: `token:<id>` or `oidc:<subject>`. */
  actor: string;
  via: 'admin_token' | 'oidc';
  /** The admin token's id; null for OIDC. */
  tokenId: string | null;
  name: string;
  role: Role;
  /** Set for account-scoped (self-service) tokens. */
  accountId: string | null;
}

export interface NewAdminToken {
  name: string;
  role: Role;
  accountId?: string | null;
  expiresAt?: number | null;
}

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

/** What anyone sees of a token: never its plaintext or hash. */
export function adminTokenView(r: AdminTokenRow) {
  return {
    tokenId: r.token_id,
    name: r.name,
    role: r.role as Role,
    accountId: r.account_id,
    displayHint: r.display_hint,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    revokedAt: iso(r.revoked_at),
    lastUsedAt: iso(r.last_used_at),
  };
}

export class AdminTokens {
  constructor(
    private readonly db: Database,
    private readonly hasher: KeyHasher,
    private readonly now: () => number,
  ) {}

  /** Issues a token; the plaintext is returned here once and never stored. */
  async issue(input: NewAdminToken, createdBy: string) {
    const generated = generateApiKey({ prefix: ADMIN_TOKEN_PREFIX, env: 'live' });
    const { hash, pepperVersion } = this.hasher.hash(generated.plaintext);
    const now = this.now();
    const tokenId = newId('adminToken', now);
    const row = {
      token_id: tokenId,
      name: input.name,
      role: input.role,
      account_id: input.accountId ?? null,
      token_hash: Buffer.from(hash, 'hex'),
      pepper_version: pepperVersion,
      display_hint: generated.displayHint,
      created_by: createdBy,
      created_at: new Date(now),
      expires_at: input.expiresAt ? new Date(input.expiresAt) : null,
    };
    await insertAdminToken(this.db.sql, row);
    return {
      token: adminTokenView({ ...row, revoked_at: null, last_used_at: null }),
      plaintext: generated.plaintext,
    };
  }

  /**
   * The principal a presented token stands for, or undefined: bad shape or checksum (offline,
   * before any lookup), unknown, revoked or expired. Read from the database on every request, so a
   * revocation takes effect at once.
   */
  async verify(presented: string): Promise<Principal | undefined> {
    if (!parseApiKey(presented, { prefix: ADMIN_TOKEN_PREFIX }).ok) return undefined;
    const now = this.now();
    for (const { hash, pepperVersion } of this.hasher.hashAll(presented)) {
      const row = await findAdminTokenByHash(this.db.sql, Buffer.from(hash, 'hex'), pepperVersion);
      if (!row) continue;
      if (row.revoked_at !== null) return undefined;
      if (row.expires_at !== null && new Date(row.expires_at).getTime() <= now) return undefined;
      await touchAdminToken(this.db.sql, row.token_id, new Date(now));
      return {
        actor: `token:${row.token_id}`,
        via: 'admin_token',
        tokenId: row.token_id,
        name: row.name,
        role: row.role as Role,
        accountId: row.account_id,
      };
    }
    return undefined;
  }

  async list(cursor: string | undefined, limit: number) {
    const rows = await adminTokensAfter(this.db.sql, cursor ?? '', limit + 1);
    const items = rows.slice(0, limit);
    return {
      items: items.map(adminTokenView),
      nextCursor: rows.length > limit && items.length > 0 ? items.at(-1)!.token_id : null,
    };
  }

  async revoke(tokenId: string): Promise<void> {
    if (!(await revokeAdminToken(this.db.sql, tokenId, new Date(this.now()))))
      throw new ProblemError(
        'not_found',
        `admin token ${tokenId} does not exist or is already revoked`,
      );
  }

  /** The first owner token of a deployment; refuses when an active owner exists already. */
  async bootstrapOwner(name: string) {
    if (await anyActiveOwner(this.db.sql, new Date(this.now())))
      throw new Error(
        'an owner token exists already: create further tokens through POST /v1/admin-tokens',
      );
    return this.issue({ name, role: 'owner' }, 'bootstrap');
  }
}
