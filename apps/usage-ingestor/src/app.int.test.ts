import { describeServiceContract } from '@tollgate/test-infra';
import { loadConfig } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { UsageIngestorConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/usage-ingestor',
  dependencies: ['postgres', 'kafka'],
  buildFromEnv: (env) => buildApp({ config: loadConfig(UsageIngestorConfig, env) }),
});
