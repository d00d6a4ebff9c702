import { describeServiceContract } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { EdgeAuthConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/edge-auth',
  dependencies: ['redis', 'kafka'],
  configSchema: EdgeAuthConfig,
  buildApp,
});
