import { describeServiceContract } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { UsageIngestorConfig } from './config';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/usage-ingestor',
  dependencies: ['postgres', 'kafka'],
  configSchema: UsageIngestorConfig,
  isolated: true,
  buildApp,
});
