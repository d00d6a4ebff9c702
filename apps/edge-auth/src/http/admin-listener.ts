import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@tollgate/service-runtime';

export interface AdminListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Production: a port that cannot be bound fails the start. Otherwise (a developer's machine, a
   * test run with several edges) a taken port falls back to a free one, with a warning.
   */
  strict: boolean;
}

/** What the admin port serves; everything else there is 404. */
const ADMIN_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
/** What the public port no longer serves (it keeps `/healthz` and a `/readyz` without details). */
const ADMIN_ONLY_ROUTES = new Set(['/metrics']);

/**
 * edge-auth's public port faces API clients, so operational endpoints move to a second listener
 * (`ADMIN_HOST:ADMIN_PORT`, loopback by default) that runs the same Fastify app:
 *
 * - `/metrics` only on the admin port (metrics name endpoints, plans and internals);
 * - `/readyz` on both: load balancers route on it, but the public answer says only which checks
 *   fail, not why (error messages name internal hosts and ports);
 * - `/healthz` on both: container health checks and load balancers probe the public port.
 *
 * Requests are told apart by the socket they arrived on; in-process `inject` (tests, the shared
 * service contract) reaches every route, as it is not a network client.
 */
export function adminListener(app: FastifyInstance, options: AdminListenerOptions) {
  const publicSockets = new WeakSet<Socket>();
  const adminSockets = new WeakSet<Socket>();
  app.server.on('connection', (socket: Socket) => publicSockets.add(socket));

  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? '';
    const socket = request.raw.socket;
    if (adminSockets.has(socket) && !ADMIN_ROUTES.has(route))
      throw new ProblemError('not_found', 'the admin port serves /healthz, /readyz and /metrics');
    if (publicSockets.has(socket) && ADMIN_ONLY_ROUTES.has(route))
      throw new ProblemError('not_found', `${route} is served on the admin port`);
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.routeOptions.url !== '/readyz' || !publicSockets.has(request.raw.socket))
      return payload;
    return withoutReadinessDetails(payload);
  });

  let server: Server | undefined;
  return {
    /** Starts the admin listener; resolves with its address. */
    async listen(): Promise<string> {
      const admin = createServer((req, res) => app.routing(req, res));
      admin.on('connection', (socket: Socket) => adminSockets.add(socket));
      try {
        await bind(admin, options.port, options.host);
      } catch (err) {
        if (options.strict || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        app.log.warn(
          { port: options.port },
          'admin port %d is taken; serving /metrics on a free port instead (production fails here)',
          options.port,
        );
        await bind(admin, 0, options.host);
      }
      server = admin;
      const { address, port } = admin.address() as AddressInfo;
      const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      app.log.info({ url }, `admin listener (/healthz /readyz /metrics) at ${url}`);
      return url;
    },
    async close(): Promise<void> {
      const admin = server;
      server = undefined;
      if (!admin) return;
      admin.closeIdleConnections();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
    },
  };
}

function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** `/readyz` for the public port: which checks fail, not their error messages. */
function withoutReadinessDetails(payload: unknown): unknown {
  if (typeof payload !== 'string') return payload;
  try {
    const body = JSON.parse(payload) as { checks?: Record<string, string> };
    if (!body.checks) return payload;
    for (const name of Object.keys(body.checks))
      body.checks[name] = body.checks[name] === 'ok' ? 'ok' : 'failing';
    return JSON.stringify(body);
  } catch {
    return payload;
  }
}
