import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '@tollgate/api-keys';
import { eventually, isolatedServiceEnv } from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';

const CONCURRENCY = 3;

/**
 * key-service's lookup endpoint as a local server that counts what reaches it and holds every
 * answer (404, key not found) until the test releases it.
 */
async function startHeldKeyService() {
  const held: ServerResponse[] = [];
  const stub = { received: [] as string[], inFlight: 0, maxInFlight: 0, holding: true };
  const answer = (res: ServerResponse) => {
    stub.inFlight--;
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ status: 404, code: 'not_found' }));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/key-lookups') {
        res.writeHead(400).end();
        return;
      }
      stub.received.push((JSON.parse(body) as { keyHash: string }).keyHash);
      stub.inFlight++;
      stub.maxInFlight = Math.max(stub.maxInFlight, stub.inFlight);
      if (stub.holding) held.push(res);
      else answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stub,
    hold() {
      stub.holding = true;
    },
    release() {
      stub.holding = false;
      for (const res of held.splice(0)) answer(res);
    },
    reset() {
      stub.received.length = 0;
      stub.maxInFlight = stub.inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** README: unknown keys are asked of key-service with request coalescing and bounded concurrency. */
describe('edge-auth lookups of keys its table does not hold (stub key-service, real Kafka, Redis)', () => {
  const isolated = isolatedServiceEnv('edge_lookups');
  let keyService: Awaited<ReturnType<typeof startHeldKeyService>>;
  let edge: EdgeUnderTest;

  beforeAll(async () => {
    keyService = await startHeldKeyService();
    edge = await startEdge(
      { url: keyService.url, topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
      // Answers are held for as long as the test needs: no lookup may time out meanwhile.
      { LOOKUP_CONCURRENCY: String(CONCURRENCY), LOOKUP_TIMEOUT_MS: '10000' },
    );
  }, 60_000);
  afterAll(async () => {
    keyService?.release();
    await edge?.close();
    await keyService?.close();
    await isolated.cleanup();
  });

  const verify = (key: string) =>
    edge.app.inject({
      url: '/verify',
      headers: { authorization: `Bearer ${key}`, 'x-original-uri': '/v1/x' },
    });

  it('asks key-service once for the same unknown key presented by many requests at once', async () => {
    keyService.reset();
    keyService.hold();
    const key = generateApiKey({ env: 'live' }).plaintext;
    const answers = Promise.all(Array.from({ length: 20 }, () => verify(key)));
    await eventually(() => keyService.stub.received.length > 0, 10_000, 'the first lookup');
    keyService.release();
    const settled = await answers;
    expect(settled.map((r) => `${r.statusCode} ${r.json<{ code: string }>().code}`)).toEqual(
      Array.from({ length: 20 }, () => '401 key_invalid'),
    );
    expect(keyService.stub.received).toHaveLength(1);
  });

  it(`keeps at most ${CONCURRENCY} lookups in flight; the others are refused at once with 503`, async () => {
    keyService.reset();
    keyService.hold();
    const keys = Array.from({ length: 10 }, () => generateApiKey({ env: 'live' }).plaintext);
    const answered: Array<Awaited<ReturnType<typeof verify>>> = [];
    const all = Promise.all(keys.map((k) => verify(k).then((r) => (answered.push(r), r))));
    // Refused while the first ones are still held: the bound answers, it does not queue.
    await eventually(
      () =>
        keyService.stub.inFlight === CONCURRENCY && answered.length === keys.length - CONCURRENCY,
      10_000,
      () =>
        `${CONCURRENCY} held lookups and ${keys.length - CONCURRENCY} answers (${answered.length})`,
    );
    for (const res of answered) {
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toMatchObject({ code: 'dependency_unavailable' });
    }
    keyService.release();
    const settled = await all;
    expect(settled.filter((r) => r.statusCode === 401)).toHaveLength(CONCURRENCY);
    expect(keyService.stub.maxInFlight).toBe(CONCURRENCY);
    expect(keyService.stub.received).toHaveLength(CONCURRENCY);
    // Room again once they are answered.
    expect((await verify(generateApiKey({ env: 'live' }).plaintext)).statusCode).toBe(401);
  });
});
