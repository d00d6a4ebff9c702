import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

/** Unset and empty are the same: no value. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * The Stripe and dunning variables of billing-service's config (spread into its schema). Secrets
 * are checked for shape only; the config error names a bad variable, never its value.
 */
export const stripeEnv = {
  /** Unset: nothing is sent to Stripe; finalized invoices wait in the sync outbox. */
  STRIPE_SECRET_KEY: optional(
    z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/, 'must be a Stripe secret key'),
  ),
  /** The signing secret of the webhook endpoint; unset: the webhook route is not served. */
  STRIPE_WEBHOOK_SECRET: optional(
    z.string().regex(/^whsec_[A-Za-z0-9+/=]{8,250}$/, 'must be a Stripe webhook secret (whsec_…)'),
  ),
  /** Another API host (the tests' stand-in); unset: Stripe itself. */
  STRIPE_API_BASE: optional(z.string().url()),
  STRIPE_TIMEOUT_MS: env.durationMs(20_000),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(3600).default(300),
  STRIPE_SYNC_POLL_MS: env.durationMs(1_000),
  STRIPE_SYNC_LEASE_MS: env.durationMs(300_000),
  STRIPE_SYNC_RETRY_BASE_MS: env.durationMs(5_000),
  STRIPE_SYNC_RETRY_MAX_MS: env.durationMs(900_000),
  DUNNING_MAX_FAILED_PAYMENTS: z.coerce.number().int().min(1).max(20).default(3),
  DUNNING_POLL_MS: env.durationMs(1_000),
};

export const StripeConfig = z.object(stripeEnv);
export type StripeConfig = z.infer<typeof StripeConfig>;
