import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger';
import { createHttpServer } from './create-http-server';
import { registerOpenApi } from './open-api';
import { nullable } from './schemas/nullable';

interface Document {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

let app: FastifyInstance;
const logs: string[] = [];
beforeAll(async () => {
  app = await createHttpServer({
    service: 'test',
    logger: createLogger({
      service: 'test',
      level: 'info',
      destination: { write: (line: string) => void logs.push(line) },
    }),
  });
  await registerOpenApi(app, { title: 'Test', description: 'A test API' });
  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .put(
      '/v1/quota',
      { schema: { body: Type.Object({ quota: nullable(Type.Integer({ minimum: 1 })) }) } },
      (request) => request.body,
    );
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

describe('registerOpenApi', () => {
  it('serves an OpenAPI 3.1 document, where JSON Schema nullables are valid as written', async () => {
    const document = (await app.inject('/openapi.json')).json<Document>();
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/v1/quota']?.put).toMatchObject({
      requestBody: {
        content: {
          'application/json': {
            schema: { properties: { quota: { type: ['integer', 'null'], minimum: 1 } } },
          },
        },
      },
    });
  });

  it('documents problem+json responses on every operation, and only its own routes', async () => {
    const document = (await app.inject('/openapi.json')).json<Document>();
    expect(Object.keys(document.paths)).toEqual(['/v1/quota']);
    expect(document.paths['/v1/quota']?.put?.responses).toMatchObject({
      '4XX': { $ref: '#/components/responses/Problem' },
      '5XX': { $ref: '#/components/responses/Problem' },
    });
    expect(document.components.schemas.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'code', 'detail', 'requestId'],
    });
  });

  it('serves Swagger UI at /docs without logging its requests', async () => {
    logs.length = 0;
    expect((await app.inject('/docs')).statusCode).toBe(200);
    expect((await app.inject('/docs/static/swagger-ui.css')).statusCode).toBe(200);
    expect((await app.inject('/docs/json')).json<Document>().openapi).toBe('3.1.0');
    expect(logs).toEqual([]);
    await app.inject('/openapi.json');
    expect(logs.join('')).toContain('/openapi.json');
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
  });
});
