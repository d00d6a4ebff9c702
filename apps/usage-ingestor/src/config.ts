import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

export const UsageIngestorConfig = z
  .object({
    ...env.serviceEnv(8083),
    NODE_ENV: z.string().default('development'),
    /** Who may call `/v1` (`caller:secret,…`); required in production. */
    SERVICE_TOKENS: env.serviceTokens.optional(),
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.databaseSchema('usage_ingestor'),
    ...env.kafkaTopics,
    CONSUMER_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/)
      .default('usage-ingestor'),
    /** How long eventIds are remembered to drop re-sent copies (e.g. edge-auth spool replays). */
    DEDUPE_WINDOW_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 31)
      .default(48),
    /** How often ids older than the dedupe window are deleted. */
    DEDUPE_PRUNE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    /** How long the group waits for a silent member (e.g. a killed process) before reassigning its partitions. */
    CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
    /** Partitions applied to Postgres at the same time (one transaction each). */
    INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    INGEST_MAX_WAIT_MS: z.coerce.number().int().min(10).max(5_000).default(100),
    /**
     * Bytes a fetch waits for, up to INGEST_MAX_WAIT_MS: under a steady stream the broker answers
     * with more records at once, so fewer transactions and offset commits per event.
     */
    INGEST_MIN_BYTES: z.coerce.number().int().min(1).max(10_000_000).default(262_144),
  })
  .superRefine(env.requireServiceTokensInProduction)
  .superRefine(env.requireCompleteKafkaSasl);
export type UsageIngestorConfig = z.infer<typeof UsageIngestorConfig>;
