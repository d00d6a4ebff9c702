import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '@tollgate/api-keys';
import { isolatedServiceEnv, type IsolatedServiceEnv } from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';

/** Header values inject accepts: visible ASCII and spaces (what an HTTP parser lets through). */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});

/** A real-looking key with one character changed, dropped, or added. */
const mutatedKey = fc
  .tuple(
    fc.constantFrom('live', 'test'),
    fc.nat(),
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.constantFrom('replace', 'drop', 'insert'),
  )
  .map(([env, position, code, how]) => {
    const key = generateApiKey({ env: env }).plaintext;
    const at = position % key.length;
    const c = String.fromCharCode(code);
    if (how === 'drop') return key.slice(0, at) + key.slice(at + 1);
    if (how === 'insert') return key.slice(0, at) + c + key.slice(at);
    const other = key[at] !== c ? c : c === 'A' ? 'B' : 'A';
    return key.slice(0, at) + other + key.slice(at + 1);
  });

describe('edge-auth parses hostile keys and headers without failing (fast-check)', () => {
  let edge: EdgeUnderTest;
  let isolated: IsolatedServiceEnv;
  beforeAll(async () => {
    isolated = isolatedServiceEnv('edge_fuzz');
    // No key-service: a mutated key must never get as far as a lookup (checksum first).
    edge = await startEdge({
      url: 'http://127.0.0.1:9',
      topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX,
    });
  }, 60_000);
  afterAll(async () => {
    await edge?.close();
    await isolated?.cleanup();
  });

  it('answers every request with a 4xx problem, never a 5xx or a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(mutatedKey, headerValue),
        fc.constantFrom('authorization', 'x-api-key'),
        fc.boolean(),
        headerValue,
        fc.constantFrom('GET', 'POST', 'DELETE', 'BREW', ''),
        async (key, header, bearer, uri, method) => {
          const res = await edge.app.inject({
            method: 'GET',
            url: '/verify',
            headers: {
              [header]: header === 'authorization' && bearer ? `Bearer ${key}` : key,
              'x-original-uri': uri,
              'x-original-method': method,
            },
          });
          expect(res.statusCode).toBeGreaterThanOrEqual(400);
          expect(res.statusCode).toBeLessThan(500);
          expect(res.headers['content-type']).toContain('application/problem+json');
          expect(res.body).not.toMatch(/\s+at\s+\S+\s+\(/);
        },
      ),
      { numRuns: 400 },
    );
  });
});
