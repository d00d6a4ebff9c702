import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AdminContext } from '../context';
import { forward, forwardedHeaders, withQuery } from './forward';
import { accountId, accountSearch, reasonBody } from './schemas';

interface AccountView {
  accountId: string;
  name: string;
}

/** key-service's `q` for the one account a scoped token sees: a name prefix in any case, or the id. */
const matches = (account: AccountView, q: string | undefined) =>
  !q?.trim() ||
  account.accountId === q.trim() ||
  account.name.toLowerCase().startsWith(q.trim().toLowerCase());

interface KeyPage {
  items: Array<{ keyId: string; status: string }>;
  nextCursor: string | null;
}

/** The account routes that are more than a forward: scoped listing and bulk revocation. */
export async function accountRoutes(app: FastifyInstance, { keyService }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ accountId });
  const tags = ['accounts'];

  api.get(
    '/v1/accounts',
    {
      schema: {
        tags,
        summary:
          'List accounts (an account-scoped token sees its own); `q` finds names starting with it (any case) or the account with that id',
        querystring: accountSearch,
      },
    },
    async (request, reply) => {
      const scoped = request.principal!.accountId;
      if (!scoped)
        return forward(keyService, request, reply, 'GET', withQuery(request, '/v1/accounts'));
      const own = await keyService.call<AccountView>('GET', `/v1/accounts/${scoped}`);
      const found = own.status === 200 && matches(own.body, request.query.q);
      return { items: found ? [own.body] : [], nextCursor: null };
    },
  );

  api.post(
    '/v1/accounts/:accountId/revoke-all-keys',
    {
      schema: {
        tags,
        summary: 'Incident response: revoke every key of an account at once',
        params,
        body: reasonBody,
      },
    },
    async (request) => {
      const { accountId: id } = request.params;
      await keyService.expect('GET', `/v1/accounts/${id}`);
      const revoked: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=100&cursor=${cursor}` : '?limit=100';
        const { body }: { body: KeyPage } = await keyService.expect<KeyPage>(
          'GET',
          `/v1/accounts/${id}/keys${query}`,
        );
        for (const key of body.items) {
          if (key.status === 'revoked') continue;
          await keyService.expect(
            'POST',
            `/v1/keys/${key.keyId}/revoke`,
            { reason: request.body.reason },
            forwardedHeaders(request),
          );
          revoked.push(key.keyId);
        }
        cursor = body.nextCursor;
      } while (cursor);
      return { accountId: id, revokedKeyIds: revoked };
    },
  );
}
