import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { safeText } from '@tollgate/service-runtime';
import type { accountWebhookCommands } from '../../application/webhook-notifications';
import { accountId } from '../schemas';

/** An account's notification webhook: set (the signing secret is in that answer only), read, remove. */
export async function webhookRoutes(
  app: FastifyInstance,
  { webhooks }: { webhooks: ReturnType<typeof accountWebhookCommands> },
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ accountId });
  const path = '/v1/accounts/:accountId/notification-webhook';
  const tags = ['accounts'];

  api.put(
    path,
    {
      schema: {
        tags,
        summary:
          "Set the account's notification webhook (leaked keys); the signing secret is in this answer only",
        params,
        body: Type.Object(
          { url: safeText({ minLength: 1, maxLength: 2048 }) },
          { additionalProperties: false },
        ),
      },
    },
    (request) => webhooks.setWebhook(request.params.accountId, request.body.url),
  );
  api.get(
    path,
    {
      schema: {
        tags,
        summary: "The account's notification webhook and its recent deliveries (never the secret)",
        params,
      },
    },
    (request) => webhooks.getWebhook(request.params.accountId),
  );
  api.delete(
    path,
    { schema: { tags, summary: "Remove the account's notification webhook", params } },
    async (request, reply) => {
      await webhooks.removeWebhook(request.params.accountId);
      return reply.code(204).send();
    },
  );
}
