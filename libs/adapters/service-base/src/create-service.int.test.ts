import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migration } from '@mikro-orm/migrations';
import { connectDatabase, openPinnedSession } from '@tollgate/postgres';
import { createTestSchema, eventually, testEndpoints, type TestSchema } from '@tollgate/test-infra';
import { createService, type Service } from './create-service';

class Migration20990101000000Turns extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table turns (id serial primary key, at timestamptz not null default clock_timestamp())',
    );
    this.addSql('insert into turns default values');
  }
}
const MIGRATIONS = [{ name: 'Migration20990101000000Turns', class: Migration20990101000000Turns }];

describe('createService: migrations take turns and /v1 answers 503 until done (real Postgres)', () => {
  const databaseUrl = testEndpoints().databaseUrl;
  let schema: TestSchema;
  const services: Service[] = [];
  /** When each replica's after-migrate work ran: replicas take turns, so they never overlap. */
  const afterMigrateRuns: Array<{ replica: string; start: number; end: number }> = [];

  const replica = async (name: string) => {
    const service = await createService({
      name: 'migrate-test',
      config: {
        LOG_LEVEL: 'silent',
        READINESS_TIMEOUT_MS: 2_000,
        BODY_LIMIT_BYTES: 1_048_576,
        DATABASE_URL: databaseUrl,
        DATABASE_SCHEMA: schema.name,
      },
      postgres: { migrations: MIGRATIONS },
    });
    service.afterMigrate(async () => {
      const start = performance.now();
      // Seeding-like work that takes a while, so an overlap would show.
      await service.db.sql.query('select pg_sleep(0.2)');
      afterMigrateRuns.push({ replica: name, start, end: performance.now() });
    });
    service.app.get('/v1/ping', async () => ({ ok: true }));
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    schema = await createTestSchema('svc_migrate');
  });
  afterAll(async () => {
    for (const s of services) await s.app.close();
    await schema?.drop();
  });

  it('holds /v1 at 503 and /readyz failing while another replica migrates, then both serve; the migration ran once', async () => {
    // Someone else (a replica mid-migration) holds the schema's migration lock.
    const { orm, db } = await connectDatabase({ databaseUrl, schema: schema.name, migrations: [] });
    const holder = await openPinnedSession(orm, {
      databaseUrl,
      schema: schema.name,
      applicationName: 'migrate-test-holder',
    });
    try {
      await holder.advisoryLock(`tollgate.${schema.name}.migrate`);
      const [a, b] = [await replica('a'), await replica('b')];
      await Promise.all([a.app.ready(), b.app.ready()]);
      // Both replicas queue on the schema's migration lock rather than migrating side by side.
      await eventually(
        async () => {
          const [waiting] = await db.sql.query<{ n: string }>(
            `select count(*)::text as n from pg_locks l join pg_stat_activity s on s.pid = l.pid
             where l.locktype = 'advisory' and not l.granted and s.application_name = ?`,
            [`${schema.name}-migrate`],
          );
          return Number(waiting!.n) === 2;
        },
        10_000,
        'both replicas to wait on the migration lock',
      );
      for (const { app } of [a, b]) {
        const v1 = await app.inject('/v1/ping');
        expect(v1.statusCode).toBe(503);
        expect(v1.headers['content-type']).toContain('application/problem+json');
        expect(v1.json()).toMatchObject({ code: 'dependency_unavailable' });
        expect((await app.inject('/readyz')).statusCode).toBe(503);
        expect((await app.inject('/healthz')).statusCode).toBe(200);
      }
      expect(a.migrated || b.migrated).toBe(false);

      await holder.close();
      await eventually(
        async () =>
          (await a.app.inject('/readyz')).statusCode === 200 &&
          (await b.app.inject('/readyz')).statusCode === 200,
        20_000,
        'both replicas to finish migrating',
      );
      expect((await a.app.inject('/v1/ping')).json()).toEqual({ ok: true });
      expect((await b.app.inject('/v1/ping')).json()).toEqual({ ok: true });
      const [turns] = await db.sql.query<{ n: string }>('select count(*)::text as n from turns');
      expect(Number(turns!.n)).toBe(1);
      // Each replica's after-migrate work ran once, one after the other.
      expect(afterMigrateRuns.map((r) => r.replica).sort()).toEqual(['a', 'b']);
      const [first, second] = [...afterMigrateRuns].sort((x, y) => x.start - y.start);
      expect(second!.start).toBeGreaterThanOrEqual(first!.end);
    } finally {
      await holder.close();
      await db.close();
    }
  }, 60_000);
});
