import type { Sql } from '@tollgate/postgres';
import type { PlanDefinition } from '@tollgate/key-service-domain';
import { planSnapshot } from '../outbox/integration-events';

export const MAX_PAGE_SIZE = 100;

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

const iso = (value: Date | string | null) =>
  value === null ? null : new Date(value).toISOString();
const ms = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());

interface AccountRow {
  account_id: string;
  name: string;
  status: string;
  suspension_reason: string | null;
  plan_id: string;
  plan_version: number;
  created_at: Date;
}

interface KeyRow {
  key_id: string;
  account_id: string;
  key_hash: string;
  pepper_version: number;
  display_hint: string;
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

function accountView(r: AccountRow) {
  return {
    accountId: r.account_id,
    name: r.name,
    status: r.status,
    suspensionReason: r.suspension_reason,
    plan: { planId: r.plan_id, planVersion: r.plan_version },
    createdAt: iso(r.created_at),
  };
}

/** What operators see of a key: never the plaintext, never the hash. */
function keyView(r: KeyRow) {
  return {
    keyId: r.key_id,
    accountId: r.account_id,
    displayHint: r.display_hint,
    env: r.env,
    scopes: r.scopes,
    metadata: r.metadata,
    status: r.status,
    expiresAt: iso(r.expires_at),
    rotatedFromKeyId: r.rotated_from_key_id,
    replacedByKeyId: r.replaced_by_key_id,
    revocation:
      r.revoked_at === null
        ? null
        : {
            reason: r.revocation_reason,
            revokedAt: iso(r.revoked_at),
            effectiveAt: iso(r.revocation_effective_at),
          },
    issuedAt: iso(r.issued_at),
  };
}

export type AccountView = ReturnType<typeof accountView>;
export type KeyView = ReturnType<typeof keyView>;

function page<T, R>(
  rows: R[],
  limit: number,
  view: (r: R) => T,
  cursorOf: (r: R) => string,
): Page<T> {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  return {
    items: items.map(view),
    nextCursor: more && items.length > 0 ? cursorOf(items.at(-1)!) : null,
  };
}

/** The read side: projections only, keyset pagination by id (ids are ULIDs, so time-ordered). */
export class KeyServiceQueries {
  constructor(private readonly sql: Sql) {}

  async getAccount(accountId: string): Promise<AccountView | undefined> {
    const [row] = await this.sql.query<AccountRow>('select * from accounts where account_id = ?', [
      accountId,
    ]);
    return row && accountView(row);
  }

  async listAccounts(cursor: string | undefined, limit: number): Promise<Page<AccountView>> {
    const rows = await this.sql.query<AccountRow>(
      'select * from accounts where account_id > ? order by account_id limit ?',
      [cursor ?? '', limit + 1],
    );
    return page(rows, limit, accountView, (r) => r.account_id);
  }

  async getKey(keyId: string): Promise<KeyView | undefined> {
    const [row] = await this.sql.query<KeyRow>('select * from api_keys where key_id = ?', [keyId]);
    return row && keyView(row);
  }

  async listKeys(
    accountId: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<KeyView>> {
    const rows = await this.sql.query<KeyRow>(
      'select * from api_keys where account_id = ? and key_id > ? order by key_id limit ?',
      [accountId, cursor ?? '', limit + 1],
    );
    return page(rows, limit, keyView, (r) => r.key_id);
  }

  async listPlans() {
    const rows = await this.sql.query<{
      plan_id: string;
      version: number;
      definition: { name: string };
    }>(
      `select distinct on (plan_id) plan_id, version, definition from plan_versions order by plan_id, version desc`,
    );
    return rows.map((r) => ({
      planId: r.plan_id,
      latestVersion: r.version,
      name: r.definition.name,
    }));
  }

  async getPlan(planId: string) {
    const rows = await this.sql.query<{ version: number; definition: unknown; created_at: Date }>(
      'select version, definition, created_at from plan_versions where plan_id = ? order by version',
      [planId],
    );
    if (rows.length === 0) return undefined;
    return {
      planId,
      versions: rows.map((r) => ({
        version: r.version,
        definition: r.definition,
        createdAt: iso(r.created_at),
      })),
    };
  }

  /**
   * edge-auth's cache-miss lookup: the same key state the events carry (hash included, it is what
   * was asked for), plus revocation and the account's status.
   */
  async lookupByHash(keyHash: string, pepperVersion: number) {
    const [row] = await this.sql.query<
      KeyRow & {
        account_status: string;
        plan_id: string;
        plan_version: number;
        plan_definition: PlanDefinition;
      }
    >(
      `select k.*, a.status as account_status, a.plan_id, a.plan_version, p.definition as plan_definition
       from api_keys k
       join accounts a using (account_id)
       join plan_versions p on p.plan_id = a.plan_id and p.version = a.plan_version
       where k.key_hash = ? and k.pepper_version = ?`,
      [keyHash, pepperVersion],
    );
    if (!row) return undefined;
    return {
      key: {
        keyId: row.key_id,
        accountId: row.account_id,
        keyHash: row.key_hash,
        pepperVersion: row.pepper_version,
        displayHint: row.display_hint,
        env: row.env,
        scopes: row.scopes,
        issuedAt: ms(row.issued_at),
        expiresAt: ms(row.expires_at),
        rotatedFromKeyId: row.rotated_from_key_id,
        metadata: row.metadata,
      },
      revocation:
        row.revoked_at === null
          ? null
          : { reason: row.revocation_reason, effectiveAt: ms(row.revocation_effective_at) },
      accountStatus: row.account_status,
      plan: planSnapshot(row.plan_id, row.plan_version, row.plan_definition),
    };
  }
}
