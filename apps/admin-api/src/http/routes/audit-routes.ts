import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { epochMs, safeText } from '@tollgate/service-runtime';
import { auditEvents } from '../../persistence/audit-log';
import type { AdminContext } from '../context';

const EXPORT_BATCH = 500;
const EXPORT_MAX = 100_000;

export async function auditRoutes(app: FastifyInstance, { db }: AdminContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const filters = {
    actor: Type.Optional(safeText({ maxLength: 100 })),
    action: Type.Optional(safeText({ maxLength: 100 })),
    target: Type.Optional(safeText({ maxLength: 100 })),
    from: Type.Optional(epochMs),
    to: Type.Optional(epochMs),
  };

  api.get(
    '/v1/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log, oldest first (cursor = last seq seen)',
        querystring: Type.Object(
          {
            ...filters,
            cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { cursor, limit, ...rest } = request.query;
      const rows = await auditEvents(db.sql, {
        ...rest,
        afterSeq: cursor,
        limit: limit + 1,
      });
      const items = rows.slice(0, limit);
      return {
        items,
        nextCursor: rows.length > limit && items.length > 0 ? items.at(-1)!.seq : null,
      };
    },
  );

  api.get(
    '/v1/audit-events/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log as JSON Lines (at most 100,000 records per export)',
        querystring: Type.Object(filters, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const lines: string[] = [];
      let afterSeq: string | undefined;
      for (;;) {
        const rows = await auditEvents(db.sql, {
          ...request.query,
          afterSeq,
          limit: EXPORT_BATCH,
        });
        for (const row of rows) lines.push(JSON.stringify(row));
        if (rows.length < EXPORT_BATCH || lines.length >= EXPORT_MAX) break;
        afterSeq = rows.at(-1)!.seq;
      }
      return reply.type('application/x-ndjson').send(lines.length ? `${lines.join('\n')}\n` : '');
    },
  );
}
