import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { epochMs, nullable, positiveInt32, ProblemError } from '@tollgate/service-runtime';
import type { KeyServiceContext } from '../context';
import { idempotent } from '../idempotency';
import { accountId, keyId, keyName, metadata, page, reasonBody, scopes } from '../schemas';

const MAX_GRACE_MS = 30 * 24 * 3_600_000;

export async function keyRoutes(
  app: FastifyInstance,
  { commands, queries, db }: KeyServiceContext,
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ keyId });
  const accountParams = Type.Object({ accountId });
  // One schema typed [integer, null], not anyOf: Fastify's Ajv coerces types, and in an anyOf the
  // integer branch turned null into 0 ("expiry in the past") before the null branch was tried.
  const expiresAt = nullable(epochMs);
  const found = async (id: string) => {
    const key = await queries.getKey(id);
    if (!key) throw new ProblemError('not_found', `key ${id} does not exist`);
    return key;
  };

  api.post(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Issue a key; the plaintext is in this response only',
        params: accountParams,
        body: Type.Object(
          {
            env: Type.Enum(['live', 'test'], { type: 'string' }),
            name: Type.Optional(keyName),
            scopes: Type.Optional(scopes),
            metadata: Type.Optional(metadata),
            expiresAt: Type.Optional(expiresAt),
          },
          { additionalProperties: false },
        ),
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

  api.get(
    '/v1/accounts/:accountId/keys',
    {
      schema: {
        tags: ['keys'],
        summary: "List an account's keys (never plaintext or hash)",
        params: accountParams,
        querystring: page,
      },
    },
    async (request) => {
      if (!(await queries.getAccount(request.params.accountId))) {
        throw new ProblemError('not_found', `account ${request.params.accountId} does not exist`);
      }
      return queries.listKeys(request.params.accountId, request.query.cursor, request.query.limit);
    },
  );

  api.get('/v1/keys/:keyId', { schema: { tags: ['keys'], params } }, (request) =>
    found(request.params.keyId),
  );

  api.patch(
    '/v1/keys/:keyId',
    {
      schema: {
        tags: ['keys'],
        summary: 'Change the name, scopes, metadata or expiry (null removes the name or expiry)',
        params,
        body: Type.Object(
          {
            name: Type.Optional(keyName),
            scopes: Type.Optional(scopes),
            metadata: Type.Optional(metadata),
            expiresAt: Type.Optional(expiresAt),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
      },
    },
    async (request) => {
      await commands.updateKey(request.params.keyId, request.body);
      return found(request.params.keyId);
    },
  );

  api.post(
    '/v1/keys/:keyId/rotate',
    {
      schema: {
        tags: ['keys'],
        summary: 'Issue a replacement and revoke this key after a grace period (default 24 h)',
        params,
        body: nullable(
          Type.Object(
            { graceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_MS })) },
            { additionalProperties: false },
          ),
        ),
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

  api.post(
    '/v1/keys/:keyId/revoke',
    { schema: { tags: ['keys'], summary: 'Revoke immediately', params, body: reasonBody } },
    (request, reply) =>
      idempotent(db, request, reply, async () => {
        await commands.revokeKey(request.params.keyId, request.body.reason);
        return { status: 200, body: await found(request.params.keyId) };
      }),
  );

  api.post(
    '/v1/key-lookups',
    {
      schema: {
        tags: ['internal'],
        summary:
          "edge-auth's cache-miss lookup by key hash (POST keeps the hash out of URLs and access logs)",
        body: Type.Object(
          {
            keyHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            pepperVersion: positiveInt32,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const state = await queries.lookupByHash(request.body.keyHash, request.body.pepperVersion);
      if (!state) throw new ProblemError('not_found', 'no key has this hash');
      return state;
    },
  );
}
