import { z } from 'zod';

/** Reusable pieces of the apps' zod config schemas, so every app reads the same variable the same way. */

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export const port = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65535).default(defaultPort);

export const host = z.string().min(1).default('127.0.0.1');

export const durationMs = (defaultMs: number) =>
  z.coerce.number().int().min(0).max(600_000).default(defaultMs);

const postgresUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('postgres://') || u.startsWith('postgresql://'), {
    message: 'must be a postgres:// or postgresql:// URL',
  });

export const databaseUrl = postgresUrl.default('postgres://postgres@127.0.0.1:5432/test');

export const redisUrl = z
  .string()
  .min(1)
  .refine((u) => u.split(',').every((part) => /^rediss?:\/\//.test(part.trim())), {
    message: 'must be redis:// or rediss:// URL(s), comma-separated for cluster seed nodes',
  })
  .default('redis://127.0.0.1:6379');

export const booleanFlag = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(defaultValue ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Comma-separated `host:port` list. */
export const kafkaBrokers = z
  .string()
  .default('127.0.0.1:9092')
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), {
    message: 'must be a comma-separated list of host:port',
  });

/** The variables every app reads. */
export const serviceEnv = (defaultPort: number) => ({
  HOST: host,
  PORT: port(defaultPort),
  LOG_LEVEL: logLevel,
  SHUTDOWN_TIMEOUT_MS: durationMs(10_000),
  READINESS_TIMEOUT_MS: durationMs(1_500),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(1024 * 1024),
});

/** An app's own Postgres schema (each app owns one; tests use a unique one). */
export const databaseSchema = (defaultSchema: string) =>
  z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default(defaultSchema);

/** The Kafka variables of an app that owns topics. */
export const kafkaTopics = {
  KAFKA_BROKERS: kafkaBrokers,
  /** Prepended to every topic name, for clusters shared by several deployments (and for tests). */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-z0-9._-]{0,100}$/)
    .default(''),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(5).default(1),
};
