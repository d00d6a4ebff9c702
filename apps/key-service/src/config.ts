import { z } from 'zod';
import { env } from '@tollgate/service-runtime';
import { githubSigningKeys } from './secret-scanning/github-signing-keys';

const DAY_MS = 24 * 3_600_000;

export const KeyServiceConfig = z
  .object({
    ...env.serviceEnv(8082),
    NODE_ENV: z.string().default('development'),
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.databaseSchema('key_service'),
    ...env.kafkaTopics,
    KEY_PREFIX: env.keyPrefix,
    KEY_PEPPERS: env.keyPeppers.optional(),
    ROTATION_GRACE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .default(DAY_MS),
    OUTBOX_RELAY_ENABLED: env.booleanFlag(true),
    OUTBOX_POLL_MS: z.coerce.number().int().min(5).max(10_000).default(50),
    SEED_DEFAULT_PLANS: env.booleanFlag(true),
    /** GitHub's secret-scanning signing keys (its public_keys JSON); unset: no receiver. */
    SECRET_SCANNING_GITHUB_KEYS: githubSigningKeys.optional(),
    /** Accounts' notification webhooks may use http:// (default: outside production only). */
    WEBHOOK_ALLOW_HTTP: z.enum(['true', 'false']).optional(),
    WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(12),
    /** The first retry waits this long; each next one twice as long (at most 6 h). */
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
    /** Who may call `/v1` (`caller:secret,…`); required in production. */
    SERVICE_TOKENS: env.serviceTokens.optional(),
  })
  .superRefine(env.requirePeppersInProduction)
  .superRefine(env.requireServiceTokensInProduction)
  .superRefine(env.requireCompleteKafkaSasl);
export type KeyServiceConfig = z.infer<typeof KeyServiceConfig>;

/** https only in production unless WEBHOOK_ALLOW_HTTP says otherwise. */
export function webhookAllowsHttp(config: KeyServiceConfig): boolean {
  return config.WEBHOOK_ALLOW_HTTP === undefined
    ? config.NODE_ENV !== 'production'
    : config.WEBHOOK_ALLOW_HTTP === 'true';
}

export function peppersOf(config: KeyServiceConfig): env.KeyPeppers {
  return env.peppersOrDevelopment(config.KEY_PEPPERS);
}
