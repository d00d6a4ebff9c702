import { runService } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { AdminApiConfig } from './config';

await runService({
  service: SERVICE,
  configSchema: AdminApiConfig,
  build: (config) => buildApp({ config }),
});
