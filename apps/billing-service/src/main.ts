import { runService } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { BillingServiceConfig } from './config';

await runService({
  service: SERVICE,
  configSchema: BillingServiceConfig,
  build: (config) => buildApp({ config }),
});
