// The peer a team would otherwise build: Fastify + @fastify/rate-limit with its Redis store and a
// SHA-256 lookup of the X-API-Key header in an in-memory Map (BENCH_KEY is the one valid key).
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const keys = new Map([[sha256(process.env.BENCH_KEY ?? ''), { accountId: 'acct_bench' }]]);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
});

const app = Fastify({ logger: { level: 'info' }, disableRequestLogging: true });
app.addHook('onRequest', async (request, reply) => {
  const key = request.headers['x-api-key'];
  const found = typeof key === 'string' ? keys.get(sha256(key)) : undefined;
  if (!found) return reply.code(401).send({ code: 'key_invalid' });
  request.headers['x-account-id'] = found.accountId;
});
await app.register(rateLimit, {
  redis,
  nameSpace: `bench-peer-${process.pid}-`,
  max: 1_000_000_000,
  timeWindow: 60_000,
  keyGenerator: (request) => String(request.headers['x-account-id']),
});
app.get('/', async () => ({ hello: 'world' }));
app.addHook('onClose', async () => {
  redis.disconnect();
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
