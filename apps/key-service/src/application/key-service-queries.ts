import type { Sql } from '@tollgate/postgres';
import { planSnapshot } from '../outbox/integration-events';
import {
  accountsAfter,
  accountsMatchingAfter,
  findAccount,
  findKey,
  findKeyByHash,
  keysOfAccountAfter,
  latestPlanVersions,
  planVersions,
  type AccountRow,
  type KeyRow,
} from '../persistence/read-model';

export const MAX_PAGE_SIZE = 100;
/** The longest account search (`q`): names are at most 200 characters, ids 31. */
export const MAX_ACCOUNT_SEARCH_LENGTH = 100;

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

const iso = (value: Date | string | null) =>
  value === null ? null : new Date(value).toISOString();
const ms = (value: Date | string | null) => (value === null ? null : new Date(value).getTime());

/** An account at `now`: its plan in force, and a plan change still to come (null if none). */
function accountView(r: AccountRow, now: number) {
  const scheduledAt = ms(r.scheduled_effective_at);
  const due = scheduledAt !== null && scheduledAt <= now;
  const scheduled =
    r.scheduled_plan_id !== null && r.scheduled_plan_version !== null ? r.scheduled_plan_id : null;
  return {
    accountId: r.account_id,
    name: r.name,
    status: r.status,
    suspensionReason: r.suspension_reason,
    plan:
      due && scheduled !== null
        ? { planId: scheduled, planVersion: r.scheduled_plan_version ?? 0 }
        : { planId: r.plan_id, planVersion: r.plan_version },
    scheduledPlanChange:
      !due && scheduled !== null
        ? {
            planId: scheduled,
            planVersion: r.scheduled_plan_version ?? 0,
            effectiveAt: iso(r.scheduled_effective_at),
          }
        : null,
    createdAt: iso(r.created_at),
  };
}

/**
 * A key's status at `now`, as edge-auth decides it: `revoked` from the revocation's effectiveAt,
 * else `expired` from expiresAt, else `rotating` while a rotation's grace period runs (revoked,
 * effective later: it still verifies), else `active`.
 */
export type KeyStatus = 'active' | 'rotating' | 'expired' | 'revoked';

function keyStatusAt(r: KeyRow, now: number): { status: KeyStatus; stopsWorkingAt: number | null } {
  const revokedFrom = ms(r.revocation_effective_at);
  const expiresAt = ms(r.expires_at);
  const ends = [revokedFrom, expiresAt].filter((t): t is number => t !== null);
  const stopsWorkingAt = ends.length > 0 ? Math.min(...ends) : null;
  const status: KeyStatus =
    revokedFrom !== null && revokedFrom <= now
      ? 'revoked'
      : expiresAt !== null && expiresAt <= now
        ? 'expired'
        : revokedFrom !== null
          ? 'rotating'
          : 'active';
  return { status, stopsWorkingAt };
}

/** What operators see of a key at `now`: never the plaintext, never the hash. */
function keyView(r: KeyRow, now: number) {
  const { status, stopsWorkingAt } = keyStatusAt(r, now);
  return {
    keyId: r.key_id,
    accountId: r.account_id,
    name: r.name,
    displayHint: r.display_hint,
    env: r.env,
    scopes: r.scopes,
    metadata: r.metadata,
    status,
    /** When the key stops (or stopped) verifying: its expiry or revocation, whichever comes first. */
    stopsWorkingAt: stopsWorkingAt === null ? null : new Date(stopsWorkingAt).toISOString(),
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
  constructor(
    private readonly sql: Sql,
    /** Epoch-ms clock: a key's status (expired, rotating) depends on the time it is read at. */
    private readonly now: () => number = Date.now,
  ) {}

  async getAccount(accountId: string): Promise<AccountView | undefined> {
    const row = await findAccount(this.sql, accountId);
    return row && accountView(row, this.now());
  }

  /** `q` (optional): a case-insensitive prefix of the name, or exactly an account id. */
  async listAccounts(
    cursor: string | undefined,
    limit: number,
    q?: string,
  ): Promise<Page<AccountView>> {
    const rows = q
      ? await accountsMatchingAfter(this.sql, q, cursor ?? '', limit + 1)
      : await accountsAfter(this.sql, cursor ?? '', limit + 1);
    const now = this.now();
    return page(
      rows,
      limit,
      (r) => accountView(r, now),
      (r) => r.account_id,
    );
  }

  async getKey(keyId: string): Promise<KeyView | undefined> {
    const row = await findKey(this.sql, keyId);
    return row && keyView(row, this.now());
  }

  async listKeys(
    accountId: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<KeyView>> {
    const rows = await keysOfAccountAfter(this.sql, accountId, cursor ?? '', limit + 1);
    const now = this.now();
    return page(
      rows,
      limit,
      (r) => keyView(r, now),
      (r) => r.key_id,
    );
  }

  async listPlans() {
    const rows = await latestPlanVersions(this.sql);
    return rows.map((r) => ({
      planId: r.plan_id,
      latestVersion: r.version,
      name: r.definition.name,
    }));
  }

  async getPlan(planId: string) {
    const rows = await planVersions(this.sql, planId);
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
    const row = await findKeyByHash(this.sql, keyHash, pepperVersion, new Date(this.now()));
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
