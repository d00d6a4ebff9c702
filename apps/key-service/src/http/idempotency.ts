import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from '@tollgate/service-runtime';
import type { Database } from '@tollgate/postgres';
import { idempotencyStore } from '../persistence/idempotency-store';

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * JSON with object keys in code-unit order at every depth (RFC 8785's ordering; numbers and
 * strings as JSON.stringify writes them), so the same request sent with its fields in another
 * order hashes the same. Array order is kept: it is part of what was asked.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface IdempotentResult {
  status: number;
  body: Record<string, unknown>;
  /** What a replay returns instead of `body` (e.g. without a plaintext key, which is never stored). */
  stored?: Record<string, unknown>;
}

/**
 * `Idempotency-Key` support for POSTs: the first request's status and body are stored with a hash
 * of the request; a retry with the same key and the same request gets them back (header
 * `Idempotent-Replayed: true`), a different request with the same key is refused, and a retry
 * while the first is still running gets 409. A request that failed stores nothing, so it can be retried.
 */
export async function idempotent(
  db: Database,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<IdempotentResult>,
): Promise<unknown> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) {
    const result = await run();
    return reply.code(result.status).send(result.body);
  }
  if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
    throw new ProblemError(
      'bad_request',
      'Idempotency-Key must be 1-200 characters of [A-Za-z0-9_.:-]',
    );
  }
  const scope = `${request.method} ${request.routeOptions.url ?? ''}`;
  const requestHash = createHash('sha256')
    .update(canonicalJson({ params: request.params, body: request.body ?? null }))
    .digest('hex');
  if (!(await idempotencyStore.claim(db.sql, scope, header, requestHash))) {
    const existing = await idempotencyStore.find(db.sql, scope, header);
    if (!existing || existing.request_hash !== requestHash) {
      throw new ProblemError(
        'conflict',
        'This Idempotency-Key was already used for a different request',
        { reason: 'idempotency_key_reused' },
      );
    }
    if (existing.status_code === 0) {
      throw new ProblemError(
        'conflict',
        'A request with this Idempotency-Key is still in progress',
        { reason: 'idempotency_in_progress' },
      );
    }
    return reply
      .code(existing.status_code)
      .header('idempotent-replayed', 'true')
      .send(existing.response);
  }
  try {
    const result = await run();
    await idempotencyStore.complete(db.sql, scope, header, {
      status: result.status,
      response: result.stored ?? result.body,
    });
    return reply.code(result.status).send(result.body);
  } catch (err) {
    await idempotencyStore.release(db.sql, scope, header);
    throw err;
  }
}
