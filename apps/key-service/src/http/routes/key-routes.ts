import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@tollgate/service-runtime';
import type { KeyServiceContext } from '../context';
import { idempotent } from '../idempotency';
import { accountId, epochMs, keyId, metadata, pageQuery, reasonBody, scopes } from '../schemas';

interface KeyParams {
  keyId: string;
}

const MAX_GRACE_MS = 30 * 24 * 3_600_000;

export async function keyRoutes(
  app: FastifyInstance,
  { commands, queries, db }: KeyServiceContext,
): Promise<void> {
  const params = { type: 'object', required: ['keyId'], properties: { keyId } } as const;
  const found = async (id: string) => {
    const key = await queries.getKey(id);
    if (!key) throw new ProblemError('not_found', `key ${id} does not exist`);
    return key;
  };

  app.post<{
    Params: { accountId: string };
    Body: {
      env: 'live' | 'test';
      scopes?: string[];
      metadata?: Record<string, string>;
      expiresAt?: number | null;
    };
  }>(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Issue a key; the plaintext is in this response only',
        params: { type: 'object', required: ['accountId'], properties: { accountId } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['env'],
          properties: {
            env: { type: 'string', enum: ['live', 'test'] },
            scopes,
            metadata,
            expiresAt: { anyOf: [epochMs, { type: 'null' }] },
          },
        },
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        const issued = await commands.issueKey({
          accountId: request.params.accountId,
          ...request.body,
        });
        const key = await found(issued.keyId);
        return {
          status: 201,
          body: { key, plaintext: issued.plaintext },
          stored: { key, plaintext: null },
        };
      }),
  );

  app.get<{ Params: { accountId: string }; Querystring: { limit: number; cursor?: string } }>(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: "List an account's keys (never plaintext or hash)",
        params: { type: 'object', required: ['accountId'], properties: { accountId } },
        querystring: pageQuery,
      },
    },
    async (request) => {
      if (!(await queries.getAccount(request.params.accountId))) {
        throw new ProblemError('not_found', `account ${request.params.accountId} does not exist`);
      }
      return queries.listKeys(request.params.accountId, request.query.cursor, request.query.limit);
    },
  );

  app.get<{ Params: KeyParams }>(
    '/v1/keys/:keyId',
    { schema: { tags: ['keys'], params } },
    (request) => found(request.params.keyId),
  );

  app.patch<{
    Params: KeyParams;
    Body: { scopes?: string[]; metadata?: Record<string, string>; expiresAt?: number | null };
  }>(
    '/v1/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: 'Change scopes, metadata or expiry (null removes it)',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { scopes, metadata, expiresAt: { anyOf: [epochMs, { type: 'null' }] } },
        },
      },
    },
    async (request) => {
      await commands.updateKey(request.params.keyId, request.body);
      return found(request.params.keyId);
    },
  );

  app.post<{ Params: KeyParams; Body: { graceMs?: number } | undefined }>(
    '/v1/keys/:keyId/rotate',
    {
      schema: {
        tags: ['keys'],
        summary: 'Issue a replacement and revoke this key after a grace period (default 24 h)',
        params,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { graceMs: { type: 'integer', minimum: 0, maximum: MAX_GRACE_MS } },
        },
      },
    },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        const issued = await commands.rotateKey(request.params.keyId, {
          graceMs: request.body?.graceMs,
        });
        const key = await found(issued.keyId);
        return {
          status: 201,
          body: { key, plaintext: issued.plaintext },
          stored: { key, plaintext: null },
        };
      }),
  );

  app.post<{ Params: KeyParams; Body: { reason: string } }>(
    '/v1/keys/:keyId/revoke',
    { schema: { tags: ['keys'], summary: 'Revoke immediately', params, body: reasonBody } },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        await commands.revokeKey(request.params.keyId, request.body.reason);
        return { status: 200, body: await found(request.params.keyId) };
      }),
  );

  app.post<{ Body: { keyHash: string; pepperVersion: number } }>(
    '/v1/key-lookups',
    {
      schema: {
        tags: ['internal'],
        summary:
          "edge-auth's cache-miss lookup by key hash (POST keeps the hash out of URLs and access logs)",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['keyHash', 'pepperVersion'],
          properties: {
            keyHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            pepperVersion: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    async (request) => {
      const state = await queries.lookupByHash(request.body.keyHash, request.body.pepperVersion);
      if (!state) throw new ProblemError('not_found', 'no key has this hash');
      return state;
    },
  );
}
