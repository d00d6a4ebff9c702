import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { databaseUrl, kafkaBrokers, redisUrl, serviceEnv, booleanFlag } from './env-fields';

const Config = z.object({
  ...serviceEnv(8080),
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  KAFKA_BROKERS: kafkaBrokers,
  FEATURE: booleanFlag(false),
});

describe('loadConfig', () => {
  it('applies defaults for an empty environment', () => {
    const config = loadConfig(Config, {});
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 8080,
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      FEATURE: false,
    });
  });

  it('coerces and splits values', () => {
    const config = loadConfig(Config, { PORT: '9000', KAFKA_BROKERS: 'a:1, b:2', FEATURE: '1' });
    expect(config.PORT).toBe(9000);
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.FEATURE).toBe(true);
  });

  it('names every bad variable and never echoes its value', () => {
    const secret = 'mysql://user:hunter2@db/x';
    let error: unknown;
    try {
      loadConfig(Config, { PORT: '70000', DATABASE_URL: secret, KAFKA_BROKERS: 'nohostport' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/DATABASE_URL:/);
    expect(message).toMatch(/KAFKA_BROKERS:/);
    expect(message).not.toContain('hunter2');
  });
});
