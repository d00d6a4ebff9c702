import { z } from 'zod';
import { env } from '@tollgate/service-runtime';

const DAY_MS = 24 * 3_600_000;

/** Development-only pepper so `npm start` works out of the box; refused when NODE_ENV=production. */
const DEVELOPMENT_PEPPERS = '1:tollgate-development-pepper-never-use-in-production';

/** `version:secret[,version:secret…]`; keys are issued with the highest version, verified with any. */
const peppers = z
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

export const KeyServiceConfig = z
  .object({
    ...env.serviceEnv(8082),
    NODE_ENV: z.string().default('development'),
    DATABASE_URL: env.databaseUrl,
    DATABASE_SCHEMA: env.databaseSchema('key_service'),
    ...env.kafkaTopics,
    KEY_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9]{0,15}$/)
      .default('tg'),
    KEY_PEPPERS: peppers.optional(),
    ROTATION_GRACE_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(30 * DAY_MS)
      .default(DAY_MS),
    OUTBOX_RELAY_ENABLED: env.booleanFlag(true),
    OUTBOX_POLL_MS: z.coerce.number().int().min(5).max(10_000).default(50),
    SEED_DEFAULT_PLANS: env.booleanFlag(true),
  })
  .superRefine((config, ctx) => {
    if (config.NODE_ENV === 'production' && !config.KEY_PEPPERS) {
      ctx.addIssue({ code: 'custom', path: ['KEY_PEPPERS'], message: 'is required in production' });
    }
  });
export type KeyServiceConfig = z.infer<typeof KeyServiceConfig>;

export function peppersOf(config: KeyServiceConfig): Array<{ version: number; secret: string }> {
  return config.KEY_PEPPERS ?? peppers.parse(DEVELOPMENT_PEPPERS);
}
