import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@tollgate/service-runtime';
import { buildServiceArtifact, runToExit } from '@tollgate/test-infra';
import { KeyServiceConfig, peppersOf, webhookAllowsHttp } from './config';

const PEPPER = `1:${'p'.repeat(40)}`;
const TOKENS = `admin-api:${'a'.repeat(43)}`;

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(KeyServiceConfig, env);
    return [];
  } catch (err) {
    return err instanceof ConfigError ? err.problems : [String(err)];
  }
};

describe('key-service in production', () => {
  it('needs KEY_PEPPERS and SERVICE_TOKENS, and uses the configured peppers, never the development one', () => {
    expect(problems({ NODE_ENV: 'production', SERVICE_TOKENS: TOKENS })).toEqual([
      expect.stringMatching(/^KEY_PEPPERS: is required in production/),
    ]);
    expect(problems({ NODE_ENV: 'production', KEY_PEPPERS: PEPPER })).toEqual([
      expect.stringMatching(/^SERVICE_TOKENS: is required in production/),
    ]);
    const config = loadConfig(KeyServiceConfig, {
      NODE_ENV: 'production',
      KEY_PEPPERS: PEPPER,
      SERVICE_TOKENS: TOKENS,
    });
    const development = peppersOf(loadConfig(KeyServiceConfig, {}));
    expect(peppersOf(config)).not.toEqual(development);
    expect(peppersOf(config)).toEqual(
      loadConfig(KeyServiceConfig, { KEY_PEPPERS: PEPPER }).KEY_PEPPERS,
    );
    // Webhooks are https-only in production unless said otherwise.
    expect(webhookAllowsHttp(config)).toBe(false);
    expect(webhookAllowsHttp(loadConfig(KeyServiceConfig, {}))).toBe(true);
  });

  it('refuses SASL settings that are half there', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      expect.stringMatching(
        /^KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
      ),
    ]);
  });

  it('the built process exits 1 without peppers in production, naming what is missing and no stack trace', async () => {
    const artifact = await buildServiceArtifact('apps/key-service');
    try {
      const result = await runToExit(artifact.entry, {
        NODE_ENV: 'production',
        PORT: '0',
        SERVICE_TOKENS: TOKENS,
      });
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/KEY_PEPPERS: is required in production/);
      expect(result.output).not.toMatch(/\n\s+at /);
      expect(result.output).not.toContain('a'.repeat(43));
    } finally {
      await artifact.remove();
    }
  }, 60_000);
});
