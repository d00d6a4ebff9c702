// Child process for run-service.int.test.ts: an app on `runService` and `createHttpServer`, as
// every app's main.ts is, with a request that stays in flight until the process is told to stop, and (HANG_ON_CLOSE) a
// dependency that never finishes closing.
import { z } from 'zod';
import { createHttpServer, createLogger, runService } from '@tollgate/service-runtime';

const Config = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().default(0),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().default(10_000),
  HANG_ON_CLOSE: z.enum(['true', 'false']).default('false'),
});

const stopping = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));

await runService({
  service: 'run-service-fixture',
  configSchema: Config,
  build: async (config) => {
    const app = await createHttpServer({
      service: 'run-service-fixture',
      logger: createLogger({ service: 'run-service-fixture', level: 'info' }),
    });
    // In flight until SIGTERM arrives, then it completes: shutdown must wait for it.
    app.get('/in-flight', async () => {
      app.log.info('in-flight request started');
      await stopping;
      return { finished: true };
    });
    app.addHook('onClose', async () => {
      // A dependency whose close never finishes (and keeps the process alive, as a socket would).
      if (config.HANG_ON_CLOSE === 'true')
        await new Promise(() => setInterval(() => undefined, 1_000));
    });
    return app;
  },
});
