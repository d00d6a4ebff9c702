import { describeServiceContract } from '@tollgate/test-infra';
import { loadConfig } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { EdgeAuthConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/edge-auth',
  dependencies: ['redis', 'kafka'],
  buildFromEnv: (env) => buildApp({ config: loadConfig(EdgeAuthConfig, env) }),
});
