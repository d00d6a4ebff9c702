import { describeServiceContract } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { AdminApiConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/admin-api',
  dependencies: ['postgres', 'redis'],
  configSchema: AdminApiConfig,
  isolated: true,
  buildApp,
});
