import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServiceArtifact,
  infraEnv,
  isolatedServiceEnv,
  runToExit,
} from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from '../testing/edge-test-kit';

/** The admin listener's address, from its start-up log line. */
function adminUrl(edge: EdgeUnderTest): string {
  const line = edge.logs.find((l) => l.includes('admin listener'));
  const url = line ? (JSON.parse(line) as { url?: string }).url : undefined;
  if (!url) throw new Error('no admin listener line in the logs');
  return url;
}

describe('edge-auth serves metrics on its admin port, not on the public one', () => {
  const isolated = isolatedServiceEnv('edge_admin');
  let edge: EdgeUnderTest;
  let publicUrl: string;
  let admin: string;

  beforeAll(async () => {
    edge = await startEdge({
      url: 'http://127.0.0.1:9',
      topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX,
    });
    await edge.app.listen({ host: '127.0.0.1', port: 0 });
    publicUrl = `http://127.0.0.1:${(edge.app.server.address() as AddressInfo).port}`;
    admin = adminUrl(edge);
  }, 60_000);
  afterAll(async () => {
    await edge?.close();
    await isolated.cleanup();
  });

  it('answers /metrics on the admin port only', async () => {
    const onPublic = await fetch(`${publicUrl}/metrics`);
    expect(onPublic.status).toBe(404);
    expect(onPublic.headers.get('content-type')).toContain('application/problem+json');
    expect(await onPublic.json()).toMatchObject({ code: 'not_found' });

    const onAdmin = await fetch(`${admin}/metrics`);
    expect(onAdmin.status).toBe(200);
    expect(await onAdmin.text()).toContain('edge_decisions_total');
  });

  it('keeps /healthz on both, and /readyz on both with details only on the admin port', async () => {
    for (const base of [publicUrl, admin])
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = (await (await fetch(`${publicUrl}/readyz`)).json()) as {
      checks: Record<string, string>;
    };
    expect(Object.values(ready.checks).every((v) => v === 'ok')).toBe(true);
    expect((await fetch(`${admin}/readyz`)).status).toBe(200);
  });

  it('serves nothing else on the admin port', async () => {
    for (const path of ['/verify', '/v1/orders/1', '/openapi.json']) {
      const res = await fetch(`${admin}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });

  it('outside production, falls back to a free port when the admin port is taken', async () => {
    const second = await startEdge(
      { url: 'http://127.0.0.1:9', topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
      { ADMIN_PORT: new URL(admin).port },
    );
    try {
      await second.app.listen({ host: '127.0.0.1', port: 0 });
      expect(adminUrl(second)).not.toBe(admin);
      expect((await fetch(`${adminUrl(second)}/metrics`)).status).toBe(200);
      expect(second.logs.some((l) => l.includes('is taken'))).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('says on the public port which checks fail, but not why', async () => {
    const down = await startEdge(
      { url: 'http://127.0.0.1:9', topicPrefix: isolated.env.KAFKA_TOPIC_PREFIX },
      { KAFKA_BROKERS: '127.0.0.1:1' },
      { waitUntilReady: false },
    );
    try {
      await down.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (down.app.server.address() as AddressInfo).port;
      const onPublic = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(onPublic.status).toBe(503);
      const publicBody = (await onPublic.json()) as { checks: Record<string, string> };
      expect(publicBody.checks['kafka']).toBe('failing');
      const onAdmin = (await (await fetch(`${adminUrl(down)}/readyz`)).json()) as {
        checks: Record<string, string>;
      };
      expect(onAdmin.checks['kafka']).not.toBe('failing');
      expect(onAdmin.checks['kafka']).not.toBe('ok');
    } finally {
      await down.close();
    }
  });

  it('refuses to start in production (exit 1) when the admin port cannot be bound', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const artifact = await buildServiceArtifact('apps/edge-auth');
    try {
      const result = await runToExit(artifact.entry, {
        ...infraEnv(),
        ...isolated.env,
        PORT: '0',
        ADMIN_PORT: String((taken.address() as AddressInfo).port),
        NODE_ENV: 'production',
        KEY_PEPPERS: `1:${'p'.repeat(40)}`,
        FORWARD_AUTH_SOURCE: 'nginx',
        ALLOW_UNSCOPED_TRAFFIC: 'true',
      });
      expect(result.code).toBe(1);
      expect(result.output).toContain('EADDRINUSE');
    } finally {
      taken.close();
      await artifact.remove();
    }
  }, 60_000);
});
