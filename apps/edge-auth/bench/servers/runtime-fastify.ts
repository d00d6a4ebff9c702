// Diagnostic target (BENCH_DIAGNOSTIC=1): the Fastify every Tollgate app starts from
// (createHttpServer: request ids, problem+json, the request-duration histogram, our pino logger
// with redaction) with one route answering what edge-auth answers on an allowed /verify: 200,
// no body, the rate-limit and identity headers, at `logLevel: 'warn'`. It separates what the
// shared HTTP plumbing costs from what edge-auth's own decision costs.
import { createHttpServer, createLogger } from '@tollgate/service-runtime';

const HEADERS = {
  'RateLimit-Policy': '"per-second";q=1000000000;w=1, "per-minute";q=1000000000;w=60',
  RateLimit: '"per-second";r=999999999;t=1',
  'X-RateLimit-Limit': '1000000000',
  'X-RateLimit-Remaining': '999999999',
  'X-RateLimit-Reset': '1',
  'x-tollgate-account-id': 'acct_01JDQ3W8Y6T4K2M9N7P5R3S1V2',
  'x-tollgate-key-id': 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
  'x-tollgate-plan': 'plan_pro@1',
  'x-tollgate-key-env': 'live',
  'x-tollgate-endpoint': 'unmatched',
};

const app = await createHttpServer({
  service: 'bench-runtime',
  logger: createLogger({ service: 'bench-runtime', level: 'info' }),
});
app.all('/verify', { logLevel: 'warn' }, async (_request, reply) => reply.headers(HEADERS).send());
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
