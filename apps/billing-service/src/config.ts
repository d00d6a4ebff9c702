import { z } from 'zod';
import { env } from '@tollgate/service-runtime';
import { PRORATION_BEHAVIORS } from './domain/rating';
import { stripeEnv } from './stripe/stripe-config';

const HOUR_MS = 3_600_000;

export const BillingServiceConfig = z
  .object({
    ...env.serviceEnv(8084),
    NODE_ENV: z.string().default('development'),
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.databaseSchema('billing_service'),
    ...env.kafkaTopics,
    /** Who may call `/v1` (`caller:secret,…`); required in production. */
    SERVICE_TOKENS: env.serviceTokens.optional(),
    /** billing-service's own credential toward usage-ingestor and key-service (their `SERVICE_TOKENS` entry `billing-service:…`). */
    SERVICE_TOKEN: env.serviceToken.optional(),
    USAGE_INGESTOR_URL: z.string().url().default('http://127.0.0.1:8083'),
    /** key-service, where dunning suspends and reactivates accounts and previews price plan versions billing has not seen. */
    KEY_SERVICE_URL: z.string().url().default('http://127.0.0.1:8082'),
    /** Timeout of one call to usage-ingestor (and to key-service's plan catalog). */
    USAGE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    CONSUMER_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/)
      .default('billing-service'),
    /**
     * A period closes once this long after its end, and only when usage-ingestor has ingested
     * events from at least the period's end (its freshness), so in-flight usage is not left out.
     */
    CLOSE_GRACE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 24 * HOUR_MS)
      .default(HOUR_MS),
    /** How often the period-closing worker looks for periods to close. */
    CLOSE_INTERVAL_MS: z.coerce.number().int().min(10).max(HOUR_MS).default(60_000),
    PERIOD_CLOSING_ENABLED: env.booleanFlag(true),
    /** How plan changes inside a period affect its base fee: `next_invoice` (prorated by seconds) or `none`. */
    PRORATION_BEHAVIOR: z.enum(PRORATION_BEHAVIORS).default('next_invoice'),
    OUTBOX_POLL_MS: z.coerce.number().int().min(5).max(10_000).default(200),
    /** Stripe collection, webhooks and dunning: see docs/billing-stripe.md. */
    ...stripeEnv,
  })
  .superRefine(env.requireServiceTokensInProduction)
  .superRefine(env.requireCompleteKafkaSasl);
export type BillingServiceConfig = z.infer<typeof BillingServiceConfig>;
