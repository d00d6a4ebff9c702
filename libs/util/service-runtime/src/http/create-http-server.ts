import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { checkReadiness, type Dependency } from '../lifecycle/dependency';
import { createServiceMetrics, type ServiceMetrics } from '../metrics/metrics';
import { installProblemHandlers, sendProblem, type ErrorMapper } from './error-handler';
import { fastLaneServerFactory, type FastLane, type FastLaneSlot } from './fast-lane';
import { requestIdFrom } from './request-id';

export interface HttpServerOptions {
  service: string;
  logger: Logger;
  /** Checked by `/readyz` and closed (in reverse order) when the app closes; read live, not copied. */
  dependencies?: readonly Dependency[];
  /** Extra readiness conditions owned by the app itself, e.g. "caches caught up". */
  readinessGates?: readonly Dependency[];
  readinessTimeoutMs?: number;
  bodyLimitBytes?: number;
  /** Translates the app's own errors into problem+json. */
  mapError?: ErrorMapper;
  /** Fastify `trustProxy`: which proxies' X-Forwarded-For to believe for `request.ip` (default none). */
  trustProxy?: boolean | string | string[];
  /** More Prometheus text for `/metrics`, e.g. from the app's worker threads. */
  extraMetrics?: () => Promise<string>;
  /** Pass metrics created beforehand when clients built before the server must register on them. */
  metrics?: ServiceMetrics;
  /**
   * Build the public server so that `setFastLane` can put a raw handler in front of Fastify. With
   * it, a HOST that resolves to several addresses (`localhost`) binds only the first of them.
   */
  fastLane?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
    /**
     * Installs a fast lane (see FastLane) in front of Fastify's routing, before `listen`. Requests
     * injected in-process (`app.inject`) never take it: they reach the Fastify routes.
     */
    setFastLane(lane: FastLane): void;
  }
}

/**
 * The Fastify instance every Tollgate app starts from: request ids, problem+json errors,
 * `/healthz`, `/readyz`, `/metrics`, and ordered shutdown of the app's dependencies.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  // Read at every check and at close (not copied), so the owner may add app dependencies after creating the server.
  const dependencies = options.dependencies ?? [];
  const gates = options.readinessGates ?? [];
  const readinessTimeoutMs = options.readinessTimeoutMs ?? 1_500;

  // Typed as the base logger so every app shares the default FastifyInstance type.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const fastLane: FastLaneSlot = { lane: undefined };
  const app = Fastify({
    ...(options.fastLane ? { serverFactory: fastLaneServerFactory(fastLane) } : {}),
    loggerInstance,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    forceCloseConnections: 'idle',
    // Unknown fields are a client bug (often a typo): answer 400 instead of silently dropping them.
    ajv: { customOptions: { removeAdditional: false } },
    // Errors the router raises before any route or hook runs (a path that is not valid
    // percent-encoded UTF-8, an overlong path parameter) are problems like every other error.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      const badUrl = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      if (!badUrl) request.log.error({ err: error }, 'unhandled router error');
      void (badUrl
        ? sendProblem(reply, 'bad_request', 'The request URL is not valid')
        : sendProblem(reply, 'internal_error', 'An unexpected error occurred'));
    },
  });

  // Our APIs speak JSON only: anything else is 415 rather than a string body failing validation.
  app.removeContentTypeParser('text/plain');
  const metrics = options.metrics ?? createServiceMetrics(options.service);
  app.decorate('metrics', metrics);
  app.decorate('setFastLane', (lane: FastLane) => {
    if (!options.fastLane) throw new Error('createHttpServer was not asked for a fast lane');
    fastLane.lane = lane;
  });
  installProblemHandlers(app, options.mapError);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // A request still in flight when shutdown began: its answer ends the connection. Otherwise a
  // keep-alive client (a proxy's upstream pool) holds it open and close() waits for its idle
  // timeout, past the shutdown budget.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!app.server.listening) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/healthz', { logLevel: 'silent' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'silent' }, async (_request, reply) => {
    const result = await checkReadiness([...dependencies, ...gates], readinessTimeoutMs);
    if (result.ready) return { status: 'ready', checks: result.checks };
    return sendProblem(reply, 'not_ready', 'One or more dependencies are not ready', {
      checks: result.checks,
    });
  });

  app.get('/metrics', { logLevel: 'silent' }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    const own = await metrics.registry.metrics();
    if (!options.extraMetrics) return own;
    const extra = await options.extraMetrics().catch((err: unknown) => {
      app.log.warn({ err }, 'extra metrics unavailable');
      return '';
    });
    return extra ? `${own}\n${extra}` : own;
  });

  app.addHook('onClose', async () => {
    for (const dependency of [...dependencies].reverse()) {
      try {
        await dependency.close();
      } catch (err) {
        app.log.warn({ err, dependency: dependency.name }, 'error while closing dependency');
      }
    }
  });

  return app;
}
