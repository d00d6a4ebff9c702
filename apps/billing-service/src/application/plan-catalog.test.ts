import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyServicePlanCatalog } from './plan-catalog';

/**
 * The catalog client against a local HTTP server standing for key-service's `GET /v1/plans/:id`:
 * what it reads, what it refuses to guess from, and that it sends billing's credential.
 */
const PLAN = {
  planId: 'plan_team',
  versions: [
    {
      version: 1,
      definition: {
        name: 'Team',
        price: {
          currency: 'EUR',
          baseFeeMinor: 9_900,
          includedUnits: 300_000,
          overageTiers: [{ upTo: null, unitPriceMicros: 20_000 }],
        },
      },
      createdAt: '2026-11-01T00:00:00.000Z',
    },
  ],
};
const ANSWERS: Record<string, [number, string]> = {
  '/v1/plans/plan_team': [200, JSON.stringify(PLAN)],
  '/v1/plans/plan_broken': [200, '{"versions":[{"version":1,"definition":{"name":"x"}}]}'],
  '/v1/plans/plan_html': [200, '<html>proxy error</html>'],
  '/v1/plans/plan_failing': [500, '{}'],
};

describe('KeyServicePlanCatalog', () => {
  let server: Server;
  let baseUrl = '';
  const seen: Array<{ url: string; authorization: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const [status, body] = ANSWERS[req.url ?? ''] ?? [404, '{"code":"not_found"}'];
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const catalog = () =>
    new KeyServicePlanCatalog({ baseUrl, serviceToken: 'billing-secret', timeoutMs: 2_000 });

  it("reads a version's price with billing's credential, and keeps it (versions are immutable)", async () => {
    const plans = catalog();
    const expected = {
      planId: 'plan_team',
      planVersion: 1,
      name: 'Team',
      currency: 'EUR',
      baseFeeMinor: 9_900,
      includedUnits: 300_000,
      tiers: [{ upToUnits: null, unitPriceMicros: 20_000 }],
    };
    const before = seen.length;
    expect(await plans.planVersion('plan_team', 1)).toEqual(expected);
    expect(await plans.planVersion('plan_team', 1)).toEqual(expected);
    expect(seen.slice(before)).toEqual([
      { url: '/v1/plans/plan_team', authorization: 'Bearer billing-secret' },
    ]);
  });

  it('answers undefined for a plan or version key-service does not have', async () => {
    expect(await catalog().planVersion('plan_team', 2)).toBeUndefined();
    expect(await catalog().planVersion('plan_nowhere', 1)).toBeUndefined();
  });

  it('refuses to guess: an unreadable or failing answer is 503 dependency_unavailable', async () => {
    for (const planId of ['plan_broken', 'plan_html', 'plan_failing'])
      await expect(catalog().planVersion(planId, 1)).rejects.toMatchObject({
        code: 'dependency_unavailable',
      });
    const unreachable = new KeyServicePlanCatalog({
      baseUrl: 'http://127.0.0.1:1',
      serviceToken: undefined,
      timeoutMs: 2_000,
    });
    await expect(unreachable.planVersion('plan_team', 1)).rejects.toMatchObject({
      code: 'dependency_unavailable',
    });
  });
});
