import pg from 'pg';
import { requireService, testEndpoints } from './endpoints';
import { uniqueName } from './unique-name';

export interface TestSchema {
  /** The schema's name; every connection made with `url` uses it as search_path. */
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh Postgres schema for one test file, dropped with everything in it afterwards. */
export async function createTestSchema(base: string): Promise<TestSchema> {
  const { databaseUrl } = testEndpoints();
  const server = new URL(databaseUrl);
  await requireService('Postgres', server.hostname, Number(server.port || 5432));
  const name = uniqueName(base);
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`create schema "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${name}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
