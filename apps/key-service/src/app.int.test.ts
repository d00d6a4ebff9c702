import { describeServiceContract, isolatedServiceEnv } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { KeyServiceConfig } from './config';

const isolated = isolatedServiceEnv(SERVICE.replace('-', '_'));

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/key-service',
  dependencies: ['postgres', 'kafka'],
  configSchema: KeyServiceConfig,
  env: isolated.env,
  cleanup: isolated.cleanup,
  buildApp,
});
