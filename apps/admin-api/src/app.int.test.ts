import { describeServiceContract, isolatedServiceEnv } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { AdminApiConfig } from './config';

const isolated = isolatedServiceEnv(SERVICE.replace('-', '_'));

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/admin-api',
  dependencies: ['postgres'],
  configSchema: AdminApiConfig,
  env: isolated.env,
  cleanup: isolated.cleanup,
  buildApp,
});
