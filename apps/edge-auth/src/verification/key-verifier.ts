import { hash } from 'node:crypto';
import { parseApiKey, type ApiKeyEnv, type KeyHasher } from '@tollgate/api-keys';
import type { Outcome } from '@tollgate/events';
import type { ErrorCode } from '@tollgate/service-runtime';
import type { KeyEntry, KeyTable, PlanEntry } from '../key-table/key-table';
import type { Endpoint } from '../routing/endpoint-map';
import type { ClientBudget } from './client-budget';
import type { KeyServiceLookup, LookedUpKey } from './key-service-lookup';
import type { PresentedKey } from './presented-key';

export type Verdict =
  | { ok: true; key: KeyEntry; plan: PlanEntry }
  | {
      ok: false;
      code: ErrorCode;
      outcome: Outcome;
      detail: string;
      /** Known when the key itself was recognised (revoked, expired, forbidden…). */
      key: KeyEntry | null;
      retryAfterMs?: number;
    };

export interface KeyVerifierOptions {
  table: KeyTable;
  hasher: KeyHasher;
  lookup: KeyServiceLookup;
  keyPrefix: string;
  acceptedEnvs: readonly ApiKeyEnv[];
  /**
   * Invalid keys per client IP (shared by all replicas). At the limit the client's keys that the
   * table does not hold are refused with 429 until the window ends; keys it holds still verify.
   */
  failedAttempts: ClientBudget;
  failedAttemptsLimit: number;
  /** Plans are checked before they join the table, as on the Kafka path. */
  planProblem: (plan: LookedUpKey['plan']) => string | null;
  /** Keys remembered as verified (see VerifiedKeys); 0 turns the cache off. Default 10,000. */
  verifiedKeysCacheSize?: number;
}

interface Verified {
  /** The table's map key (the HMAC under the entry's pepper) the entry was found by. */
  readonly binaryHash: string;
  readonly entry: KeyEntry;
}

/**
 * A bounded cache from SHA-256(presented key) to the table entry that key was found by, so a key
 * presented again skips the checksum and the HMAC (createHmac with a KeyObject costs several µs;
 * one-shot SHA-256 about 1 µs). What it keeps: base64 SHA-256 digests of keys that verified
 * recently, and references to entries the table already holds. No plaintext, no secret; a key has
 * ≥ 160 bits of CSPRNG entropy, so its unpeppered digest cannot be searched offline either.
 * Revocation stays immediate: a hit counts only while the table still maps the remembered HMAC to
 * the very same entry object (every key event replaces the entry), and the revocation, expiry,
 * suspension, scope and plan checks run on every request as before. Only keys found in the table
 * are remembered: an unknown or malformed key always takes the full path (and its budget).
 */
class VerifiedKeys {
  private readonly entries = new Map<string, Verified>();

  constructor(private readonly capacity: number) {}

  get(digest: string): Verified | undefined {
    return this.capacity === 0 ? undefined : this.entries.get(digest);
  }

  set(digest: string, verified: Verified): void {
    if (this.capacity === 0) return;
    // Insertion order is age: at capacity the oldest goes (a hot key stays hot by being re-added after a miss).
    if (this.entries.size >= this.capacity)
      this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(digest, verified);
  }

  delete(digest: string): void {
    this.entries.delete(digest);
  }
}

function fail(
  code: ErrorCode,
  outcome: Outcome,
  detail: string,
  key: KeyEntry | null = null,
  retryAfterMs?: number,
): Verdict {
  return retryAfterMs === undefined
    ? { ok: false, code, outcome, detail, key }
    : { ok: false, code, outcome, detail, key, retryAfterMs };
}

const PARSE_DETAIL = {
  malformed: 'the API key is malformed',
  wrong_prefix: 'the API key has the wrong prefix for this deployment',
  bad_checksum: 'the API key checksum does not match (mistyped or truncated?)',
} as const;

