import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import type { OpenAPI } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface ValidationDetail {
  instancePath?: string;
  message?: string;
}

/** What swagger-parser finds wrong with an OpenAPI document, one line per error; empty when valid. */
export async function openApiErrors(document: unknown): Promise<string[]> {
  try {
    // validate() dereferences in place: give it a copy so the caller's document stays as served.
    await SwaggerParser.validate(structuredClone(document) as OpenAPI.Document);
    return [];
  } catch (err) {
    const details = (err as { details?: ValidationDetail[] }).details;
    if (!Array.isArray(details)) return [err instanceof Error ? err.message : String(err)];
    return details.map((d) => `${d.instancePath ?? ''} ${d.message ?? ''}`.trim());
  }
}

export interface OpenApiSpec {
  service: string;
  /**
   * Builds the app with real config (the app's test kit); `close` stops it and its dependencies.
   * With `logs` (the app's log lines at info), the test also checks Swagger UI requests stay out of them.
   */
  start(): Promise<{ app: FastifyInstance; logs?: readonly string[]; close: () => Promise<void> }>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, unknown>;
}

/** Every app with routes serves an OpenAPI document that client generators accept, and Swagger UI. */
export function describeOpenApiDocument(spec: OpenApiSpec): void {
  describe(`${spec.service} OpenAPI document`, () => {
    let app: FastifyInstance;
    let logs: readonly string[] | undefined;
    let close: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      ({ app, logs, close } = await spec.start());
    });
    afterAll(async () => {
      await close?.();
    });

    it('validates without errors', async () => {
      const res = await app.inject('/openapi.json');
      expect(res.statusCode).toBe(200);
      const document = res.json<OpenApiDocument>();
      expect(document.openapi).toMatch(/^3\.1\./);
      expect(Object.keys(document.paths).length).toBeGreaterThan(0);
      expect(await openApiErrors(document)).toEqual([]);
    });

    it('serves Swagger UI on that document', async () => {
      const page = await app.inject('/docs');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const assets = await app.inject('/docs/static/swagger-ui-bundle.js');
      expect(assets.statusCode).toBe(200);
      const served = await app.inject('/docs/json');
      expect(served.json()).toEqual((await app.inject('/openapi.json')).json());
      expect(logs?.filter((line) => line.includes('/docs')) ?? []).toEqual([]);
    });
  });
}
