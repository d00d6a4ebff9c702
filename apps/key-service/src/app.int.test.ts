import { describeServiceContract } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { KeyServiceConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/key-service',
  dependencies: ['postgres', 'kafka'],
  configSchema: KeyServiceConfig,
  isolated: true,
  buildApp,
});