/**
 * Decides whether a presented key may call an endpoint: shape and checksum first (no lookup for
 * garbage), then HMAC and the in-memory table, key-service only for well-formed keys the table
 * does not know. The table is keyed by the HMAC under a secret pepper, so the Map's (not
 * constant-time) string comparison reveals nothing an attacker could use to forge a key.
 *
 * The failed-attempt budget is per client IP and shared by every replica. It never refuses a key
 * the table holds: behind a proxy many clients share one address, and one client's failures must
 * not lock out the others' valid keys. It refuses what would cost a lookup, and counts failures.
 */
export class KeyVerifier {
  private readonly versions: readonly number[];
  private readonly verified: VerifiedKeys;

  constructor(private readonly options: KeyVerifierOptions) {
    this.versions = options.hasher.versions;
    this.verified = new VerifiedKeys(options.verifiedKeysCacheSize ?? 10_000);
  }

  /**
   * `client.clientIp` is read only when the key is not verified from the table (budgets, lookups).
   * `cacheTried`: the caller asked `verifyCached` already and got nothing, so it is not asked again.
   */
  async verify(
    presented: PresentedKey,
    endpoint: Endpoint,
    client: { readonly clientIp: string },
    now: number,
    cacheTried = false,
  ): Promise<Verdict> {
    if (presented.kind === 'missing')
      return fail(
        'key_missing',
        'invalid',
        'send an API key in the Authorization (Bearer) or X-API-Key header',
      );
    if (presented.kind === 'unusable') return this.invalid(client.clientIp, presented.detail);
    return (
      (cacheTried ? undefined : this.verifyCached(presented, endpoint, now)) ??
      this.verifyUncached(presented.key, endpoint, client, now)
    );
  }

  /**
   * The verdict without I/O for a key that verified before (same bytes, so same parse result and
   * same HMAC) and is still the table's entry, or undefined when `verify` must be called.
   */
  verifyCached(presented: PresentedKey, endpoint: Endpoint, now: number): Verdict | undefined {
    if (presented.kind !== 'key') return undefined;
    const digest = hash('sha256', presented.key, 'base64');
    const cached = this.verified.get(digest);
    if (cached === undefined) return undefined;
    if (this.options.table.find(cached.binaryHash) !== cached.entry) {
      this.verified.delete(digest);
      return undefined;
    }
    const key = cached.entry;
    if (this.options.table.planAt(key.account, now) === null) return undefined;
    return this.authorize(key, endpoint, now);
  }

  private async verifyUncached(
    plaintext: string,
    endpoint: Endpoint,
    client: { readonly clientIp: string },
    now: number,
  ): Promise<Verdict> {
    const digest = hash('sha256', plaintext, 'base64');
    const parsed = parseApiKey(plaintext, { prefix: this.options.keyPrefix });
    if (!parsed.ok) return this.invalid(client.clientIp, PARSE_DETAIL[parsed.reason]);
    if (!this.options.acceptedEnvs.includes(parsed.env))
      return fail(
        'key_env_mismatch',
        'invalid',
        `${parsed.env} keys are not accepted here (accepted: ${this.options.acceptedEnvs.join(', ')})`,
      );

    let key = this.findInTable(plaintext, digest);
    if (key === undefined || this.options.table.planAt(key.account, now) === null) {
      const clientIp = client.clientIp;
      const refused = await this.overBudget(clientIp);
      if (refused) return refused;
      const looked = await this.lookUp(plaintext, clientIp);
      if ('ok' in looked) return looked;
      key = looked;
    }
    return this.authorize(key, endpoint, now);
  }

  /** Refuses a client whose failed-attempt budget is used up (or cannot be checked, fail-closed). */
  private async overBudget(clientIp: string): Promise<Verdict | undefined> {
    const used = await this.options.failedAttempts.peek(clientIp);
    if ('unavailable' in used)
      return fail(
        'dependency_unavailable',
        'invalid',
        'API keys cannot be checked right now; retry shortly',
        null,
        1_000,
      );
    if (used.count < this.options.failedAttemptsLimit) return undefined;
    return tooManyFailures(used.resetMs);
  }

