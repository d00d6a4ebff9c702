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
    /** Who may call `/v1` (`caller:secret,…`); required in production. */
    SERVICE_TOKENS: env.serviceTokens.optional(),
  })
  .superRefine(env.requirePeppersInProduction)
  .superRefine(env.requireServiceTokensInProduction)
  .superRefine(env.requireCompleteKafkaSasl);
export type KeyServiceConfig = z.infer<typeof KeyServiceConfig>;

export function peppersOf(config: KeyServiceConfig): env.KeyPeppers {
  return env.peppersOrDevelopment(config.KEY_PEPPERS);
}
