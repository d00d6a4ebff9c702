import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { problemSchema } from './schemas/problem';

const PROBLEM: OpenAPIV3_1.ReferenceObject = { $ref: '#/components/responses/Problem' };

/**
 * Every error any route sends is problem+json (validation, not found, 503 while starting, 500…), so
 * each operation documents that for 4XX and 5XX instead of each route listing its own.
 */
function withProblemResponses(document: Partial<OpenAPIV3_1.Document>): OpenAPIV3_1.Document {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations ?? {})) {
      if (typeof operation !== 'object' || !('responses' in operation) || !operation.responses)
        continue;
      operation.responses['4XX'] ??= PROBLEM;
      operation.responses['5XX'] ??= PROBLEM;
    }
  }
  return document as OpenAPIV3_1.Document;
}

/**
 * Collects every route's schema into an OpenAPI 3.1 document served at `/openapi.json`, and Swagger
 * UI on it at `/docs`. 3.1 because route schemas are JSON Schema, where a nullable field is
 * `type: ['integer', 'null']`: OpenAPI 3.0 rejects that. Register before the routes it should describe.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  info: { title: string; description: string },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { ...info, version: '1.0.0' },
      components: {
        schemas: { Problem: problemSchema },
        responses: {
          Problem: {
            description: 'RFC 9457 problem details with a stable `code`',
            content: {
              [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } },
            },
          },
        },
      },
    },
    transformObject: (document) =>
      'openapiObject' in document
        ? withProblemResponses(document.openapiObject as Partial<OpenAPIV3_1.Document>)
        : document.swaggerObject,
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  // Its own scope, so the UI's page and static assets log warnings only, not every request.
  await app.register(
    async (docs) => {
      await docs.register(swaggerUi, { routePrefix: '/docs' });
    },
    { logLevel: 'warn' },
  );
}
