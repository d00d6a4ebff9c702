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

/**
 * How an app authenticates to Kafka and encrypts the connection: TLS (`KAFKA_SSL=true`, the
 * broker's certificate checked against the system CAs plus `NODE_EXTRA_CA_CERTS`) and SASL
 * (`KAFKA_SASL_MECHANISM` with `KAFKA_SASL_USERNAME`/`KAFKA_SASL_PASSWORD`). Unset: plaintext,
 * no authentication, as the local broker runs.
 */
export const kafkaSecurity = {
  KAFKA_SSL: booleanFlag(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).max(256).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).max(1024).optional(),
};

export type KafkaSaslMechanism = NonNullable<z.output<typeof kafkaSecurity.KAFKA_SASL_MECHANISM>>;

/** The `kafkaSecurity` fields as parsed; the service base reads them for its Kafka connection. */
export interface KafkaSecurityConfig {
  KAFKA_SSL?: boolean | undefined;
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
}

/** Refinement for configs with `kafkaSecurity`: SASL needs both credentials, credentials need SASL. */
export function requireCompleteKafkaSasl(config: KafkaSecurityConfig, ctx: z.RefinementCtx): void {
  const credentials = [config.KAFKA_SASL_USERNAME, config.KAFKA_SASL_PASSWORD];
  if (config.KAFKA_SASL_MECHANISM && credentials.some((c) => c === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    });
  }
  if (!config.KAFKA_SASL_MECHANISM && credentials.some((c) => c !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_SASL_MECHANISM'],
      message: 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set',
    });
  }
}

/**
 * The Kafka client's `ssl`/`sasl` options from the config (what createKafkaConnection takes).
 * Throws on half-configured SASL, so an app without the refinement above fails at start, not at
 * its first broker handshake.
 */
export function kafkaClientSecurity(config: KafkaSecurityConfig): {
  ssl?: true;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
} {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = config;
  const password = config.KAFKA_SASL_PASSWORD;
  if (mechanism && (username === undefined || password === undefined))
    throw new Error('KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  return {
    ...(config.KAFKA_SSL ? { ssl: true as const } : {}),
    ...(mechanism && username !== undefined && password !== undefined
      ? { sasl: { mechanism, username, password } }
      : {}),
  };
}

/** The Kafka variables of an app that owns topics. */
export const kafkaTopics = {
  KAFKA_BROKERS: kafkaBrokers,
  ...kafkaSecurity,
  /** Prepended to every topic name, for clusters shared by several deployments (and for tests). */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-z0-9._-]{0,100}$/)
    .default(''),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(5).default(1),
};

/** The API key prefix of a deployment (docs/architecture.md, API keys). */
export const keyPrefix = z
  .string()
  .regex(/^[a-z][a-z0-9]{0,15}$/)
  .default('tg');

/** Development-only pepper so `npm start` works out of the box; refused when NODE_ENV=production. */
export const DEVELOPMENT_PEPPERS = '1:tollgate-development-pepper-never-use-in-production';

/** `version:secret[,version:secret…]`; keys are issued with the highest version, verified with any. */
export const keyPeppers = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const parsed = value.split(',').map((entry) => {
      const at = entry.indexOf(':');
      return { version: Number(entry.slice(0, at)), secret: entry.slice(at + 1) };
    });
    for (const pepper of parsed) {
      if (
        !Number.isSafeInteger(pepper.version) ||
        pepper.version < 1 ||
        Buffer.byteLength(pepper.secret) < 32
      ) {
        ctx.addIssue({
          code: 'custom',
          message: 'each entry must be <version>:<secret of at least 32 bytes>',
        });
        return z.NEVER;
      }
    }
    return parsed;
  });

export type KeyPeppers = z.output<typeof keyPeppers>;

/** The configured peppers, or the development pepper when none are (production configs require them). */
export function peppersOrDevelopment(configured: KeyPeppers | undefined): KeyPeppers {
  return configured ?? keyPeppers.parse(DEVELOPMENT_PEPPERS);
}

/** Refinement for app configs holding KEY_PEPPERS: required when NODE_ENV=production. */
export function requirePeppersInProduction(
  config: { NODE_ENV: string; KEY_PEPPERS?: KeyPeppers | undefined },
  ctx: z.RefinementCtx,
): void {
  if (config.NODE_ENV === 'production' && !config.KEY_PEPPERS) {
    ctx.addIssue({ code: 'custom', path: ['KEY_PEPPERS'], message: 'is required in production' });
  }
}

/** A service credential: 32+ characters of [A-Za-z0-9_-] (e.g. 32 random bytes in base64url). */
const serviceSecret = z
  .string()
  .regex(/^[A-Za-z0-9_-]{32,256}$/, 'must be 32-256 characters of [A-Za-z0-9_-]');

/** `caller:secret[,caller:secret…]`: who may call this internal app's `/v1` routes. */
export const serviceTokens = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const entries = value.split(',').map((entry) => {
      const at = entry.indexOf(':');
      return { caller: entry.slice(0, at).trim(), secret: entry.slice(at + 1).trim() };
    });
    for (const { caller, secret } of entries) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(caller) || !serviceSecret.safeParse(secret).success) {
        ctx.addIssue({
          code: 'custom',
          message: 'each entry must be <caller>:<secret of 32-256 [A-Za-z0-9_-] characters>',
        });
        return z.NEVER;
      }
    }
    return entries;
  });

export type ServiceTokens = z.output<typeof serviceTokens>;

/** This app's own credential toward the internal apps it calls. */
export const serviceToken = serviceSecret;

/** Refinement for internal apps: SERVICE_TOKENS is required when NODE_ENV=production. */
export function requireServiceTokensInProduction(
  config: { NODE_ENV: string; SERVICE_TOKENS?: ServiceTokens | undefined },
  ctx: z.RefinementCtx,
): void {
  if (config.NODE_ENV === 'production' && !config.SERVICE_TOKENS) {
    ctx.addIssue({
      code: 'custom',
      path: ['SERVICE_TOKENS'],
      message: 'is required in production',
    });
  }
}
