/** Stripe keeps an idempotency key's result for at least 24 hours. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;

export interface RememberedResponse {
  status: number;
  body: unknown;
}

interface Entry extends RememberedResponse {
  fingerprint: string;
  createdAt: number;
}

export type IdempotencyLookup =
  | { outcome: 'new' }
  | { outcome: 'replay'; response: RememberedResponse }
  | { outcome: 'mismatch' };

/**
 * Stripe's idempotency semantics: the first result of a POST under a key is kept; the same key
 * with the same request (method, path, parameters) replays it; with another request it is an
 * `idempotency_error`. Only requests that ran are remembered: a request refused before it ran
 * (bad parameters, an injected 500) may be retried under the same key.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly nowSeconds: () => number) {}

  lookup(key: string, fingerprint: string): IdempotencyLookup {
    const entry = this.entries.get(key);
    if (!entry) return { outcome: 'new' };
    if (this.nowSeconds() - entry.createdAt >= IDEMPOTENCY_KEY_TTL_SECONDS) {
      this.entries.delete(key);
      return { outcome: 'new' };
    }
    if (entry.fingerprint !== fingerprint) return { outcome: 'mismatch' };
    return { outcome: 'replay', response: { status: entry.status, body: entry.body } };
  }

  remember(key: string, fingerprint: string, response: RememberedResponse): void {
    this.entries.set(key, { ...response, fingerprint, createdAt: this.nowSeconds() });
  }
}
