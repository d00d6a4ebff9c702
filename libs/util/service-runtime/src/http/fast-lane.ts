import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyServerFactory } from 'fastify';

/**
 * A handler that answers some requests on the raw Node server before Fastify sees them, and
 * returns false for every request it does not take (Fastify then routes it as usual). Only for a
 * hot path whose every answer is also served, identically, by a Fastify route: the lane skips
 * Fastify's per-request objects, hooks and routing, which cost more than the decision itself.
 */
export type FastLane = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface FastLaneSlot {
  lane: FastLane | undefined;
}

interface ServerTimeouts {
  keepAliveTimeout: number;
  requestTimeout: number;
  connectionTimeout: number;
  maxRequestsPerSocket: number;
}

/**
 * The HTTP/1 server Fastify would create itself (same timeouts), with the app's fast lane (if
 * any) consulted before Fastify's handler. The lane is installed later, via `slot`.
 */
export function fastLaneServerFactory(slot: FastLaneSlot): FastifyServerFactory {
  return (handler, fastifyOptions) => {
    // Fastify has filled in its defaults for these by the time it calls the factory.
    const options = fastifyOptions as unknown as ServerTimeouts;
    const server: Server = createServer((request, response) => {
      // A closing server answers through Fastify, which refuses new requests with 503.
      if (slot.lane === undefined || !server.listening || !slot.lane(request, response))
        handler(request, response);
    });
    server.keepAliveTimeout = options.keepAliveTimeout;
    server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout);
    if (options.maxRequestsPerSocket > 0)
      server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}

/** `request.ip` as Fastify computes it for the same `trustProxy`, for requests a fast lane answers. */
export function clientIpResolver(
  trustProxy: boolean | string | string[],
): (request: IncomingMessage) => string {
  if (trustProxy === false) return (request) => request.socket.remoteAddress ?? '';
  const trust =
    trustProxy === true
      ? () => true
      : proxyAddr.compile(
          typeof trustProxy === 'string' ? trustProxy.split(',').map((s) => s.trim()) : trustProxy,
        );
  return (request) => proxyAddr(request, trust);
}
