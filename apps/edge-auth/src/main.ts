import { runService } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { EdgeAuthConfig } from './config';

await runService({
  service: SERVICE,
  configSchema: EdgeAuthConfig,
  build: (config) => buildApp({ config }),
});
