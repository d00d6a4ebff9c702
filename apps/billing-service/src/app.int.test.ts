import { describeServiceContract, isolatedServiceEnv } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { BillingServiceConfig } from './config';

const isolated = isolatedServiceEnv(SERVICE.replace('-', '_'));

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/billing-service',
  dependencies: ['postgres', 'kafka'],
  configSchema: BillingServiceConfig,
  env: isolated.env,
  cleanup: isolated.cleanup,
  buildApp,
});
