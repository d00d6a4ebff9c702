import { describeServiceContract } from '@tollgate/test-infra';
import { loadConfig } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { KeyServiceConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/key-service',
  dependencies: ['postgres', 'kafka'],
  buildFromEnv: (env) => buildApp({ config: loadConfig(KeyServiceConfig, env) }),
});
