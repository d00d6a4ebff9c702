import { runService } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { KeyServiceConfig } from './config';

await runService({
  service: SERVICE,
  configSchema: KeyServiceConfig,
  build: (config) => buildApp({ config }),
});
