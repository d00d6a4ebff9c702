import { describeServiceContract } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { BillingServiceConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/billing-service',
  dependencies: ['postgres', 'kafka'],
  configSchema: BillingServiceConfig,
  isolated: true,
  buildApp,
});
