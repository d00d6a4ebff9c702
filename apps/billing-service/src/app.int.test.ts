import { describeServiceContract } from '@tollgate/test-infra';
import { loadConfig } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { BillingServiceConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/billing-service',
  dependencies: ['postgres', 'kafka'],
  buildFromEnv: (env) => buildApp({ config: loadConfig(BillingServiceConfig, env) }),
});
