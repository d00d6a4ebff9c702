import type { KeyState, PlanSnapshot } from '@tollgate/events';
import type { ClientBudget } from './client-budget';

/** key-service's answer to POST /v1/key-lookups: the same state its events carry. */
export interface LookedUpKey {
  key: KeyState;
  revocation: { reason: string; effectiveAt: number } | null;
  accountStatus: 'active' | 'suspended';
  plan: PlanSnapshot;
}

export type LookupOutcome =
  | { kind: 'found'; found: LookedUpKey }
  | { kind: 'not_found' }
  /** Too many misses from this client: answered without asking key-service. */
  | { kind: 'client_limited'; retryAfterMs: number }
  /** key-service is down, slow, or already at our concurrency bound. */
  | { kind: 'unavailable'; detail: string };

export interface KeyServiceLookupOptions {
  baseUrl: string;
  /** edge-auth's service credential toward key-service (sent as a bearer token when set). */
  serviceToken?: string | undefined;
  timeoutMs: number;
  concurrency: number;
  negativeTtlMs: number;
  /** Lookups per client IP and minute (shared by every replica). */
  perClient: ClientBudget;
  perClientPerMinute: number;
  /** Bounds the negative cache. */
  maxEntries?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const NOT_FOUND: LookupOutcome = { kind: 'not_found' };

/** One lookup's outcome for everyone who joined it; `ownBudget`: refused by its client's budget. */
interface Led {
  outcome: LookupOutcome;
  ownBudget: boolean;
}

/**
 * The fallback for well-formed keys the local table does not know yet (issued a moment ago, event
 * in flight). Random keys must not be able to flood key-service: answers "not found" are cached
 * briefly, each client IP gets a small budget of misses per minute, concurrent lookups of one hash
 * share one request, and the number of requests in flight is bounded.
 */
export class KeyServiceLookup {
  private readonly negative = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<Led>>();
  private readonly maxEntries: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private active = 0;

  constructor(private readonly options: KeyServiceLookupOptions) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** `hashHex`: the HMAC under `pepperVersion`, as key-service stores it. */
  async lookup(hashHex: string, pepperVersion: number, clientIp: string): Promise<LookupOutcome> {
    const now = this.now();
    const cacheKey = `${pepperVersion}:${hashHex}`;
    const until = this.negative.get(cacheKey);
    if (until !== undefined) {
      if (until > now) return NOT_FOUND;
      this.negative.delete(cacheKey);
    }
    const shared = this.inFlight.get(cacheKey);
    if (shared) {
      const led = await shared;
      // Another client's budget refused the lookup this one joined: that says nothing about this
      // client, which asks again (joining or leading the next lookup of the key).
      return led.ownBudget ? this.lookup(hashHex, pepperVersion, clientIp) : led.outcome;
    }
    // Claimed before the first await, so every request for this key from now on joins it.
    const leading = this.lead(hashHex, pepperVersion, clientIp, cacheKey);
    this.inFlight.set(cacheKey, leading);
    try {
      return (await leading).outcome;
    } finally {
      if (this.inFlight.get(cacheKey) === leading) this.inFlight.delete(cacheKey);
    }
  }

  private async lead(
    hashHex: string,
    pepperVersion: number,
    clientIp: string,
    cacheKey: string,
  ): Promise<Led> {
    const used = await this.options.perClient.increment(clientIp);
    if ('unavailable' in used)
      return {
        outcome: { kind: 'unavailable', detail: 'the lookup budget cannot be checked right now' },
        ownBudget: false,
      };
    if (used.count > this.options.perClientPerMinute)
      return { outcome: { kind: 'client_limited', retryAfterMs: used.resetMs }, ownBudget: true };
    if (this.active >= this.options.concurrency)
      return {
        outcome: { kind: 'unavailable', detail: 'key verification is busy; retry shortly' },
        ownBudget: false,
      };
    const outcome = await this.request(hashHex, pepperVersion);
    if (outcome.kind === 'not_found') this.rememberMissing(cacheKey);
    return { outcome, ownBudget: false };
  }

  private async request(hashHex: string, pepperVersion: number): Promise<LookupOutcome> {
    this.active++;
    try {
      const res = await this.fetch(new URL('/v1/key-lookups', this.options.baseUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.serviceToken
            ? { authorization: `Bearer ${this.options.serviceToken}` }
            : {}),
        },
        body: JSON.stringify({ keyHash: hashHex, pepperVersion }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return NOT_FOUND;
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { kind: 'unavailable', detail: `key-service answered ${res.status}` };
      }
      return { kind: 'found', found: (await res.json()) as LookedUpKey };
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      return {
        kind: 'unavailable',
        detail: timedOut ? 'key-service did not answer in time' : 'key-service is unreachable',
      };
    } finally {
      this.active--;
    }
  }

  private rememberMissing(cacheKey: string): void {
    if (this.options.negativeTtlMs === 0) return;
    if (this.negative.size >= this.maxEntries) {
      // Oldest first (insertion order): drop a slice rather than one per insert.
      let drop = Math.ceil(this.maxEntries / 10);
      for (const key of this.negative.keys()) {
        this.negative.delete(key);
        if (--drop === 0) break;
      }
    }
    this.negative.set(cacheKey, this.now() + this.options.negativeTtlMs);
  }
}
