import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@tollgate/service-runtime';
import { EdgeAuthConfig, forwardAuthSourceOf } from './config';

const PRODUCTION = {
  NODE_ENV: 'production',
  KEY_PEPPERS: `1:${'p'.repeat(40)}`,
  FORWARD_AUTH_SOURCE: 'nginx',
  ENDPOINTS: JSON.stringify([{ path: '/v1/*', name: 'api', scopes: ['api'] }]),
};

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(EdgeAuthConfig, env);
    return [];
  } catch (err) {
    return err instanceof ConfigError ? err.problems : [String(err)];
  }
};

describe('edge-auth config', () => {
  it('accepts live keys only, and serves metrics on 127.0.0.1:9080, by default', () => {
    const config = loadConfig(EdgeAuthConfig, {});
    expect(config.ACCEPTED_KEY_ENVS).toEqual(['live']);
    expect(config.ADMIN_HOST).toBe('127.0.0.1');
    expect(config.ADMIN_PORT).toBe(9080);
    expect(config.TEST_KEY_MONTHLY_QUOTA).toBe(10_000);
    expect(forwardAuthSourceOf(config)).toBe('nginx');
  });

  it('needs KEY_PEPPERS in production (the development pepper is never used there)', () => {
    const { KEY_PEPPERS: _omitted, ...withoutPeppers } = PRODUCTION;
    expect(problems(withoutPeppers)).toEqual([
      expect.stringMatching(/^KEY_PEPPERS: is required in production/),
    ]);
    expect(problems({ KEY_PEPPERS: 'not-a-pepper' })).toHaveLength(1);
  });

  it('refuses to start in production without ENDPOINTS unless unscoped traffic is chosen', () => {
    expect(problems(PRODUCTION)).toEqual([]);
    const { ENDPOINTS: _omitted, ...withoutEndpoints } = PRODUCTION;
    expect(problems(withoutEndpoints)).toEqual([
      expect.stringMatching(/^ENDPOINTS: is required in production.*ALLOW_UNSCOPED_TRAFFIC=true/),
    ]);
    expect(problems({ ...withoutEndpoints, ALLOW_UNSCOPED_TRAFFIC: 'true' })).toEqual([]);
    // Outside production the unscoped default stays.
    expect(problems({ ENDPOINTS: '[]' })).toEqual([]);
  });

  it('needs FORWARD_AUTH_SOURCE in production unless it only reverse-proxies', () => {
    const { FORWARD_AUTH_SOURCE: _omitted, ...withoutSource } = PRODUCTION;
    expect(problems(withoutSource)).toEqual([
      expect.stringMatching(/^FORWARD_AUTH_SOURCE: is required in production/),
    ]);
    const proxyOnly = loadConfig(EdgeAuthConfig, {
      ...withoutSource,
      UPSTREAM_URL: 'http://127.0.0.1:3000',
    });
    expect(forwardAuthSourceOf(proxyOnly)).toBe('none');
    expect(problems({ ...PRODUCTION, FORWARD_AUTH_SOURCE: 'apache' })).toHaveLength(1);
  });

  it('bounds the test-key limits like any plan', () => {
    expect(
      problems({
        TEST_KEY_RATE_LIMITS: JSON.stringify([{ name: 'monthly-quota', limit: 1, windowMs: 1000 }]),
      }),
    ).toHaveLength(1);
    expect(
      problems({
        TEST_KEY_RATE_LIMITS: JSON.stringify([{ name: 'x', limit: 1e13, windowMs: 1000 }]),
      }),
    ).toHaveLength(1);
    expect(problems({ TEST_KEY_MONTHLY_QUOTA: 'none' })).toEqual([]);
    expect(problems({ TEST_KEY_MONTHLY_QUOTA: '0' })).toHaveLength(1);
  });

  it('refuses half-configured Kafka SASL at start (the metering thread uses the same settings)', () => {
    expect(problems({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'edge' })).toHaveLength(
      1,
    );
    expect(problems({ KAFKA_SASL_USERNAME: 'edge', KAFKA_SASL_PASSWORD: 'secret' })).toHaveLength(
      1,
    );
    const secret = 'never-echoed-sasl-password';
    expect(JSON.stringify(problems({ KAFKA_SASL_PASSWORD: secret }))).not.toContain(secret);
    expect(
      problems({
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'edge',
        KAFKA_SASL_PASSWORD: secret,
        KAFKA_SSL: 'true',
      }),
    ).toEqual([]);
  });
});