  private findInTable(plaintext: string, digest: string): KeyEntry | undefined {
    const { hasher, table } = this.options;
    for (const version of this.versions) {
      const binaryHash = hasher.binaryHashWith(version, plaintext);
      const entry = table.find(binaryHash);
      if (entry !== undefined && entry.pepperVersion === version) {
        this.verified.set(digest, { binaryHash, entry });
        return entry;
      }
    }
    return undefined;
  }

  private async lookUp(plaintext: string, clientIp: string): Promise<KeyEntry | Verdict> {
    const { hasher, lookup } = this.options;
    const { hash, pepperVersion } = hasher.hash(plaintext);
    const outcome = await lookup.lookup(hash, pepperVersion, clientIp);
    switch (outcome.kind) {
      case 'not_found':
        return this.invalid(clientIp, 'the API key is not known');
      case 'client_limited':
        return fail(
          'auth_attempts_exceeded',
          'invalid',
          'too many unknown API keys from this client; retry later',
          null,
          outcome.retryAfterMs,
        );
      case 'unavailable':
        return fail('dependency_unavailable', 'invalid', outcome.detail, null, 1_000);
      case 'found': {
        const problem = this.options.planProblem(outcome.found.plan);
        if (problem !== null)
          return fail(
            'dependency_unavailable',
            'invalid',
            `the key's plan cannot be applied (${problem})`,
            null,
            1_000,
          );
        return this.remember(outcome.found);
      }
    }
  }

  /** A lookup answer joins the table unless an event got there first (events are newer). */
  private remember(found: LookedUpKey): KeyEntry {
    const { table } = this.options;
    const binaryHash = Buffer.from(found.key.keyHash, 'hex').toString('latin1');
    if (!table.has(binaryHash))
      table.applyKey(
        found.key,
        found.revocation ? { effectiveAt: found.revocation.effectiveAt } : null,
      );
    // Hashed under the newest pepper, as the lookup was: no need to hash the key again.
    const key = table.find(binaryHash)!;
    table.adoptLookedUpPlan(found.key.accountId, found.plan);
    if (found.accountStatus === 'suspended' && !key.account.suspended)
      table.applyAccountStatus(found.key.accountId, true);
    return key;
  }

  private authorize(key: KeyEntry, endpoint: Endpoint, now: number): Verdict {
    if (key.revokedFrom !== 0 && key.revokedFrom <= now)
      return fail('key_revoked', 'revoked', 'the API key has been revoked', key);
    if (key.expiresAt !== 0 && key.expiresAt <= now)
      return fail('key_expired', 'expired', 'the API key has expired', key);
    if (key.account.suspended)
      return fail('account_suspended', 'forbidden', "the key's account is suspended", key);
    for (const scope of endpoint.scopes) {
      if (!key.scopes.includes(scope))
        return fail('forbidden', 'forbidden', `the API key lacks the scope "${scope}"`, key);
    }
    const plan = this.options.table.planAt(key.account, now);
    if (plan === null)
      return fail(
        'dependency_unavailable',
        'invalid',
        "the key's plan is not known yet",
        key,
        1_000,
      );
    return { ok: true, key, plan };
  }

  private async invalid(clientIp: string, detail: string): Promise<Verdict> {
    const used = await this.options.failedAttempts.increment(clientIp);
    if ('count' in used && used.count > this.options.failedAttemptsLimit)
      return tooManyFailures(used.resetMs);
    return fail('key_invalid', 'invalid', detail);
  }
}

function tooManyFailures(resetMs: number): Verdict {
  return fail(
    'auth_attempts_exceeded',
    'invalid',
    'too many invalid API keys from this client; retry later',
    null,
    resetMs,
  );
}
