import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * Collects every route's schema into an OpenAPI 3 document served at `/openapi.json`.
 * Register before the routes it should describe.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  info: { title: string; description: string },
): Promise<void> {
  await app.register(swagger, { openapi: { info: { ...info, version: '1.0.0' } } });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
