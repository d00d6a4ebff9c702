import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '@tollgate/test-infra';
import { createPostgres } from './postgres-client';

describe('createPostgres (real Postgres)', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('pg_adapter');
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('is ready against a running server and queries in the isolated schema', async () => {
    const postgres = createPostgres({ url: schema.url, applicationName: 'test' });
    await expect(postgres.checkReady()).resolves.toBeUndefined();
    await postgres.pool.query('create table marker (id int primary key)');
    const { rows } = await postgres.pool.query<{ schema: string }>(
      `select table_schema as schema from information_schema.tables where table_name = 'marker'`,
    );
    expect(rows.map((r) => r.schema)).toContain(schema.name);
    await postgres.close();
    await postgres.close();
  });

  it('is not ready when nothing listens', async () => {
    const postgres = createPostgres({
      url: 'postgres://postgres@127.0.0.1:1/test',
      applicationName: 'test',
      connectTimeoutMs: 500,
    });
    await expect(postgres.checkReady()).rejects.toThrow(/ECONNREFUSED/);
    await postgres.close();
  });
});
