// Benchmark ceiling: the smallest Fastify server (hello world), on PORT.
import Fastify from 'fastify';

const app = Fastify({ logger: { level: 'info' }, disableRequestLogging: true });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
