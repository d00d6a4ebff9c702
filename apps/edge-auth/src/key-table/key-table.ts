import type { Environment, KeyState, LimitScope, PlanRef, PlanSnapshot } from '@tollgate/events';
import { compileLimits, type CompiledLimits } from '../rate-limit';

/** A plan version as the hot path needs it: limits compiled once, shared by every account on it. */
export interface PlanEntry {
  readonly planId: string;
  readonly version: number;
  readonly limitScope: LimitScope;
  readonly limits: CompiledLimits;
  /** `plan_pro@3`, for the identity header. */
  readonly label: string;
  /** The plan as PlanChanged carried it (what a key table snapshot stores). */
  readonly snapshot: PlanSnapshot;
}

/** Shared by all of an account's keys, so a suspension or plan change applies to them at once. */
export interface AccountEntry {
  readonly accountId: string;
  suspended: boolean;
  plan: PlanEntry | null;
  /** A plan assigned for a future time; promoted by `KeyTable.planAt` once it is due. */
  pendingPlan: PendingPlan | null;
}

export interface PendingPlan {
  readonly plan: PlanEntry;
  readonly effectiveAt: number;
  /** `planId@version` the account is on until then (PlanChanged's previousPlan), if any. */
  readonly previousLabel: string | null;
}

/**
 * One verified key. Kept small (the table holds every key of every customer): ids and scopes are
 * shared strings/arrays, times are numbers with 0 meaning "none".
 */
export interface KeyEntry {
  readonly keyId: string;
  readonly account: AccountEntry;
  readonly env: Environment;
  readonly scopes: readonly string[];
  readonly pepperVersion: number;
  /** Epoch ms; 0 = never expires. */
  readonly expiresAt: number;
  /** Epoch ms the key stops verifying (revocation effectiveAt); 0 = not revoked. */
  readonly revokedFrom: number;
}

/**
 * Keys loaded from a snapshot and decoded only when first looked up (key-table-snapshot.ts): a
 * restart indexes 1M keys instead of building 1M entries. Read-only; the table shadows what
 * changes.
 */
export interface KeyBase {
  readonly size: number;
  /** The entry stored under `binaryHash`, decoded anew on every call. */
  get(binaryHash: string): KeyEntry | undefined;
  has(binaryHash: string): boolean;
  entries(): IterableIterator<[string, KeyEntry]>;
}

export interface KeyRevocation {
  effectiveAt: number;
}

/**
 * edge-auth's in-memory view of keys, accounts and plans, fed by the compacted keys, plans and
 * accounts topics (and by key-service lookups for keys not seen yet). Keys are found by their
 * HMAC as 32 raw bytes (`KeyHasher.binaryHashWith`).
 */
export class KeyTable {
  /** Keys applied or looked up since the start; they shadow `base`. */
  private readonly keys = new Map<string, KeyEntry>();
  /** Keys of the snapshot loaded at start, decoded into `keys` on first use. */
  private base: KeyBase | undefined;
  /** How many of `keys` are also in `base` (counted once). */
  private shadowed = 0;
  private readonly accounts = new Map<string, AccountEntry>();
  private readonly plans = new Map<string, PlanEntry>();
  /** Equal scope lists share one frozen array. */
  private readonly scopeLists = new Map<string, readonly string[]>();

