import Stripe from 'stripe';

/**
 * The Stripe API version every call and every webhook payload is read at. Pinned to the SDK's
 * own (the SDK's types describe only that version): upgrading the `stripe` package fails to
 * compile here until this is moved on deliberately, together with the webhook endpoint's version
 * in the Stripe dashboard.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' satisfies typeof Stripe.API_VERSION;

export interface StripeClientOptions {
  secretKey: string;
  /** Where the API is; unset = Stripe itself (`https://api.stripe.com`). Tests: the stand-in. */
  apiBase?: URL | undefined;
  timeoutMs: number;
  /**
   * The SDK's own retries inside one sync attempt (same idempotency key, 0.5-5 s apart). The
   * sync outbox retries across attempts anyway, so this only smooths over blips.
   */
  maxNetworkRetries: number;
}

export function createStripeClient(options: StripeClientOptions): Stripe {
  const base = options.apiBase;
  return new Stripe(options.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    timeout: options.timeoutMs,
    maxNetworkRetries: options.maxNetworkRetries,
    telemetry: false,
    appInfo: { name: 'tollgate-billing-service' },
    ...(base
      ? {
          host: base.hostname,
          protocol: base.protocol === 'http:' ? 'http' : 'https',
          port: base.port || (base.protocol === 'http:' ? 80 : 443),
        }
      : {}),
  });
}

/** Whether a failed Stripe call may succeed when simply tried again later. */
export function isTransientStripeError(err: unknown): boolean {
  if (!(err instanceof Stripe.errors.StripeError)) return true;
  if (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError
  )
    return true;
  const status = err.statusCode ?? 0;
  return status === 409 || status === 429 || status >= 500;
}

/** A Stripe failure for logs and `last_error`: type, status, code and message, never a secret. */
export function describeStripeError(err: unknown): string {
  if (err instanceof Stripe.errors.StripeError)
    return [err.type, err.statusCode, err.code, err.message]
      .filter((p) => p !== undefined)
      .join(' ');
  return err instanceof Error ? err.message : String(err);
}
