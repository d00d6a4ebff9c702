import { describeServiceContract } from '@tollgate/test-infra';
import { loadConfig } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { AdminApiConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/admin-api',
  dependencies: ['postgres'],
  buildFromEnv: (env) => buildApp({ config: loadConfig(AdminApiConfig, env) }),
});
