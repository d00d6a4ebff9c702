import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from './load-config';
import { kafkaClientSecurity, kafkaTopics, requireCompleteKafkaSasl } from './env-fields';

const Config = z.object({ ...kafkaTopics }).superRefine(requireCompleteKafkaSasl);

describe('Kafka TLS and SASL settings', () => {
  it('default to plaintext without authentication, as the local broker runs', () => {
    const config = loadConfig(Config, {});
    expect(config).toMatchObject({ KAFKA_SSL: false });
    expect(kafkaClientSecurity(config)).toEqual({});
  });

  it('become the Kafka client options: TLS and a SASL mechanism with its credentials', () => {
    const config = loadConfig(Config, {
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'key-service',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(kafkaClientSecurity(config)).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'key-service', password: 's3cret' },
    });
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: 'plain' }, /KAFKA_SASL_MECHANISM/],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_MECHANISM/],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_MECHANISM/],
    [
      { KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      /KAFKA_SASL_MECHANISM/,
    ],
    [{ KAFKA_SSL: 'yes' }, /KAFKA_SSL/],
  ])('refuses %j, naming the variable', (environment, variable) => {
    expect(() => loadConfig(Config, environment)).toThrow(variable);
  });

  it('never echoes the password in a config error', () => {
    expect(() => loadConfig(Config, { KAFKA_SASL_PASSWORD: 'hunter2-do-not-print' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('refuses half-configured SASL even where a config lacks the refinement', () => {
    expect(() => kafkaClientSecurity({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
  });
});
