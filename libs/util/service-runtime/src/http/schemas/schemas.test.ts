import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger';
import { createHttpServer } from '../create-http-server';
import { ERROR_STATUS, type ErrorCode } from '../error-codes';
import { toProblem } from '../problem';
import { idSchemas } from './ids';
import { nullable } from './nullable';
import { pageQuery } from './pagination';
import { problemSchema } from './problem';
import { positiveInt32, safeText } from './text';
import { epochMs, isoMonth } from './time';

const ids = idSchemas({ thing: '^thing_[a-z]{3}$' });

let app: FastifyInstance;
beforeAll(async () => {
  app = await createHttpServer({
    service: 'test',
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/things/:thingId',
    {
      schema: {
        params: Type.Object({ thingId: ids.thing }),
        querystring: pageQuery({ max: 10, default: 5 }),
      },
    },
    (request) => ({ ...request.params, ...request.query }),
  );
  api.post(
    '/things',
    {
      schema: {
        body: Type.Object(
          { at: epochMs, month: isoMonth, quota: nullable(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
      },
    },
    (request) => request.body,
  );
  api.post(
    '/notes',
    {
      schema: {
        body: Type.Object(
          { text: safeText({ maxLength: 20 }), version: Type.Optional(positiveInt32) },
          { additionalProperties: false },
        ),
      },
    },
    (request) => request.body,
  );
});
afterAll(async () => {
  await app?.close();
});

describe('route schema fragments, as Fastify validates them', () => {
  it('fills in the page size and keeps the cursor', async () => {
    const res = await app.inject('/things/thing_abc?cursor=c1');
    expect(res.json()).toEqual({ thingId: 'thing_abc', limit: 5, cursor: 'c1' });
  });

  it.each([
    ['/things/thing_ABC', 'params/thingId must match pattern'],
    ['/things/thing_abc?limit=11', 'querystring/limit must be <= 10'],
    ['/things/thing_abc?limit=0', 'querystring/limit must be >= 1'],
    [
      `/things/thing_abc?cursor=${'c'.repeat(101)}`,
      'querystring/cursor must NOT have more than 100 characters',
    ],
    ['/things/thing_abc?sort=name', 'querystring must NOT have additional properties'],
  ])('refuses %s', async (url, detail) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation_failed',
      detail: expect.stringContaining(detail),
    });
  });

  it('accepts null or a value for a nullable field, with one error for anything else', async () => {
    const body = { at: 0, month: '2026-11' };
    for (const quota of [null, 3]) {
      const ok = await app.inject({ method: 'POST', url: '/things', payload: { ...body, quota } });
      expect(ok.json()).toEqual({ ...body, quota });
    }
    const bad = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { ...body, quota: 'x' },
    });
    expect(bad.json()).toMatchObject({ detail: 'body/quota must be integer,null' });
  });

  it('holds times to epoch milliseconds and ISO months', async () => {
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: '/things', payload: { quota: null, ...payload } });
    expect((await post({ at: 8_640_000_000_001, month: '2026-11' })).statusCode).toBe(400);
    expect((await post({ at: 1.5, month: '2026-11' })).statusCode).toBe(400);
    expect((await post({ at: 0, month: '2026-13' })).statusCode).toBe(400);
    expect((await post({ at: 0, month: '1999-12' })).statusCode).toBe(400);
  });
});

describe('safeText and positiveInt32', () => {
  const post = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/notes',
      payload,
      headers: { 'content-type': 'application/json' },
    });

  it.each([
    ['NUL', String.raw`{"text":"a\u0000b"}`],
    ['a lone high surrogate', String.raw`{"text":"a\ud800"}`],
    ['a lone low surrogate', String.raw`{"text":"\udc00b"}`],
    ['a reversed pair', String.raw`{"text":"\ude00\ud83d"}`],
    ['a version beyond int4', '{"text":"a","version":2147483648}'],
  ])('refuses %s with a 400 at the schema', async (_case, payload) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('accepts other text, surrogate pairs (emoji) included, and the largest int4', async () => {
    const payload = String.raw`{"text":"Ünïcødé \ud83d\ude00 \t\n","version":2147483647}`;
    const res = await post(payload);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ text: 'Ünïcødé 😀 \t\n', version: 2147483647 });
  });

  it('holds page cursors to safe text too', async () => {
    expect((await app.inject('/things/thing_abc?cursor=a%00b')).statusCode).toBe(400);
  });
});

describe('problemSchema', () => {
  it('describes every problem toProblem builds, extensions included', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
      const problem = toProblem(code, 'what went wrong', 'req-1', {
        reason: 'plan_not_found',
        checks: { postgres: 'ok' },
      });
      expect(Value.Check(problemSchema, problem), code).toBe(true);
    }
  });

  it('refuses a code that is not in the error table', () => {
    const problem = { ...toProblem('not_found', 'gone', 'req-1'), code: 'gone' };
    expect(Value.Check(problemSchema, problem)).toBe(false);
  });
});
