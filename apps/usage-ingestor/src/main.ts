import { runService } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { UsageIngestorConfig } from './config';

await runService({
  service: SERVICE,
  configSchema: UsageIngestorConfig,
  build: (config) => buildApp({ config }),
});
