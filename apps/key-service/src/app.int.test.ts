import pg from 'pg';
import { describeServiceContract, testEndpoints, uniqueName } from '@tollgate/test-infra';
import { buildApp, SERVICE } from './app';
import { KeyServiceConfig } from './config';

const schema = uniqueName('ks_contract');
const topicPrefix = `${uniqueName('ks_contract')}.`;

describeServiceContract({
  service: SERVICE,
  appRoot: 'apps/key-service',
  dependencies: ['postgres', 'kafka'],
  configSchema: KeyServiceConfig,
  env: { DATABASE_SCHEMA: schema, KAFKA_TOPIC_PREFIX: topicPrefix },
  async cleanup() {
    const client = new pg.Client({ connectionString: testEndpoints().databaseUrl });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  },
  buildApp,
});