  get keyCount(): number {
    return this.keys.size + (this.base ? this.base.size - this.shadowed : 0);
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  find(binaryHash: string): KeyEntry | undefined {
    return this.keys.get(binaryHash) ?? (this.base && this.fromBase(binaryHash));
  }

  has(binaryHash: string): boolean {
    return this.keys.has(binaryHash) || (this.base?.has(binaryHash) ?? false);
  }

  /** Decodes a snapshot key once: later lookups find the same entry in `keys`. */
  private fromBase(binaryHash: string): KeyEntry | undefined {
    const entry = this.base!.get(binaryHash);
    if (entry) {
      this.keys.set(binaryHash, entry);
      this.shadowed++;
    }
    return entry;
  }

  /** Applies a key's full state (KeyIssued / KeyUpdated / KeyRevoked, or a lookup answer). */
  applyKey(state: KeyState, revocation: KeyRevocation | null): void {
    const binaryHash = Buffer.from(state.keyHash, 'hex').toString('latin1');
    const previous = this.find(binaryHash);
    this.keys.set(binaryHash, {
      // Reuse the previous strings so updates do not grow the heap.
      keyId: previous?.keyId === state.keyId ? previous.keyId : state.keyId,
      account: this.account(state.accountId),
      env: state.env,
      scopes: this.internScopes(state.scopes),
      pepperVersion: state.pepperVersion,
      expiresAt: state.expiresAt ?? 0,
      // Revocation is final (nothing un-revokes a key): a later update keeps it.
      revokedFrom: revocation?.effectiveAt ?? previous?.revokedFrom ?? 0,
    });
  }

  /**
   * Applies PlanChanged: now, or pending until `effectiveAt`. A future assignment is never applied
   * early, also not after a restart, when the compacted topic holds only that assignment: the
   * account then stays on its previous plan version (known from any account on it, see `planAt`)
   * or, failing that, on what a key-service lookup says.
   */
  applyPlan(
    accountId: string,
    snapshot: PlanSnapshot,
    effectiveAt: number,
    now: number,
    previous: PlanRef | null = null,
  ): void {
    const account = this.account(accountId);
    const plan = this.plan(snapshot);
    if (effectiveAt <= now) {
      account.plan = plan;
      account.pendingPlan = null;
    } else {
      const previousLabel = previous ? labelOf(previous.planId, previous.planVersion) : null;
      account.pendingPlan = { plan, effectiveAt, previousLabel };
    }
  }

  /**
   * The plan a key-service lookup reports, for an account whose current plan the table does not
   * know. It does not replace a known plan (events are newer) and keeps a pending assignment.
   */
  adoptLookedUpPlan(accountId: string, snapshot: PlanSnapshot): void {
    const account = this.account(accountId);
    if (account.plan === null) account.plan = this.plan(snapshot);
  }

  /**
   * The account's plan at `now`: promotes a pending assignment that has come due, and before that
   * resolves an unknown current plan from the previous plan version when the table holds it.
   */
  planAt(account: AccountEntry, now: number): PlanEntry | null {
    const pending = account.pendingPlan;
    if (pending === null) return account.plan;
    if (pending.effectiveAt <= now) {
      account.plan = pending.plan;
      account.pendingPlan = null;
    } else if (account.plan === null && pending.previousLabel !== null) {
      account.plan = this.plans.get(pending.previousLabel) ?? null;
    }
    return account.plan;
  }

  applyAccountStatus(accountId: string, suspended: boolean): void {
    this.account(accountId).suspended = suspended;
  }

  private account(accountId: string): AccountEntry {
    let account = this.accounts.get(accountId);
    if (!account) {
      account = { accountId, suspended: false, plan: null, pendingPlan: null };
      this.accounts.set(accountId, account);
    }
    return account;
  }

  private plan(snapshot: PlanSnapshot): PlanEntry {
    const label = labelOf(snapshot.planId, snapshot.version);
    let plan = this.plans.get(label);
    if (!plan) {
      plan = {
        planId: snapshot.planId,
        version: snapshot.version,
        limitScope: snapshot.limitScope,
        limits: compileLimits(snapshot),
        label,
        snapshot,
      };
      this.plans.set(label, plan);
    }
    return plan;
  }

  /** Every plan version, account and key (live views, for the snapshot writer). */
  planEntries(): IterableIterator<PlanEntry> {
    return this.plans.values();
  }

  accountEntries(): IterableIterator<AccountEntry> {
    return this.accounts.values();
  }

  /**
   * Keys by their binary hash, each once: the snapshot's (as they are now), then the others. Keys
   * added while this runs are visited; one changed after its visit shows its earlier state (a
   * snapshot writer re-reads such changes from its positions).
   */
  *keyEntries(): IterableIterator<[string, KeyEntry]> {
    const base = this.base;
    if (base)
      for (const [hash, entry] of base.entries()) yield [hash, this.keys.get(hash) ?? entry];
    for (const entry of this.keys) if (!base?.has(entry[0])) yield entry;
  }

  /** Restoring from a snapshot (key-table-snapshot.ts): a plan version, shared as events share it. */
  restorePlan(snapshot: PlanSnapshot): PlanEntry {
    return this.plan(snapshot);
  }

  restoreAccount(
    accountId: string,
    suspended: boolean,
    plan: PlanEntry | null,
    pendingPlan: PendingPlan | null,
  ): AccountEntry {
    const account = this.account(accountId);
    account.suspended = suspended;
    account.plan = plan;
    account.pendingPlan = pendingPlan;
    return account;
  }

  /**
   * The keys of a snapshot, after `restoreAccount` of their accounts. Keys applied meanwhile (a
   * key-service lookup answered during the load) are newer and stay over the snapshot's.
   */
  restoreKeys(base: KeyBase): void {
    if (this.base) throw new Error('the table holds a snapshot already');
    this.base = base;
    for (const hash of this.keys.keys()) if (base.has(hash)) this.shadowed++;
  }

  /** Forgets everything (a refused snapshot is unloaded before the table is built afresh). */
  clear(): void {
    this.keys.clear();
    this.base = undefined;
    this.shadowed = 0;
    this.accounts.clear();
    this.plans.clear();
    this.scopeLists.clear();
  }

  /** Equal scope lists share one frozen array. */
  internScopes(scopes: readonly string[]): readonly string[] {
    const id = scopes.join('\n');
    let shared = this.scopeLists.get(id);
    if (!shared) {
      shared = Object.freeze([...scopes]);
      this.scopeLists.set(id, shared);
    }
    return shared;
  }
}

function labelOf(planId: string, version: number): string {
  return `${planId}@${version}`;
}
