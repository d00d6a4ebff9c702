import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@tollgate/test-infra';
import { startEdge, type EdgeUnderTest } from './edge-test-kit';
import { plan, TableTopics, type TableKey } from './table-topics';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request, exactly as given (fetch would normalise the path and add headers). */
export function sendRaw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

type Source = 'nginx' | 'caddy' | 'traefik' | 'envoy';

export interface ForwardAuthEdges<S extends Source> {
  edges: Record<S, EdgeUnderTest>;
  ports: Record<S, number>;
  topics: TableTopics;
  accountId: string;
  close(): Promise<void>;
}

/**
 * One listening edge per forward-auth source (same topics, same overrides otherwise), and an
 * account on a plan allowing `perMinute`; `keys` are issued to it and waited for in every edge.
 */
export async function startForwardAuthEdges<S extends Source>(options: {
  sources: readonly S[];
  topicPrefix: string;
  overrides: Record<string, string>;
  planId: string;
  perMinute: number;
  keys: ReadonlyArray<{ env?: 'live' | 'test'; scopes?: string[] }>;
}): Promise<ForwardAuthEdges<S> & { keys: TableKey[] }> {
  const edges = {} as Record<S, EdgeUnderTest>;
  const ports = {} as Record<S, number>;
  for (const source of options.sources) {
    const edge = await startEdge(
      { url: 'http://127.0.0.1:9', topicPrefix: options.topicPrefix },
      { ...options.overrides, FORWARD_AUTH_SOURCE: source },
    );
    await edge.app.listen({ host: '127.0.0.1', port: 0 });
    edges[source] = edge;
    ports[source] = (edge.app.server.address() as AddressInfo).port;
  }
  const first = edges[options.sources[0] as S];
  const topics = await TableTopics.forEdge(first.config);
  const accountId = await topics.account(plan(options.planId, options.perMinute));
  const keys: TableKey[] = [];
  for (const key of options.keys) keys.push(await topics.key(accountId, key));
  for (const [source, edge] of Object.entries(edges) as Array<[S, EdgeUnderTest]>)
    for (const key of keys)
      await eventually(
        async () =>
          (
            await edge.app.inject({
              url: '/verify/v1/orders/1',
              headers: {
                authorization: `Bearer ${key.plaintext}`,
                // Each edge reads only its own proxy's way of saying it.
                'x-original-uri': '/v1/orders/1',
                'x-forwarded-uri': '/v1/orders/1',
              },
            })
          ).statusCode === 200,
        10_000,
        `key ${key.keyId} in the ${source} edge`,
      );
  return {
    edges,
    ports,
    topics,
    accountId,
    keys,
    async close() {
      await topics.close();
      for (const edge of Object.values<EdgeUnderTest>(edges)) await edge.close();
    },
  };
}
