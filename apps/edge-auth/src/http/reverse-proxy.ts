import replyFrom from '@fastify/reply-from';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from '@tollgate/service-runtime';
import { IDENTITY_HEADERS, type EdgePipeline } from '../pipeline/edge-pipeline';
import type { KeyHeader } from '../verification/presented-key';
import { sendDecision } from './edge-responses';

export interface ReverseProxyOptions {
  upstreamUrl: string;
  timeoutMs: number;
  /** Headers that carried the key: never forwarded upstream. */
  keyHeaders: readonly KeyHeader[];
}

const IDENTITY_NAMES = Object.values(IDENTITY_HEADERS);
/** Every header edge-auth may set toward the upstream starts with this. */
const TOLLGATE_HEADER_PREFIX = 'x-tollgate-';

/**
 * Reverse-proxy mode: every path that is not one of edge-auth's own (`/healthz`, `/readyz`,
 * `/metrics`, `/verify`) is decided by the pipeline and, when allowed, streamed to the upstream
 * with identity headers added and the key header stripped. The upstream gets the normalised target
 * the decision was made on (see `normaliseRequestTarget`), so it routes what the scope check saw.
 */
export async function reverseProxy(
  app: FastifyInstance,
  pipeline: EdgePipeline,
  options: ReverseProxyOptions,
): Promise<void> {
  await app.register(async (proxy) => {
    await proxy.register(replyFrom, {
      base: options.upstreamUrl,
      undici: { headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs },
      disableRequestLogging: true,
    });
    // Bodies stream through untouched: no parsing, no buffering.
    proxy.removeAllContentTypeParsers();
    proxy.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    proxy.all('/*', { logLevel: 'warn' }, async (request, reply) => {
      const decision = await pipeline.decide({
        method: request.method,
        uri: request.url,
        host: request.headers.host,
        headers: request.headers,
        clientIp: request.ip,
      });
      if (decision.code !== undefined || decision.target === undefined) {
        // The body was never read; drop it so the connection can be reused.
        request.raw.resume();
        return sendDecision(request, reply, decision);
      }
      const identity: Record<string, string> = {};
      const downstream: Record<string, string> = {};
      for (const [name, value] of Object.entries(decision.headers)) {
        if ((IDENTITY_NAMES as string[]).includes(name)) identity[name] = value;
        else downstream[name] = value;
      }
      reply.headers(downstream);
      // Exactly the target the decision was made on (normalised), never the raw one.
      return reply.from(decision.target, {
        rewriteRequestHeaders: (_req, headers) => {
          const forwarded: typeof headers = {};
          for (const [name, value] of Object.entries(headers)) {
            // Clients must not be able to forge anything the upstream trusts from edge-auth.
            if (name.startsWith(TOLLGATE_HEADER_PREFIX)) continue;
            if ((options.keyHeaders as readonly string[]).includes(name)) continue;
            forwarded[name] = value;
          }
          return { ...forwarded, ...identity };
        },
        onError: (errorReply, { error }) => {
          request.log.warn({ err: error }, 'upstream request failed');
          void sendProblem(
            errorReply as never,
            'dependency_unavailable',
            'the upstream API did not answer',
          );
        },
      });
    });
  });
}
