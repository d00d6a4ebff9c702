import type { Environment, KeyState, LimitScope, PlanSnapshot } from '@tollgate/events';
import { compileLimits, type CompiledLimits } from '../rate-limit';

/** A plan version as the hot path needs it: limits compiled once, shared by every account on it. */
export interface PlanEntry {
  readonly planId: string;
  readonly version: number;
  readonly limitScope: LimitScope;
  readonly limits: CompiledLimits;
  /** `plan_pro@3`, for the identity header. */
  readonly label: string;
}

/** Shared by all of an account's keys, so a suspension or plan change applies to them at once. */
export interface AccountEntry {
  readonly accountId: string;
  suspended: boolean;
  plan: PlanEntry | null;
  /** A plan assigned for a future time; promoted by `planAt` once it is due. */
  pendingPlan: { plan: PlanEntry; effectiveAt: number } | null;
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

export interface KeyRevocation {
  effectiveAt: number;
}

/** The current plan of an account at `now`, promoting a pending assignment that has come due. */
export function planAt(account: AccountEntry, now: number): PlanEntry | null {
  const pending = account.pendingPlan;
  if (pending !== null && pending.effectiveAt <= now) {
    account.plan = pending.plan;
    account.pendingPlan = null;
  }
  return account.plan;
}

/**
 * edge-auth's in-memory view of keys, accounts and plans, fed by the compacted keys, plans and
 * accounts topics (and by key-service lookups for keys not seen yet). Keys are found by their
 * HMAC as 32 raw bytes (`KeyHasher.binaryHashWith`).
 */
export class KeyTable {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly accounts = new Map<string, AccountEntry>();
  private readonly plans = new Map<string, PlanEntry>();
  /** Equal scope lists share one frozen array. */
  private readonly scopeLists = new Map<string, readonly string[]>();

  get keyCount(): number {
    return this.keys.size;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  find(binaryHash: string): KeyEntry | undefined {
    return this.keys.get(binaryHash);
  }

  has(binaryHash: string): boolean {
    return this.keys.has(binaryHash);
  }

  /** Applies a key's full state (KeyIssued / KeyUpdated / KeyRevoked, or a lookup answer). */
  applyKey(state: KeyState, revocation: KeyRevocation | null): void {
    const binaryHash = Buffer.from(state.keyHash, 'hex').toString('latin1');
    const previous = this.keys.get(binaryHash);
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

  /** Applies PlanChanged: now, or pending until `effectiveAt`. */
  applyPlan(accountId: string, snapshot: PlanSnapshot, effectiveAt: number, now: number): void {
    const account = this.account(accountId);
    const plan = this.plan(snapshot);
    // With no current plan known (e.g. after a restart the compacted topic only holds the future
    // assignment), the newest snapshot is the best limits we have.
    if (effectiveAt <= now || account.plan === null) {
      account.plan = plan;
      account.pendingPlan = effectiveAt <= now ? null : { plan, effectiveAt };
    } else {
      account.pendingPlan = { plan, effectiveAt };
    }
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
    const label = `${snapshot.planId}@${snapshot.version}`;
    let plan = this.plans.get(label);
    if (!plan) {
      plan = {
        planId: snapshot.planId,
        version: snapshot.version,
        limitScope: snapshot.limitScope,
        limits: compileLimits(snapshot),
        label,
      };
      this.plans.set(label, plan);
    }
    return plan;
  }

  private internScopes(scopes: readonly string[]): readonly string[] {
    const id = scopes.join('\n');
    let shared = this.scopeLists.get(id);
    if (!shared) {
      shared = Object.freeze([...scopes]);
      this.scopeLists.set(id, shared);
    }
    return shared;
  }
}
