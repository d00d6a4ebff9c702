import { describeServiceContract, isolatedServiceEnv } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { UsageIngestorConfig } from './config';

const isolated = isolatedServiceEnv(SERVICE.replace('-', '_'));

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/usage-ingestor',
  dependencies: ['postgres', 'kafka'],
  configSchema: UsageIngestorConfig,
  env: isolated.env,
  cleanup: isolated.cleanup,
  buildApp,
});
