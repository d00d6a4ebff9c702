import { describeServiceContract } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { EdgeAuthConfig } from './config';
import { builtMeteringWorker } from './testing/metering-worker';

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/edge-auth',
  dependencies: ['redis', 'kafka'],
  configSchema: EdgeAuthConfig,
  buildApp: (deps) => buildApp({ ...deps, meteringWorkerUrl: builtMeteringWorker() }),
});
