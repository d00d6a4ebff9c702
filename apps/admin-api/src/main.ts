import { runService } from '@tollgate/service-runtime';
import { buildApp, SERVICE } from './app';
import { bootstrapOwner } from './bootstrap';
import { AdminApiConfig } from './config';

if (process.argv[2] === 'bootstrap') {
  await bootstrapOwner(process.argv[3]);
} else {
  await runService({
    service: SERVICE,
    configSchema: AdminApiConfig,
    build: (config) => buildApp({ config }),
  });
}
